from django.contrib import admin

from .models import Application, ApplicationEvent


class ApplicationEventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    raw_id_fields = ["actor"]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "call", "applicant", "organisation", "state", "submitted_at"]
    list_filter = ["call", "state"]
    search_fields = ["reference", "applicant__email", "applicant__last_name", "organisation__name"]
    raw_id_fields = ["applicant", "organisation", "proposed_resource_person"]
    filter_horizontal = ["competences"]
    list_select_related = ["call", "applicant", "organisation"]
    inlines = [ApplicationEventInline]
