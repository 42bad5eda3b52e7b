"""Field helpers shared by the domain apps, and the e-mail outbox."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def actor_field(verbose_name: Any) -> Any:
    """Who did something (validated, decided, wrote…): kept as history when the account goes.

    No reverse accessor: "everything this person touched" is read through each app's own
    queries, not from the user model.
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )


# --------------------------------------------------------------------------------------------
# E-mail outbox
# --------------------------------------------------------------------------------------------


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("en attente")
    SENDING = "sending", _("en cours d'envoi")
    SENT = "sent", _("envoyé")
    FAILED = "failed", _("échec définitif")


class OutgoingEmail(models.Model):
    """One e-mail to send, written in the transaction of the action that caused it.

    The row is the source of truth: the background task only carries its id, so a rolled-back
    action leaves nothing to send and a lost task queue loses nothing (the sweeper re-enqueues
    due rows). Sending claims the row with a conditional UPDATE (queued → sending), which makes
    two deliveries of the same row exclusive on SQLite and PostgreSQL alike.
    """

    subject = models.CharField(_("objet"), max_length=998)
    body = models.TextField(_("texte"))
    html_body = models.TextField(_("version HTML"), blank=True)
    from_email = models.CharField(_("expéditeur"), max_length=254, blank=True)
    to = models.JSONField(_("destinataires"))
    reply_to = models.JSONField(_("adresses de réponse"), default=list, blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), default=timezone.now)
    # Written by the claim and checked when marking the result: a worker whose claim was
    # taken over by the sweeper cannot overwrite the newer attempt's outcome.
    claimed_at = models.DateTimeField(_("pris en charge le"), null=True, blank=True)
    # Exception class and SMTP code only: server messages may quote addresses.
    last_error = models.CharField(_("dernière erreur"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    idempotency_key = models.CharField(_("clé d'idempotence"), max_length=200, unique=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("e-mail sortant")
        verbose_name_plural = _("e-mails sortants")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=EmailStatus.values), name="outgoing_email_status"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status=EmailStatus.SENT, sent_at__isnull=False)
                    | (~models.Q(status=EmailStatus.SENT) & models.Q(sent_at__isnull=True))
                ),
                name="outgoing_email_sent_at_iff_sent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.subject}"


class OutgoingEmailAttachment(models.Model):
    """A file sent with an outgoing e-mail (the PDF receipt), kept as long as the message."""

    email = models.ForeignKey(
        OutgoingEmail,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("e-mail"),
    )
    filename = models.CharField(_("nom du fichier"), max_length=255)
    mimetype = models.CharField(_("type"), max_length=100)
    content = models.BinaryField(_("contenu"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("pièce jointe d'e-mail")
        verbose_name_plural = _("pièces jointes d'e-mails")

    def __str__(self) -> str:
        return self.filename
