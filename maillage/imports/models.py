"""Spreadsheet imports: each confirmed import is recorded (who, when, what, how many rows)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from maillage.core.models import actor_field

from . import parsing


class ImportKind(models.TextChoices):
    ORGANISATIONS = parsing.ORGANISATIONS, _("Structures")
    RESOURCE_PERSONS = parsing.RESOURCE_PERSONS, _("Personnes-ressources")
    TRANSFERS = parsing.TRANSFERS, _("Transferts passés")


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("Aperçu, à confirmer")
    APPLIED = "applied", _("Importé")


class ImportVia(models.TextChoices):
    WEB = "web", _("Page d'import")
    COMMAND = "command", _("Commande import_spreadsheet")


class ImportRun(models.Model):
    kind = models.CharField(_("contenu"), max_length=30, choices=ImportKind.choices)
    status = models.CharField(
        _("état"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PREVIEW
    )
    via = models.CharField(_("par"), max_length=20, choices=ImportVia.choices, default="web")
    file_name = models.CharField(_("fichier"), max_length=255)
    file_sha256 = models.CharField(_("empreinte SHA-256 du fichier"), max_length=64, db_index=True)
    file_size = models.PositiveIntegerField(_("taille (octets)"))
    # The uploaded file, kept between the preview and the confirmation only (emptied after).
    content = models.BinaryField(_("contenu du fichier"), blank=True, default=b"", editable=False)
    created_by = actor_field(_("importé par"))
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True, db_index=True)
    applied_at = models.DateTimeField(_("importé le"), null=True, blank=True)
    row_count = models.PositiveIntegerField(_("lignes"), default=0)
    created_count = models.PositiveIntegerField(_("créées"), default=0)
    updated_count = models.PositiveIntegerField(_("mises à jour"), default=0)
    unchanged_count = models.PositiveIntegerField(_("inchangées"), default=0)
    error_count = models.PositiveIntegerField(_("en erreur"), default=0)
    # Row outcomes (see services.RowResult); after confirmation only numbers, outcomes and
    # the names of the changed fields remain (no personal data).
    report = models.JSONField(_("compte rendu"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import de tableur")
        verbose_name_plural = _("imports de tableurs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="preview") | models.Q(applied_at__isnull=False),
                name="applied_import_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(status="preview") | models.Q(error_count=0),
                name="applied_import_has_no_error",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.file_name}"
