"""The audit log: an append-only table of sensitive actions (see docs/privacy.md).

Append-only is enforced twice: here (``save`` refuses updates, deletions raise) and in the
database (triggers from migration 0002 reject UPDATE, and DELETE of rows younger than 365
days), so neither a bug nor a raw query can rewrite history.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event through the ORM."""


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Connexion")
    LOGIN_FAILED = "login_failed", _("Échec de connexion")
    LOGOUT = "logout", _("Déconnexion")
    ACCESS_REFUSED = "access_refused", _("Accès refusé")
    DATA_DOWNLOAD = "data_download", _("Téléchargement de ses données")
    ERASURE = "erasure", _("Effacement d'un compte")
    EXPORT = "export", _("Export")
    DECISION = "decision", _("Décision")
    RETENTION_PURGE = "retention_purge", _("Purge des données expirées")
    BACKUP = "backup", _("Sauvegarde")
    RESTORE = "restore", _("Restauration")
    IMPORT = "import", _("Import de tableur")
    TWO_FACTOR_ENROLLED = "two_factor_enrolled", _("Activation de la double authentification")
    TWO_FACTOR_VERIFIED = "two_factor_verified", _("Double authentification réussie")
    TWO_FACTOR_FAILED = "two_factor_failed", _("Échec de la double authentification")
    RECOVERY_CODE_USED = "recovery_code_used", _("Connexion avec un code de secours")
    RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("Nouveaux codes de secours")
    TWO_FACTOR_RESET = "two_factor_reset", _("Réinitialisation de la double authentification")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("the audit log cannot be rewritten")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the audit log cannot be deleted (see privacy.services.purge)")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    # No database constraint and no cascade: the log outlives accounts and is never rewritten
    # by a deletion elsewhere (accounts are anonymised, not deleted, anyway).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    action = models.CharField(_("action"), max_length=30, choices=AuditAction.choices)
    object_type = models.CharField(_("type d'objet"), max_length=100, blank=True)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    # Codes, counts and identifiers only: never free text typed by a person (see audit.record).
    details = models.JSONField(_("détails"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("événement du journal")
        verbose_name_plural = _("journal des actions sensibles")
        indexes = [models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("an audit event cannot be changed once written")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("an audit event cannot be deleted")
