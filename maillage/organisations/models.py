"""Music organisations (structures) of the sector."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from maillage.geography.models import Commune

from .validators import normalise_siret, validate_siret


class LegalForm(models.TextChoices):
    ASSOCIATION = "association", _("Association loi 1901")
    SCIC = "scic", _("SCIC")
    SCOP = "scop", _("SCOP")
    SARL = "sarl", _("SARL / EURL")
    SAS = "sas", _("SAS / SASU")
    EPCC = "epcc", _("EPCC")
    REGIE = "regie", _("Régie / collectivité territoriale")
    SPL = "spl", _("SPL / SEM")
    ENTREPRENEUR = "ei", _("Entreprise individuelle")
    OTHER = "autre", _("Autre")


class ActivityType(models.TextChoices):
    VENUE = "salle", _("Salle de concert / SMAC")
    FESTIVAL = "festival", _("Festival")
    LABEL = "label", _("Label / édition phonographique")
    STUDIO = "studio", _("Studio d'enregistrement / de répétition")
    PRODUCER = "production", _("Producteur / tourneur")
    SCHOOL = "ecole", _("École de musique / enseignement")
    MEDIA = "media", _("Média / radio")
    NETWORK = "reseau", _("Fédération / réseau")
    LOCAL_AUTHORITY = "collectivite", _("Collectivité")
    OTHER = "autre", _("Autre")


class Organisation(models.Model):
    name = models.CharField(_("nom"), max_length=200, db_index=True)
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        validators=[validate_siret],
        help_text=_("14 chiffres, tel qu'il figure sur l'avis de situation INSEE."),
    )
    legal_form = models.CharField(
        _("forme juridique"),
        max_length=20,
        choices=LegalForm.choices,
        default=LegalForm.ASSOCIATION,
    )
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("commune")
    )
    headcount = models.PositiveIntegerField(_("effectif salarié (ETP)"), null=True, blank=True)
    federation_member = models.BooleanField(
        _("adhérente de la fédération régionale"), default=False
    )
    website = models.URLField(_("site web"), blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        constraints = [
            models.UniqueConstraint(
                fields=["siret"],
                condition=~models.Q(siret=""),
                name="unique_organisation_siret",
            ),
            models.CheckConstraint(
                condition=models.Q(siret="") | models.Q(siret__regex=r"^[0-9]{14}$"),
                name="organisation_siret_fourteen_digits",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.siret = normalise_siret(self.siret)

    @property
    def departement_id(self) -> str:
        return self.commune.departement_id

    @property
    def activity_codes(self) -> list[str]:
        return [activity.activity for activity in self.activities.all()]

    def activity_labels(self) -> list[str]:
        return [str(ActivityType(code).label) for code in self.activity_codes]


class OrganisationActivity(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="activities"
    )
    activity = models.CharField(_("activité"), max_length=20, choices=ActivityType.choices)

    class Meta:
        ordering = ["activity"]
        verbose_name = _("activité")
        verbose_name_plural = _("activités")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "activity"], name="unique_organisation_activity"
            )
        ]

    def __str__(self) -> str:
        return self.get_activity_display()
