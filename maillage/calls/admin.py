from django.contrib import admin

from .models import Call, Programme


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "region_code", "daily_rate", "max_days_per_transfer"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["title", "programme", "opens_on", "closes_on", "budget_envelope", "published"]
    list_filter = ["programme", "published"]
    prepopulated_fields = {"slug": ["title"]}
