"""Matching of a call's accepted needs with resource persons: weights, runs, proposals, pair
rules (locks and forbids) and the one-time invitations sent to resource persons."""

from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from maillage.applications.models import Application
from maillage.calls.models import Call, Programme
from maillage.core.fields import JSONTextField
from maillage.core.models import actor_field
from maillage.people.models import ResourcePerson

from . import scoring


def _weight_field(label: Any, default: float, help_text: Any) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=6,
        decimal_places=2,
        default=Decimal(str(default)),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1000"))],
        help_text=help_text,
    )


_DEFAULTS = scoring.Weights()


class MatchingSettings(models.Model):
    """The weights of the fit score for one programme (defaults: docs/matching.md)."""

    programme = models.OneToOneField(
        Programme,
        on_delete=models.CASCADE,
        related_name="matching_settings",
        verbose_name=_("programme"),
    )
    competence_exact = _weight_field(
        _("compétence identique"),
        _DEFAULTS.competence_exact,
        _("Points quand la personne-ressource a exactement la compétence visée."),
    )
    competence_domain = _weight_field(
        _("compétence du même domaine"),
        _DEFAULTS.competence_domain,
        _("Points quand elle a seulement une compétence du même domaine."),
    )
    level = _weight_field(
        _("bonus par niveau"),
        _DEFAULTS.level,
        _("Points par niveau déclaré (1 à 3) sur une compétence identique."),
    )
    text = _weight_field(
        _("pertinence des descriptions"),
        _DEFAULTS.text,
        _("Points pour une description de la personne-ressource proche du besoin (BM25)."),
    )
    formats = _weight_field(
        _("format compatible"),
        _DEFAULTS.formats,
        _("Points quand au moins un format est commun (les formats incompatibles sont exclus)."),
    )
    distance = _weight_field(
        _("distance"),
        _DEFAULTS.distance,
        _("Points dans le rayon de déplacement accepté, dégressifs au-delà (jusqu'au double)."),
    )
    availability = _weight_field(
        _("disponibilité"),
        _DEFAULTS.availability,
        _("Points au prorata des mois de la période souhaitée où la personne est disponible."),
    )
    proposed = _weight_field(
        _("personne proposée par la personne candidate"),
        _DEFAULTS.proposed,
        _("Bonus fort quand la personne candidate a proposé cette personne-ressource."),
    )
    rural = _weight_field(
        _("besoin en territoire rural"),
        _DEFAULTS.rural,
        _("Bonus quand la structure du besoin est dans un département rural."),
    )
    other_territory = _weight_field(
        _("découverte d'un autre territoire"),
        _DEFAULTS.other_territory,
        _("Bonus quand la personne-ressource travaille dans un autre département."),
    )
    # Empty: the départements marked rural in the reference data (geography.Departement.rural).
    rural_departements = models.JSONField(
        _("départements ruraux (codes)"),
        default=list,
        blank=True,
        help_text=_("Laisser vide pour reprendre les départements ruraux du référentiel."),
    )
    updated_at = models.DateTimeField(_("modifiés le"), auto_now=True)

    WEIGHT_FIELDS = (
        "competence_exact",
        "competence_domain",
        "level",
        "text",
        "formats",
        "distance",
        "availability",
        "proposed",
        "rural",
        "other_territory",
    )

    class Meta:
        verbose_name = _("réglages de la mise en relation")
        verbose_name_plural = _("réglages de la mise en relation")

    def __str__(self) -> str:
        return str(_("Mise en relation — %(programme)s") % {"programme": self.programme})


class MatchingRun(models.Model):
    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="matching_runs", verbose_name=_("appel")
    )
    created_by = actor_field(_("lancée par"))
    created_at = models.DateTimeField(_("lancée le"), auto_now_add=True, db_index=True)
    total_score = models.FloatField(_("score total"), default=0)
    upper_bound = models.FloatField(_("borne supérieure prouvée"), default=0)
    optimal = models.BooleanField(_("optimale"), default=False)
    seconds = models.FloatField(_("durée (s)"), default=0)
    weights = models.JSONField(_("pondérations utilisées"), default=dict)
    # [{"application": id, "reason": code, "competences": [ids]}]: needs left without a match.
    unmatched = models.JSONField(_("besoins sans proposition"), default=list, blank=True)
    # Locks that could not be kept (their pair became impossible), for the summary.
    warnings = models.JSONField(_("avertissements"), default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("mise en relation")
        verbose_name_plural = _("mises en relation")

    def __str__(self) -> str:
        return f"{self.call} — {self.created_at:%Y-%m-%d %H:%M}"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposée")
    LOCKED = "locked", _("Verrouillée")
    PUBLISHED = "published", _("Envoyée à la personne-ressource")
    ACCEPTED = "accepted", _("Acceptée")
    DECLINED = "declined", _("Déclinée")
    WITHDRAWN = "withdrawn", _("Retirée")


class Proposal(models.Model):
    """A pair of a run: rank 0 is the pair chosen by the solver, ranks 1-5 the alternatives."""

    run = models.ForeignKey(MatchingRun, on_delete=models.CASCADE, related_name="proposals")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("besoin")
    )
    # No index of its own: the (resource_person, status) index below serves its lookups.
    # A run inserts ~12,000 rows at once, and each index costs (measured on SQLite: this
    # one was 30 % of the insert).
    resource_person = models.ForeignKey(
        ResourcePerson,
        on_delete=models.CASCADE,
        related_name="proposals",
        verbose_name=_("personne-ressource"),
        db_index=False,
    )
    score = models.FloatField(_("score"))
    # [{"code", "points", "params"}] as computed by pairing.scoring; kept as JSON text (see
    # JSONTextField): written once per run, read whole, never queried into.
    components = JSONTextField(_("détail du score"), default=list)
    rank = models.PositiveSmallIntegerField(_("rang"), default=0)
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=ProposalStatus.choices,
        default=ProposalStatus.PROPOSED,
    )
    published_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        ordering = ["application__reference", "rank", "pk"]
        verbose_name = _("proposition")
        verbose_name_plural = _("propositions")
        # A plain index on status: db_index=True would add a LIKE twin on PostgreSQL, and a
        # partial index of the proposals sent is of no use to SQLite with bound parameters.
        indexes = [
            models.Index(fields=["resource_person", "status"]),
            models.Index(fields=["status"], name="pairing_proposal_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(rank__lte=5), name="proposal_rank_at_most_5"),
            models.CheckConstraint(
                condition=models.Q(status__in=["proposed", "withdrawn"]) | models.Q(rank=0),
                name="only_chosen_proposal_moves_on",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} → {self.resource_person}"

    @property
    def is_chosen(self) -> bool:
        return self.rank == 0


class PairKind(models.TextChoices):
    LOCK = "lock", _("Verrouillée")
    FORBID = "forbid", _("Interdite")


class PairRule(models.Model):
    """A coordinator's decision on a pair, kept across runs of the call."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="pair_rules")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="pair_rules"
    )
    resource_person = models.ForeignKey(
        ResourcePerson, on_delete=models.CASCADE, related_name="pair_rules"
    )
    kind = models.CharField(_("règle"), max_length=10, choices=PairKind.choices)
    created_by = actor_field(_("par"))
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("règle de paire")
        verbose_name_plural = _("règles de paires")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "resource_person"], name="unique_pair_rule"
            ),
            # A need has at most one locked resource person.
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(kind="lock"),
                name="one_lock_per_application",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} : {self.application} → {self.resource_person}"


class InvitationDecision(models.TextChoices):
    ACCEPTED = "accepted", _("Acceptée")
    DECLINED = "declined", _("Déclinée")


class MentorInvitation(models.Model):
    """The one-time link e-mailed to the resource person; only the token's hash is stored."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(_("envoyée le"))
    expires_at = models.DateTimeField(_("valable jusqu'au"))
    decided_at = models.DateTimeField(_("réponse le"), null=True, blank=True)
    decision = models.CharField(
        _("réponse"), max_length=10, choices=InvitationDecision.choices, blank=True
    )
    comment = models.TextField(_("commentaire"), blank=True, max_length=2000)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("invitation de la personne-ressource")
        verbose_name_plural = _("invitations des personnes-ressources")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision="") | models.Q(decided_at__isnull=False),
                name="invitation_decision_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("sent_at")),
                name="invitation_expires_after_sending",
            ),
        ]

    def __str__(self) -> str:
        return str(self.proposal)
