"""Transfers: the realisation of a mentoring partnership between a mentee and a resource person.

A transfer is created on the platform (from an accepted application, in a later issue) or
imported from the spreadsheets programmes kept before the platform existed. Agreements,
sessions, reports, attestations and payments will hang off this table; only what the import
and the coordinators' list need exists today.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from maillage.applications.models import Application
from maillage.calls.models import TransferFormat
from maillage.competences.models import Competence
from maillage.core.models import actor_field
from maillage.organisations.models import Organisation
from maillage.people.models import ResourcePerson


class TransferStatus(models.TextChoices):
    PLANNED = "planned", _("Prévu")
    IN_PROGRESS = "in_progress", _("En cours")
    COMPLETED = "completed", _("Réalisé")
    CANCELLED = "cancelled", _("Annulé")


class TransferSource(models.TextChoices):
    PLATFORM = "platform", _("Plateforme")
    IMPORT = "import", _("Import de tableur")


class Transfer(models.Model):
    reference = models.CharField(
        _("référence"),
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Référence du transfert dans les tableaux de la coordination."),
    )
    # The mentee, and their organisation at the time of the transfer (people change jobs).
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="transfers_as_mentee",
        verbose_name=_("mentoré·e"),
    )
    mentee_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="transfers_received",
        null=True,
        blank=True,
        verbose_name=_("structure mentorée"),
    )
    # SET_NULL: erasing a resource person's profile must not erase a funded action.
    resource_person = models.ForeignKey(
        ResourcePerson,
        on_delete=models.SET_NULL,
        related_name="transfers",
        null=True,
        blank=True,
        verbose_name=_("personne-ressource"),
    )
    # The organisation that is paid for the resource person's days.
    mentor_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="transfers_given",
        null=True,
        blank=True,
        verbose_name=_("structure de la personne-ressource"),
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.SET_NULL,
        related_name="transfers",
        null=True,
        blank=True,
        verbose_name=_("candidature d'origine"),
    )
    competences = models.ManyToManyField(
        Competence, blank=True, related_name="transfers", verbose_name=_("compétences")
    )
    start_date = models.DateField(_("début"), db_index=True)
    end_date = models.DateField(_("fin"), null=True, blank=True)
    # Decimal: sessions of half a day are common.
    planned_days = models.DecimalField(
        _("jours prévus"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    actual_days = models.DecimalField(
        _("jours réalisés"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    format = models.CharField(
        _("format"), max_length=20, choices=TransferFormat.choices, blank=True
    )
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=TransferStatus.choices,
        default=TransferStatus.PLANNED,
        db_index=True,
    )
    amount_paid = models.DecimalField(
        _("montant versé à la structure de la personne-ressource (€)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
    )
    source = models.CharField(
        _("origine"), max_length=20, choices=TransferSource.choices, default=TransferSource.PLATFORM
    )
    # Identifies an imported row across imports: "ref:<reference>" or "hash:<sha256>".
    import_key = models.CharField(_("clé d'import"), max_length=80, blank=True, editable=False)
    created_by = actor_field(_("créé par"))
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        ordering = ["-start_date", "-pk"]
        verbose_name = _("transfert")
        verbose_name_plural = _("transferts")
        constraints = [
            models.UniqueConstraint(
                fields=["import_key"],
                condition=~models.Q(import_key=""),
                name="unique_transfer_import_key",
            ),
            models.CheckConstraint(
                condition=models.Q(source="platform") | ~models.Q(import_key=""),
                name="imported_transfer_has_key",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="transfer_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(planned_days__isnull=True) | models.Q(planned_days__gt=0),
                name="transfer_planned_days_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(actual_days__isnull=True) | models.Q(actual_days__gte=0),
                name="transfer_actual_days_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_paid__isnull=True) | models.Q(amount_paid__gte=0),
                name="transfer_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or str(_("Transfert n°%(pk)s") % {"pk": self.pk})

    @property
    def year(self) -> int:
        return self.start_date.year
