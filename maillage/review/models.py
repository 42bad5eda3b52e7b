"""Selection: the scoring grid of a call, committee assignments with conflict declarations,
scores, committee sessions with their decisions, and the decision e-mail templates."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from maillage.applications.models import Application
from maillage.calls.models import Call
from maillage.core.models import actor_field


class Outcome(models.TextChoices):
    """Committee decisions; the values are the application states they lead to."""

    ACCEPTED = "accepted", _("Acceptée")
    WAITLISTED = "waitlisted", _("Liste d'attente")
    REFUSED = "refused", _("Refusée")
    NO_FOLLOW_UP = "no_follow_up", _("Sans suite")


class ScoringGrid(models.Model):
    call = models.OneToOneField(
        Call, on_delete=models.CASCADE, related_name="scoring_grid", verbose_name=_("appel")
    )
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("grille d'évaluation")
        verbose_name_plural = _("grilles d'évaluation")

    def __str__(self) -> str:
        return str(_("Grille de %(call)s") % {"call": self.call})

    @property
    def is_locked(self) -> bool:
        """Changing criteria after a score exists would make scores incomparable."""
        return Score.objects.filter(criterion__grid=self).exists()


class Criterion(models.Model):
    grid = models.ForeignKey(ScoringGrid, on_delete=models.CASCADE, related_name="criteria")
    label = models.CharField(_("critère"), max_length=150)
    description = models.TextField(_("ce qu'on évalue"), blank=True, max_length=1000)
    weight = models.DecimalField(
        _("coefficient"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    scale_max = models.PositiveSmallIntegerField(
        _("note maximale"), default=5, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("critère")
        verbose_name_plural = _("critères")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight__gt=0), name="criterion_weight_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(scale_max__gte=1, scale_max__lte=20),
                name="criterion_scale_between_1_and_20",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ReviewAssignment(models.Model):
    """A committee member asked to review an application; holds their review."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="review_assignments",
        verbose_name=_("candidature"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="review_assignments",
        verbose_name=_("membre du comité"),
    )
    assigned_at = models.DateTimeField(_("attribuée le"), auto_now_add=True)
    assigned_by = actor_field(_("attribuée par"))
    overall_comment = models.TextField(_("appréciation générale"), blank=True, max_length=4000)
    submitted_at = models.DateTimeField(_("évaluation validée le"), null=True, blank=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        ordering = ["assigned_at", "pk"]
        verbose_name = _("attribution")
        verbose_name_plural = _("attributions")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="unique_review_assignment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} — {self.reviewer}"


class ConflictKind(models.TextChoices):
    NONE = "none", _("Aucun conflit d'intérêts")
    SAME_ORGANISATION = "same_organisation", _("Je travaille dans la même structure")
    PERSONAL_LINK = "personal_link", _("J'ai un lien personnel ou familial avec la personne")
    PROFESSIONAL_LINK = (
        "professional_link",
        _("J'ai un lien professionnel direct avec la personne ou sa structure"),
    )
    OTHER = "other", _("Autre raison (à préciser)")


class ConflictDeclaration(models.Model):
    """Asked before the reviewer sees the application; any conflict excludes them for good."""

    assignment = models.OneToOneField(
        ReviewAssignment, on_delete=models.CASCADE, related_name="conflict_declaration"
    )
    kind = models.CharField(_("déclaration"), max_length=20, choices=ConflictKind.choices)
    note = models.TextField(_("précision"), blank=True, max_length=1000)
    declared_at = models.DateTimeField(_("déclarée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("déclaration de conflit d'intérêts")
        verbose_name_plural = _("déclarations de conflit d'intérêts")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="other") | ~models.Q(note=""),
                name="conflict_other_has_note",
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment} — {self.get_kind_display()}"

    @property
    def is_conflict(self) -> bool:
        return self.kind != ConflictKind.NONE


class Score(models.Model):
    assignment = models.ForeignKey(
        ReviewAssignment, on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    value = models.PositiveSmallIntegerField(_("note"))
    comment = models.TextField(_("commentaire"), blank=True, max_length=2000)

    class Meta:
        ordering = ["criterion__position", "criterion__pk"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "criterion"], name="unique_score"),
            models.CheckConstraint(condition=models.Q(value__lte=20), name="score_at_most_20"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.value}"


class CommitteeSession(models.Model):
    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="committee_sessions", verbose_name=_("appel")
    )
    title = models.CharField(_("intitulé"), max_length=200)
    date = models.DateField(_("date de la séance"))
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    locked_at = models.DateTimeField(_("verrouillée le"), null=True, blank=True)
    locked_by = actor_field(_("verrouillée par"))
    over_envelope_confirmed = models.BooleanField(
        _("dépassement de l'enveloppe confirmé"), default=False
    )

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("séance du comité")
        verbose_name_plural = _("séances du comité")

    def __str__(self) -> str:
        return self.title

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class SessionItem(models.Model):
    """An application on a session's agenda and the decision taken on it."""

    session = models.ForeignKey(CommitteeSession, on_delete=models.CASCADE, related_name="items")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="session_items"
    )
    decision = models.CharField(_("décision"), max_length=20, choices=Outcome.choices, blank=True)
    motivation = models.TextField(_("motivation"), blank=True, max_length=3000)
    # Frozen when the session is locked: what the decision committed.
    estimated_fee = models.DecimalField(
        _("indemnités estimées (€)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    estimated_travel = models.DecimalField(
        _("frais de déplacement estimés (€)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("candidature examinée")
        verbose_name_plural = _("candidatures examinées")
        constraints = [
            models.UniqueConstraint(fields=["session", "application"], name="unique_session_item"),
            models.CheckConstraint(
                condition=~models.Q(decision="refused") | ~models.Q(motivation=""),
                name="refusal_has_motivation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} — {self.application}"


class DecisionEmailTemplate(models.Model):
    """The e-mail an applicant receives for each outcome, editable by the coordination."""

    outcome = models.CharField(_("décision"), max_length=20, choices=Outcome.choices, unique=True)
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("texte"), max_length=10000)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["outcome"]
        verbose_name = _("modèle d'e-mail de décision")
        verbose_name_plural = _("modèles d'e-mails de décision")

    def __str__(self) -> str:
        return self.get_outcome_display()
