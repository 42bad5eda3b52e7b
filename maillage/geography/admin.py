from django.contrib import admin

from .models import Commune, Departement, PostalCode


@admin.register(Departement)
class DepartementAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "population", "area_km2", "rural"]
    list_editable = ["rural"]


class PostalCodeInline(admin.TabularInline):
    model = PostalCode
    extra = 0


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["insee_code", "name", "departement", "population"]
    list_filter = ["departement"]
    search_fields = ["insee_code", "name", "postal_codes__code"]
    inlines = [PostalCodeInline]


@admin.register(PostalCode)
class PostalCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "commune"]
    search_fields = ["code", "commune__name"]
    list_select_related = ["commune"]
    raw_id_fields = ["commune"]
