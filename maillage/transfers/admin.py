from django.contrib import admin

from .models import Transfer


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    list_display = ["__str__", "mentee", "resource_person", "start_date", "status", "source"]
    list_filter = ["status", "source", "format", "mentee_organisation__commune__departement"]
    search_fields = [
        "reference",
        "mentee__email",
        "mentee__last_name",
        "resource_person__user__email",
        "resource_person__user__last_name",
    ]
    date_hierarchy = "start_date"
    raw_id_fields = [
        "mentee",
        "mentee_organisation",
        "resource_person",
        "mentor_organisation",
        "application",
        "created_by",
    ]
    filter_horizontal = ["competences"]
    list_select_related = ["mentee", "resource_person__user"]
    readonly_fields = ["source", "import_key", "created_at", "updated_at"]
