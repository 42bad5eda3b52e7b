from django.contrib import admin

from .models import Competence, Domain


class CompetenceInline(admin.TabularInline):
    model = Competence
    extra = 0
    fields = ["code", "label_fr", "label_en", "rome_codes", "position", "is_active"]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["label_fr", "label_en", "code", "position"]
    list_editable = ["position"]
    search_fields = ["label_fr", "label_en", "code"]
    inlines = [CompetenceInline]


@admin.register(Competence)
class CompetenceAdmin(admin.ModelAdmin):
    list_display = ["label_fr", "domain", "rome_codes", "is_active"]
    list_filter = ["domain", "is_active"]
    search_fields = ["label_fr", "label_en", "code", "keywords", "rome_codes"]
