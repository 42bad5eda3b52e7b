from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import emails
from .models import OutgoingEmail

FIELDS = (
    "subject",
    "to",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "next_attempt_at",
    "claimed_at",
    "sent_at",
    "idempotency_key",
)


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """Read-only follow-up of the outbox; the only action is a fresh series of attempts.

    The texts are not shown: the subject says what the message is, and the body holds personal
    data that following up a failure does not need.
    """

    list_display = ["created_at", "subject", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status"]
    date_hierarchy = "created_at"
    fields = FIELDS
    readonly_fields = FIELDS
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(
        description=_("Relancer l'envoi des e-mails sélectionnés (en échec ou en attente)")
    )
    def retry(self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]) -> None:
        count = emails.requeue(queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(count)d e-mail remis en file d'envoi.",
                "%(count)d e-mails remis en file d'envoi.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
