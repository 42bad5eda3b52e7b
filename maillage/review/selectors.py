"""Read-side queries of the selection: constant number of queries per page."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404

from maillage.applications.models import Application, ApplicationState
from maillage.calls.costs import CostEstimate
from maillage.calls.models import Call, TransferFormat
from maillage.people.models import Role, User

from . import budget, stats
from .models import (
    CommitteeSession,
    ConflictKind,
    Criterion,
    Outcome,
    ReviewAssignment,
    ScoringGrid,
    SessionItem,
)

# Applications the committee reviews (déposée, en instruction).
REVIEWABLE_STATES = (ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW)
# Shown on the assignment page: also those sent back to the applicant for completion.
INSTRUCTION_STATES = (*REVIEWABLE_STATES, ApplicationState.TO_COMPLETE)
# What a session may decide on (a waiting list is decided again in a later session).
SESSION_STATES = (*REVIEWABLE_STATES, ApplicationState.WAITLISTED)
DECIDED_STATES = (
    ApplicationState.ACCEPTED,
    ApplicationState.WAITLISTED,
    ApplicationState.REFUSED,
    ApplicationState.NO_FOLLOW_UP,
)
CONFLICTS = [kind for kind in ConflictKind.values if kind != ConflictKind.NONE]
DEFAULT_PER_APPLICATION = 2


# --------------------------------------------------------------------------------------------
# Calls, grids, committee members
# --------------------------------------------------------------------------------------------


def call_or_404(pk: int) -> Call:
    return get_object_or_404(Call.objects.select_related("programme"), pk=pk)


def calls_overview() -> QuerySet[Call]:
    return Call.objects.annotate(
        n_reviewable=Count("applications", filter=Q(applications__state__in=SESSION_STATES)),
        n_decided=Count("applications", filter=Q(applications__state__in=DECIDED_STATES)),
    ).order_by("-opens_on")


def grid_of(call: Call) -> ScoringGrid | None:
    return ScoringGrid.objects.filter(call=call).first()


def criteria_of(call: Call) -> list[Criterion]:
    return list(Criterion.objects.filter(grid__call=call).order_by("position", "pk"))


def specs(criteria: list[Criterion]) -> list[stats.CriterionSpec]:
    return [stats.CriterionSpec(c.pk, float(c.weight), c.scale_max) for c in criteria]


def committee_members() -> list[User]:
    return list(
        User.objects.filter(is_active=True, role_grants__role=Role.COMMITTEE)
        .select_related("organisation")
        .order_by("last_name", "first_name", "pk")
        .distinct()
    )


def _not_conflicted(queryset: QuerySet[ReviewAssignment]) -> QuerySet[ReviewAssignment]:
    return queryset.exclude(conflict_declaration__kind__in=CONFLICTS)


# --------------------------------------------------------------------------------------------
# Committee members' side
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewerRow:
    assignment: ReviewAssignment
    scored: int
    criteria: int

    @property
    def status(self) -> str:
        a = self.assignment
        if not hasattr(a, "conflict_declaration"):
            return "to_declare"
        if a.submitted_at:
            return "submitted"
        return "in_progress" if self.scored else "to_score"


def reviewer_rows(user: User) -> list[ReviewerRow]:
    """The member's assignments, never those where they declared a conflict."""
    assignments = list(
        _not_conflicted(ReviewAssignment.objects.filter(reviewer=user))
        .select_related(
            "application__call", "application__organisation__commune", "conflict_declaration"
        )
        .annotate(n_scores=Count("scores"))
        .order_by("submitted_at", "application__call__opens_on", "application__reference")
    )
    call_ids = {a.application.call_id for a in assignments}
    per_call = dict(
        Criterion.objects.filter(grid__call_id__in=call_ids)
        .values_list("grid__call_id")
        .annotate(n=Count("pk"))
        .values_list("grid__call_id", "n")
    )
    rows = [ReviewerRow(a, a.n_scores, per_call.get(a.application.call_id, 0)) for a in assignments]
    # Work still to do first.
    return sorted(rows, key=lambda r: r.status == "submitted")


def reviewer_assignment(user: User, pk: int) -> ReviewAssignment:
    """The member's own, non-conflicted assignment; anything else is a 404."""
    assignment = (
        _not_conflicted(ReviewAssignment.objects.filter(reviewer=user, pk=pk))
        .select_related(
            "application__call__programme",
            "application__applicant",
            "application__organisation__commune__departement",
            "application__proposed_resource_person__user__organisation",
            "application__proposed_resource_person__commune",
            "conflict_declaration",
        )
        .prefetch_related(
            "application__competences",
            "application__attachments",
            "application__organisation__activities",
            "scores",
        )
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


def review_is_open(application: Application) -> bool:
    """Scores stay editable until the application is decided (its session locked)."""
    return application.state in INSTRUCTION_STATES


# --------------------------------------------------------------------------------------------
# Coordinators: assignments and scores
# --------------------------------------------------------------------------------------------


def _assignments_prefetch() -> Prefetch:
    return Prefetch(
        "review_assignments",
        queryset=ReviewAssignment.objects.select_related(
            "reviewer__organisation", "conflict_declaration"
        ).prefetch_related("scores"),
    )


@dataclass
class ApplicationScores:
    application: Application
    active: list[ReviewAssignment]
    conflicted: list[ReviewAssignment]
    aggregate: stats.Aggregate
    # Mean per criterion, in the grid's order (None before any completed review).
    means: list[float | None]

    @property
    def needs_reviewer(self) -> bool:
        return len(self.active) < DEFAULT_PER_APPLICATION

    @property
    def completed(self) -> int:
        return self.aggregate.count


def scores_of(application: Application, criteria: list[Criterion]) -> ApplicationScores:
    """From prefetched assignments and scores (no query)."""
    active: list[ReviewAssignment] = []
    conflicted: list[ReviewAssignment] = []
    for assignment in application.review_assignments.all():
        declaration = getattr(assignment, "conflict_declaration", None)
        (conflicted if declaration and declaration.is_conflict else active).append(assignment)
    reviews = []
    ids = {c.pk for c in criteria}
    for assignment in active:
        values = {s.criterion_id: float(s.value) for s in assignment.scores.all()}
        if assignment.submitted_at and ids and ids <= set(values):
            reviews.append(values)
    aggregate = stats.aggregate(reviews, specs(criteria)) if criteria else stats.aggregate([], [])
    means = [aggregate.criterion_means.get(c.pk) for c in criteria]
    return ApplicationScores(application, active, conflicted, aggregate, means)


def _call_applications(call: Call, states: tuple[str, ...]) -> QuerySet[Application]:
    return (
        Application.objects.filter(call=call, state__in=states)
        .select_related("organisation__commune", "applicant")
        .prefetch_related(_assignments_prefetch())
        .order_by("reference", "pk")
    )


def assignment_rows(call: Call, *, only_missing: bool = False) -> list[ApplicationScores]:
    criteria = criteria_of(call)
    rows = [scores_of(a, criteria) for a in _call_applications(call, INSTRUCTION_STATES)]
    if only_missing:
        rows = [r for r in rows if r.needs_reviewer]
    return rows


def results_rows(call: Call) -> list[ApplicationScores]:
    """Every reviewed application of the call, best weighted score first."""
    criteria = criteria_of(call)
    rows = [
        scores_of(a, criteria)
        for a in _call_applications(call, (*INSTRUCTION_STATES, *DECIDED_STATES))
    ]
    return sorted(
        rows,
        key=lambda r: (r.aggregate.mean_total is None, -(r.aggregate.mean_total or 0)),
    )


def application_scores(pk: int) -> tuple[ApplicationScores, list[Criterion]]:
    application = get_object_or_404(
        Application.objects.exclude(
            state__in=[ApplicationState.DRAFT, ApplicationState.AWAITING_EMPLOYER]
        )
        .select_related("call", "organisation", "applicant")
        .prefetch_related(_assignments_prefetch()),
        pk=pk,
    )
    criteria = criteria_of(application.call)
    return scores_of(application, criteria), criteria


# --------------------------------------------------------------------------------------------
# Committee sessions
# --------------------------------------------------------------------------------------------


def session_or_404(pk: int) -> CommitteeSession:
    return get_object_or_404(
        CommitteeSession.objects.select_related("call__programme", "locked_by"), pk=pk
    )


def sessions_of(call: Call) -> QuerySet[CommitteeSession]:
    return (
        CommitteeSession.objects.filter(call=call)
        .select_related("locked_by")
        .annotate(n_items=Count("items"))
    )


def committed_elsewhere(session: CommitteeSession) -> Decimal:
    """What the call's other locked sessions committed to accepted applications."""
    total = (
        SessionItem.objects.filter(
            session__call_id=session.call_id,
            session__locked_at__isnull=False,
            decision=Outcome.ACCEPTED,
        )
        .exclude(session=session)
        .aggregate(total=Sum(F("estimated_fee") + F("estimated_travel")))["total"]
    )
    return total or Decimal("0")


def addable_applications(session: CommitteeSession) -> QuerySet[Application]:
    """Applications of the call that may join the agenda: not decided for good, and not on
    the agenda of a session still open."""
    return (
        Application.objects.filter(call_id=session.call_id, state__in=SESSION_STATES)
        .exclude(
            pk__in=SessionItem.objects.filter(session__locked_at__isnull=True).values(
                "application_id"
            )
        )
        .select_related("organisation")
        .order_by("reference", "pk")
    )


@dataclass
class SessionRow:
    item: SessionItem
    scores: ApplicationScores
    cost: CostEstimate
    distance: float | None
    cumulative: Decimal
    over_envelope: bool


@dataclass
class SessionView:
    session: CommitteeSession
    rows: list[SessionRow]
    envelope: Decimal
    committed_before: Decimal
    remaining: Decimal
    accepted_total: Decimal
    default_distance: float

    @property
    def balance(self) -> Decimal:
        return self.remaining - self.accepted_total

    @property
    def over_envelope(self) -> bool:
        return self.accepted_total > self.remaining


def _distance(application: Application) -> float | None:
    person = application.proposed_resource_person
    organisation = application.organisation
    if person is None or organisation is None:
        return None
    a, b = organisation.commune, person.commune
    return budget.distance_km((a.latitude, a.longitude), (b.latitude, b.longitude))


def session_view(session: CommitteeSession) -> SessionView:
    criteria = criteria_of(session.call)
    items = list(
        SessionItem.objects.filter(session=session)
        .select_related(
            "application__call",
            "application__organisation__commune",
            "application__proposed_resource_person__commune",
            "application__applicant",
        )
        .prefetch_related(
            Prefetch(
                "application__review_assignments",
                queryset=ReviewAssignment.objects.select_related(
                    "conflict_declaration"
                ).prefetch_related("scores"),
            )
        )
    )
    rules = session.call.programme.cost_rules
    distances = {item.pk: _distance(item.application) for item in items}
    fallback = budget.default_distance([d for d in distances.values() if d is not None])
    scored = []
    for item in items:
        application = item.application
        remote_only = application.formats == [TransferFormat.REMOTE]
        cost = budget.estimate(
            rules,
            days=application.days or 0,
            distance=distances[item.pk],
            remote_only=remote_only,
            fallback=fallback,
        )
        if item.estimated_fee is not None and item.estimated_travel is not None:
            # Locked: the figures committed at the time, even if the rules changed since.
            cost = CostEstimate(fee=item.estimated_fee, travel=item.estimated_travel)
        scored.append((item, scores_of(application, criteria), cost))
    scored.sort(
        key=lambda t: (
            t[1].aggregate.mean_total is None,
            -(t[1].aggregate.mean_total or 0),
            t[0].application.reference or "",
        )
    )
    committed = committed_elsewhere(session)
    remaining = session.call.budget_envelope - committed
    rows, cumulative, accepted = [], Decimal("0"), Decimal("0")
    for item, scores, cost in scored:
        cumulative += cost.total
        if item.decision == Outcome.ACCEPTED:
            accepted += cost.total
        rows.append(
            SessionRow(item, scores, cost, distances[item.pk], cumulative, cumulative > remaining)
        )
    return SessionView(
        session=session,
        rows=rows,
        envelope=session.call.budget_envelope,
        committed_before=committed,
        remaining=remaining,
        accepted_total=accepted,
        default_distance=fallback,
    )


def pending_reviews_count(user: User) -> int:
    return (
        _not_conflicted(ReviewAssignment.objects.filter(reviewer=user, submitted_at__isnull=True))
        .filter(application__state__in=INSTRUCTION_STATES)
        .count()
    )


def reviewer_loads(call: Call) -> dict[int, int]:
    """Active assignments per member in the call (for the assignment page)."""
    return dict(
        _not_conflicted(ReviewAssignment.objects.filter(application__call=call))
        .values_list("reviewer_id")
        .annotate(n=Count("pk"))
        .values_list("reviewer_id", "n")
    )
