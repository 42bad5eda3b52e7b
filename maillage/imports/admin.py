from django.contrib import admin
from django.http import HttpRequest

from .models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Read-only: an import is a record of what happened."""

    list_display = [
        "created_at",
        "kind",
        "status",
        "via",
        "file_name",
        "row_count",
        "created_count",
        "updated_count",
        "unchanged_count",
        "created_by",
    ]
    list_filter = ["kind", "status", "via"]
    exclude = ["content"]
    list_select_related = ["created_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportRun | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportRun | None = None) -> bool:
        # The record of an import stays; unconfirmed previews are purged by the service.
        return False
