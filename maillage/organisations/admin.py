from django.contrib import admin

from .models import Organisation, OrganisationActivity


class OrganisationActivityInline(admin.TabularInline):
    model = OrganisationActivity
    extra = 1


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "siret", "legal_form", "commune", "federation_member"]
    list_filter = ["legal_form", "federation_member", "commune__departement"]
    search_fields = ["name", "siret", "commune__name"]
    raw_id_fields = ["commune"]
    list_select_related = ["commune"]
    inlines = [OrganisationActivityInline]
