"""Applications (candidatures): a mentee's need, submitted to a call, and its history."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from maillage.calls.models import Call, FormatsMixin
from maillage.competences.models import Competence
from maillage.organisations.models import Organisation
from maillage.people.models import ResourcePerson


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    AWAITING_EMPLOYER = "awaiting_employer", _("En attente de l'employeur")
    SUBMITTED = "submitted", _("Déposée")


class Application(FormatsMixin):
    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, related_name="applications", verbose_name=_("appel")
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("candidat·e"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="applications",
        null=True,
        blank=True,
        verbose_name=_("structure"),
    )
    state = models.CharField(
        _("état"),
        max_length=30,
        choices=ApplicationState.choices,
        default=ApplicationState.DRAFT,
        db_index=True,
    )
    need = models.TextField(_("le besoin, dans vos mots"), blank=True, max_length=5000)
    expected_results = models.TextField(_("résultats attendus"), blank=True, max_length=3000)
    competences = models.ManyToManyField(
        Competence, blank=True, related_name="applications", verbose_name=_("compétences visées")
    )
    desired_start = models.DateField(_("début souhaité"), null=True, blank=True)
    desired_end = models.DateField(_("fin souhaitée"), null=True, blank=True)
    days = models.PositiveSmallIntegerField(_("nombre de jours"), null=True, blank=True)
    proposed_resource_person = models.ForeignKey(
        ResourcePerson,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposed_in",
        verbose_name=_("personne-ressource proposée"),
    )
    proposed_external_name = models.CharField(
        _("personne-ressource hors annuaire (nom)"), max_length=200, blank=True
    )
    proposed_external_organisation = models.CharField(
        _("personne-ressource hors annuaire (structure)"), max_length=200, blank=True
    )
    employer_signatory_name = models.CharField(
        _("signataire pour l'employeur (nom)"), max_length=200, blank=True
    )
    employer_signatory_email = models.EmailField(
        _("signataire pour l'employeur (e-mail)"), blank=True
    )
    employer_approved_at = models.DateTimeField(
        _("accord de l'employeur le"), null=True, blank=True
    )
    submitted_at = models.DateTimeField(_("déposée le"), null=True, blank=True, db_index=True)
    reference = models.CharField(_("référence"), max_length=20, unique=True, null=True, blank=True)
    # Incremented at every save from a form: optimistic locking between concurrent editors.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("candidature")
        verbose_name_plural = _("candidatures")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(desired_end__isnull=True)
                | models.Q(desired_start__isnull=True)
                | models.Q(desired_end__gte=models.F("desired_start")),
                name="application_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(state="draft") | models.Q(need__gt=""),
                name="application_beyond_draft_has_need",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="submitted") | models.Q(submitted_at__isnull=False),
                name="submitted_application_has_date",
            ),
        ]
        indexes = [models.Index(fields=["call", "state"])]

    def __str__(self) -> str:
        return self.reference or _("Candidature n°%(pk)s") % {"pk": self.pk}


class ApplicationEvent(models.Model):
    """Dated history of an application: every state change, who made it and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("date"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    from_state = models.CharField(_("état précédent"), max_length=30, blank=True)
    to_state = models.CharField(_("nouvel état"), max_length=30)
    note = models.TextField(_("commentaire"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("événement")
        verbose_name_plural = _("historique")

    def __str__(self) -> str:
        return f"{self.application} {self.from_state} → {self.to_state}"

    @property
    def to_state_label(self) -> str:
        return str(ApplicationState(self.to_state).label) if self.to_state else ""
