"""Writes of the selection: grids, assignments, conflicts, scores, sessions and decisions."""

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.applications import services as application_services
from maillage.applications.models import Application, ApplicationState
from maillage.applications.workflow import TransitionError
from maillage.calls.models import Call
from maillage.core.emails import queue_templated_email
from maillage.people.models import Role, User

from . import assignment as balanced
from . import emailing, selectors
from .models import (
    CommitteeSession,
    ConflictDeclaration,
    ConflictKind,
    Criterion,
    DecisionEmailTemplate,
    Outcome,
    ReviewAssignment,
    Score,
    ScoringGrid,
    SessionItem,
)


class ReviewError(Exception):
    """A refused action, with a French message for the user."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# The four criteria suggested by the programme (label, description, weight, scale).
DEFAULT_CRITERIA: list[tuple[str, str, Decimal, int]] = [
    (
        "Précision du besoin",
        "Le besoin est concret, situé dans le quotidien de travail, et les résultats attendus "
        "sont clairs.",
        Decimal("2"),
        5,
    ),
    (
        "Pertinence de la personne-ressource",
        "La personne-ressource proposée (ou le profil recherché) correspond au besoin.",
        Decimal("1.5"),
        5,
    ),
    (
        "Impact pour la structure",
        "Ce que le transfert changera durablement pour la structure et son équipe.",
        Decimal("1.5"),
        5,
    ),
    (
        "Équilibre territorial",
        "Contribution à l'équilibre entre territoires (zones rurales, départements peu "
        "représentés).",
        Decimal("1"),
        5,
    ),
]


# --------------------------------------------------------------------------------------------
# Grid
# --------------------------------------------------------------------------------------------


@transaction.atomic
def save_grid(call: Call, rows: Sequence[dict[str, Any]]) -> ScoringGrid:
    """Replace the call's criteria by ``rows`` (label, description, weight, scale_max), in
    order. Refused once a score exists: earlier scores would no longer be comparable."""
    if not rows:
        raise ReviewError(_("La grille doit comporter au moins un critère."), "empty")
    grid, _created = ScoringGrid.objects.select_for_update().get_or_create(call=call)
    if grid.is_locked:
        raise ReviewError(
            _(
                "La grille est verrouillée : des évaluations ont déjà été saisies avec elle. "
                "La modifier rendrait les notes incomparables."
            ),
            "locked",
        )
    grid.criteria.all().delete()
    Criterion.objects.bulk_create(
        [
            Criterion(
                grid=grid,
                label=row["label"],
                description=row.get("description", ""),
                weight=row["weight"],
                scale_max=row["scale_max"],
                position=position,
            )
            for position, row in enumerate(rows, start=1)
        ]
    )
    grid.save(update_fields=["updated_at"])
    return grid


def default_grid_rows() -> list[dict[str, Any]]:
    return [
        {"label": label, "description": description, "weight": weight, "scale_max": scale}
        for label, description, weight, scale in DEFAULT_CRITERIA
    ]


# --------------------------------------------------------------------------------------------
# Assignments
# --------------------------------------------------------------------------------------------


def _notify_reviewers(new: dict[int, int], absolute: Callable[[str], str]) -> None:
    """One e-mail per member with the number of applications just entrusted to them."""
    for user in User.objects.filter(pk__in=list(new)):
        queue_templated_email(
            "review/email/assigned",
            {"reviewer": user, "count": new[user.pk], "link": absolute(reverse("review:mine"))},
            [user.email],
        )


def _check_assignable(application: Application, reviewer: User) -> None:
    if not reviewer.has_role(Role.COMMITTEE):
        raise ReviewError(_("Cette personne n'est pas membre du comité."), "not_committee")
    if application.state not in selectors.INSTRUCTION_STATES:
        raise ReviewError(
            _("Seule une candidature déposée ou en instruction peut être confiée au comité."),
            "state",
        )
    if reviewer.organisation_id and reviewer.organisation_id == application.organisation_id:
        raise ReviewError(
            _("%(name)s travaille dans la structure de la personne candidate : conflit d'intérêts.")
            % {"name": reviewer.full_name},
            "same_organisation",
        )


@transaction.atomic
def assign(
    application: Application,
    reviewers: Sequence[User],
    *,
    actor: User,
    absolute: Callable[[str], str],
) -> list[ReviewAssignment]:
    """Manual assignment; a member already assigned (or excluded) is refused."""
    created = []
    for reviewer in reviewers:
        _check_assignable(application, reviewer)
        if ReviewAssignment.objects.filter(application=application, reviewer=reviewer).exists():
            raise ReviewError(
                _("%(name)s est déjà attribué·e à cette candidature (ou s'en est retiré·e).")
                % {"name": reviewer.full_name},
                "duplicate",
            )
        created.append(
            ReviewAssignment.objects.create(
                application=application, reviewer=reviewer, assigned_by=actor
            )
        )
    _notify_reviewers(Counter(a.reviewer_id for a in created), absolute)
    return created


@transaction.atomic
def unassign(assignment: ReviewAssignment) -> None:
    """Only before the member starts: once scores exist they are part of the record."""
    if assignment.scores.exists() or hasattr(assignment, "conflict_declaration"):
        raise ReviewError(
            _(
                "Ce membre a déjà répondu (déclaration ou notes) : l'attribution est conservée "
                "pour la traçabilité."
            ),
            "started",
        )
    assignment.delete()


@dataclass(frozen=True)
class AutoAssignment:
    created: int
    applications: int
    short: int  # applications still below the target (not enough eligible members)


@transaction.atomic
def auto_assign(
    call: Call, *, per_application: int, actor: User, absolute: Callable[[str], str]
) -> AutoAssignment:
    """Balanced automatic assignment of the call's reviewable applications."""
    members = selectors.committee_members()
    if not members:
        raise ReviewError(_("Aucun membre du comité n'est enregistré."), "no_member")
    applications = list(
        Application.objects.select_for_update()
        .filter(call=call, state__in=selectors.REVIEWABLE_STATES)
        .order_by("pk")
    )
    existing = list(
        ReviewAssignment.objects.filter(application__call=call).values_list(
            "application_id", "reviewer_id", "conflict_declaration__kind"
        )
    )
    assigned: dict[int, set[int]] = defaultdict(set)
    excluded: dict[int, set[int]] = defaultdict(set)
    loads: Counter[int] = Counter()
    for application_id, reviewer_id, kind in existing:
        if kind and kind != ConflictKind.NONE:
            excluded[application_id].add(reviewer_id)
        else:
            assigned[application_id].add(reviewer_id)
            loads[reviewer_id] += 1
    plan = balanced.assign(
        [
            balanced.Item(
                a.pk, a.organisation_id, frozenset(assigned[a.pk]), frozenset(excluded[a.pk])
            )
            for a in applications
        ],
        [balanced.Reviewer(m.pk, m.organisation_id, loads[m.pk]) for m in members],
        per_item=per_application,
    )
    rows = [
        ReviewAssignment(application_id=app_id, reviewer_id=reviewer_id, assigned_by=actor)
        for app_id, reviewer_ids in plan.items()
        for reviewer_id in reviewer_ids
    ]
    ReviewAssignment.objects.bulk_create(rows)
    _notify_reviewers(Counter(r.reviewer_id for r in rows), absolute)
    short = sum(
        1 for a in applications if len(assigned[a.pk]) + len(plan.get(a.pk, [])) < per_application
    )
    return AutoAssignment(created=len(rows), applications=len(plan), short=short)


# --------------------------------------------------------------------------------------------
# Conflicts of interest and scores
# --------------------------------------------------------------------------------------------


@transaction.atomic
def declare(assignment: ReviewAssignment, *, kind: str, note: str = "") -> ConflictDeclaration:
    """Once, before seeing the application. A conflict excludes the member for good."""
    note = note.strip()
    if kind == ConflictKind.OTHER and not note:
        raise ReviewError(_("Précisez la nature du conflit d'intérêts."), "note_required")
    try:
        with transaction.atomic():
            return ConflictDeclaration.objects.create(assignment=assignment, kind=kind, note=note)
    except IntegrityError as error:
        raise ReviewError(_("Vous avez déjà fait votre déclaration."), "declared") from error


@transaction.atomic
def save_review(
    assignment: ReviewAssignment,
    *,
    values: dict[int, int | None],
    comments: dict[int, str],
    overall_comment: str,
    submit: bool,
) -> None:
    """Save the member's scores (a draft may be partial); ``submit`` requires every score."""
    assignment = (
        ReviewAssignment.objects.select_for_update(of=("self",))
        .select_related("application", "conflict_declaration")
        .get(pk=assignment.pk)
    )
    declaration = getattr(assignment, "conflict_declaration", None)
    if declaration is None or declaration.is_conflict:
        raise ReviewError(_("Déclarez d'abord l'absence de conflit d'intérêts."), "undeclared")
    if not selectors.review_is_open(assignment.application):
        raise ReviewError(
            _("La décision est prise : l'évaluation ne peut plus être modifiée."), "closed"
        )
    criteria = selectors.criteria_of(assignment.application.call)
    if not criteria:
        raise ReviewError(_("La grille d'évaluation de l'appel n'est pas encore prête."), "grid")
    missing = [c.label for c in criteria if values.get(c.pk) is None]
    if submit and missing:
        raise ReviewError(
            _("Notez chaque critère avant de valider : %(labels)s.")
            % {"labels": ", ".join(missing)},
            "incomplete",
        )
    for criterion in criteria:
        value = values.get(criterion.pk)
        if value is not None and not 0 <= value <= criterion.scale_max:
            raise ReviewError(
                _("La note de « %(label)s » doit être comprise entre 0 et %(max)s.")
                % {"label": criterion.label, "max": criterion.scale_max},
                "range",
            )
    Score.objects.filter(assignment=assignment).delete()
    Score.objects.bulk_create(
        [
            Score(
                assignment=assignment,
                criterion=criterion,
                value=value,
                comment=comments.get(criterion.pk, "").strip(),
            )
            for criterion in criteria
            if (value := values.get(criterion.pk)) is not None
        ]
    )
    assignment.overall_comment = overall_comment.strip()
    if submit:
        assignment.submitted_at = timezone.now()
    assignment.save(update_fields=["overall_comment", "submitted_at", "updated_at"])


# --------------------------------------------------------------------------------------------
# Committee sessions
# --------------------------------------------------------------------------------------------


def _assert_open(session: CommitteeSession) -> None:
    if session.is_locked:
        raise ReviewError(_("La séance est verrouillée : plus rien ne peut y être modifié."))


@transaction.atomic
def create_session(call: Call, *, title: str, date: datetime.date, actor: User) -> CommitteeSession:
    return CommitteeSession.objects.create(call=call, title=title, date=date, created_by=actor)


@transaction.atomic
def add_applications(
    session: CommitteeSession, application_ids: Sequence[int] | None = None
) -> int:
    """Put applications on the agenda: the chosen ones, or every one under review."""
    session = CommitteeSession.objects.select_for_update().get(pk=session.pk)
    _assert_open(session)
    addable = selectors.addable_applications(session)
    if application_ids is None:
        addable = addable.filter(state=ApplicationState.UNDER_REVIEW)
    else:
        addable = addable.filter(pk__in=application_ids)
    ids = list(addable.values_list("pk", flat=True).distinct())
    SessionItem.objects.bulk_create([SessionItem(session=session, application_id=pk) for pk in ids])
    return len(ids)


@transaction.atomic
def remove_item(item: SessionItem) -> None:
    _assert_open(item.session)
    item.delete()


@transaction.atomic
def record_decisions(session: CommitteeSession, decisions: dict[int, tuple[str, str]]) -> list[str]:
    """Store the decisions typed during the session (item id -> (outcome, motivation)).

    Returns the references of refusals left without a motivation (kept undecided)."""
    session = CommitteeSession.objects.select_for_update().get(pk=session.pk)
    _assert_open(session)
    missing: list[str] = []
    for item in SessionItem.objects.filter(session=session).select_related("application"):
        if item.pk not in decisions:
            continue
        outcome, motivation = decisions[item.pk]
        motivation = motivation.strip()
        if outcome == Outcome.REFUSED and not motivation:
            missing.append(str(item.application))
            outcome = ""
        item.decision, item.motivation = outcome, motivation
        item.save(update_fields=["decision", "motivation"])
    return missing


@transaction.atomic
def lock_session(
    session: CommitteeSession,
    *,
    actor: User,
    confirm_over_envelope: bool,
    absolute: Callable[[str], str],
) -> int:
    """Apply every decision through the applications' state machine, freeze the costs,
    lock the session and queue the decision e-mails. All or nothing."""
    session = CommitteeSession.objects.select_for_update().get(pk=session.pk)
    _assert_open(session)
    view = selectors.session_view(session)
    if not view.rows:
        raise ReviewError(_("La séance n'examine aucune candidature."), "empty")
    undecided = [str(r.item.application) for r in view.rows if not r.item.decision]
    if undecided:
        raise ReviewError(
            _("Chaque candidature doit recevoir une décision avant le verrouillage : %(refs)s.")
            % {"refs": ", ".join(undecided)},
            "undecided",
        )
    if view.over_envelope and not confirm_over_envelope:
        raise ReviewError(
            _(
                "Les candidatures acceptées dépassent le reste de l'enveloppe : confirmez "
                "explicitement le dépassement pour verrouiller."
            ),
            "over_envelope",
        )
    for row in view.rows:
        item, application = row.item, row.item.application
        item.estimated_fee, item.estimated_travel = row.cost.fee, row.cost.travel
        item.save(update_fields=["estimated_fee", "estimated_travel"])
        if application.state == item.decision == Outcome.WAITLISTED:
            continue  # stays on the waiting list: nothing changes, nothing to announce
        try:
            if (
                application.state == ApplicationState.SUBMITTED
                and item.decision != Outcome.NO_FOLLOW_UP
            ):
                application_services.start_review(application, actor=actor)
            application_services.decide(
                application, outcome=item.decision, motivation=item.motivation, actor=actor
            )
        except TransitionError as error:
            raise ReviewError(
                _(
                    "La candidature %(ref)s ne peut pas recevoir cette décision dans son état "
                    "actuel (%(state)s) : retirez-la de la séance ou attendez qu'elle soit "
                    "complétée."
                )
                % {"ref": application, "state": application.get_state_display()},
                "transition",
            ) from error
        application.refresh_from_db(fields=["state"])
        emailing.queue_decision_email(
            application,
            item.decision,
            item.motivation,
            absolute(reverse("applications:detail", args=[application.pk])),
        )
    session.locked_at = timezone.now()
    session.locked_by = actor
    session.over_envelope_confirmed = view.over_envelope
    session.save(update_fields=["locked_at", "locked_by", "over_envelope_confirmed"])
    return len(view.rows)


# --------------------------------------------------------------------------------------------
# Decision e-mail templates
# --------------------------------------------------------------------------------------------


@transaction.atomic
def save_email_template(outcome: str, *, subject: str, body: str, actor: User) -> None:
    DecisionEmailTemplate.objects.update_or_create(
        outcome=outcome, defaults={"subject": subject, "body": body, "updated_by": actor}
    )
