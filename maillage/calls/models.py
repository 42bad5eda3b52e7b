"""The programme (the scheme and its rules) and its calls for applications."""

import datetime
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .costs import CostRules


class TransferFormat(models.TextChoices):
    IMMERSION = "immersion", _("Immersion chez la personne-ressource")
    ON_SITE = "sur_site", _("Sur site, chez le/la mentoré·e")
    REMOTE = "distance", _("À distance")
    MIXED = "mixte", _("Mixte")


class FormatsMixin(models.Model):
    """Which transfer formats a person accepts or wishes; booleans so that filters are indexed."""

    format_immersion = models.BooleanField(_("immersion chez la personne-ressource"), default=False)
    format_on_site = models.BooleanField(_("sur site, chez le/la mentoré·e"), default=False)
    format_remote = models.BooleanField(_("à distance"), default=False)
    format_mixed = models.BooleanField(_("mixte"), default=False)

    FORMAT_FIELDS = {
        TransferFormat.IMMERSION: "format_immersion",
        TransferFormat.ON_SITE: "format_on_site",
        TransferFormat.REMOTE: "format_remote",
        TransferFormat.MIXED: "format_mixed",
    }

    class Meta:
        abstract = True

    @property
    def formats(self) -> list[TransferFormat]:
        return [fmt for fmt, field in self.FORMAT_FIELDS.items() if getattr(self, field)]

    def set_formats(self, formats: list[str]) -> None:
        for fmt, field in self.FORMAT_FIELDS.items():
            setattr(self, field, fmt in formats)

    def format_labels(self) -> list[str]:
        return [str(fmt.label) for fmt in self.formats]


class Programme(models.Model):
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), unique=True)
    region_code = models.CharField(_("code région INSEE"), max_length=3, default="76")
    summary = models.TextField(_("présentation"), blank=True)
    funders = models.CharField(_("financeurs"), max_length=300, blank=True)
    operator = models.CharField(_("opérateur"), max_length=200, blank=True)
    min_days_per_transfer = models.PositiveSmallIntegerField(
        _("nombre minimal de jours par transfert"), default=1, validators=[MinValueValidator(1)]
    )
    max_days_per_transfer = models.PositiveSmallIntegerField(
        _("nombre maximal de jours par transfert"), default=5, validators=[MinValueValidator(1)]
    )
    max_transfers_per_resource_person_per_year = models.PositiveSmallIntegerField(
        _("transferts par personne-ressource et par an (maximum)"), default=3
    )
    daily_rate = models.DecimalField(
        _("indemnité journalière versée à la structure de la personne-ressource (€)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("250.00"),
    )
    travel_rate_per_km = models.DecimalField(
        _("barème kilométrique (€/km)"), max_digits=5, decimal_places=3, default=Decimal("0.320")
    )
    accommodation_per_night = models.DecimalField(
        _("forfait hébergement et repas par nuitée (€)"),
        max_digits=7,
        decimal_places=2,
        default=Decimal("90.00"),
    )
    travel_cap_per_transfer = models.DecimalField(
        _("plafond des frais de déplacement par transfert (€)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("600.00"),
    )
    overnight_distance_km = models.PositiveSmallIntegerField(
        _("distance au-delà de laquelle les nuitées sont prises en charge (km)"), default=60
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_days_per_transfer__gte=models.F("min_days_per_transfer")),
                name="programme_days_bounds_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def cost_rules(self) -> CostRules:
        return CostRules(
            daily_rate=self.daily_rate,
            travel_rate_per_km=self.travel_rate_per_km,
            accommodation_per_night=self.accommodation_per_night,
            travel_cap_per_transfer=self.travel_cap_per_transfer,
            overnight_distance_km=self.overnight_distance_km,
        )


class CallQuerySet(models.QuerySet["Call"]):
    def published(self) -> "CallQuerySet":
        return self.filter(published=True)

    def open_on(self, day: datetime.date) -> "CallQuerySet":
        return (
            self.published()
            .filter(opens_on__lte=day)
            .filter(models.Q(closes_on__isnull=True) | models.Q(closes_on__gte=day))
        )


class Call(models.Model):
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="calls", verbose_name=_("programme")
    )
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("identifiant"), unique=True)
    summary = models.CharField(_("résumé"), max_length=400, blank=True)
    text = models.TextField(_("texte de l'appel"), blank=True)
    opens_on = models.DateField(_("ouverture"))
    closes_on = models.DateField(
        _("clôture"),
        null=True,
        blank=True,
        help_text=_("Laisser vide pour un appel au fil de l'eau."),
    )
    budget_envelope = models.DecimalField(
        _("enveloppe budgétaire (€)"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    published = models.BooleanField(_("publié"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_on"]
        verbose_name = _("appel à candidatures")
        verbose_name_plural = _("appels à candidatures")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_on__isnull=True)
                | models.Q(closes_on__gte=models.F("opens_on")),
                name="call_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=models.Q(budget_envelope__gte=0), name="call_budget_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_rolling(self) -> bool:
        return self.closes_on is None

    def is_open(self, day: datetime.date | None = None) -> bool:
        day = day or timezone.localdate()
        return (
            self.published
            and self.opens_on <= day
            and (self.closes_on is None or day <= self.closes_on)
        )
