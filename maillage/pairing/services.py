"""Writes of the matching: runs, pair rules, publication, the resource person's answer."""

from __future__ import annotations

import contextlib
import datetime
import gc
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.applications.models import Application
from maillage.applications.services import coordination_email
from maillage.calls.models import Call
from maillage.core.emails import queue_templated_email
from maillage.core.tokens import hash_token, new_token
from maillage.matching import CandidateColumns, Mentor, Need, Problem, solve
from maillage.people.models import ResourcePerson, User

from . import explain, profiles, scoring, selectors
from .models import (
    InvitationDecision,
    MatchingRun,
    MentorInvitation,
    PairKind,
    PairRule,
    Proposal,
    ProposalStatus,
)

INVITATION_VALIDITY = datetime.timedelta(days=21)
# Only matters when day capacities bind (then the engine returns its best with a proven
# bound); counts-only calls are always solved to optimality. On the demo call (2,000 needs,
# days binding hard), 0.4 s gives the LP bound, the residual MIP's first solution and a
# 1.1 % gap to that bound, within a run of about a second (docs/matching.md, Performance).
DEFAULT_TIME_LIMIT_S = 0.4
TOP_K = 20
ALTERNATIVES = 5
Absolute = Callable[[str], str]


class MatchingError(Exception):
    """A coordinator's action that cannot be carried out (message shown as is)."""


# --------------------------------------------------------------------------------------------
# Running the matching
# --------------------------------------------------------------------------------------------


def _engine_organisation(prefix: str, pk: int, organisation_id: int | None) -> str:
    # Without an organisation a side shares nobody's: give it a unique one.
    return f"o{organisation_id}" if organisation_id is not None else f"{prefix}{pk}"


def _candidate_columns(lists: dict[int, dict[int, float]]) -> CandidateColumns:
    """The engine's candidates as columns: no object per pair (a call has ~40,000)."""
    needs: list[str] = []
    mentors: list[str] = []
    scores: list[float] = []
    for need_id, found in lists.items():
        needs.extend([str(need_id)] * len(found))
        mentors.extend(map(str, found))
        scores.extend(found.values())
    return CandidateColumns(needs, mentors, scores)


class _Phases:
    """Wall-clock seconds per phase of a run, written into ``timings`` when one is given."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
        self.last = now


@contextlib.contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: a run allocates some 500,000 small objects
    (profiles, candidates, rows), and the full collections they trigger cost 30-50 ms of
    pauses per run (measured); nothing here creates reference cycles worth collecting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_matching(
    call: Call, actor: User | None, *, timings: dict[str, float] | None = None
) -> MatchingRun:
    """Score the call's open needs, solve with the pair rules, store the run and proposals.

    Proposals of earlier runs not yet sent are deleted (the new run replaces them); locks
    and forbids (PairRule) carry over. A lock that became impossible is reported and skipped.
    ``timings`` (optional) receives the seconds spent per phase: profiles, scoring, solve,
    store (bench/pairing.py reports them).
    """
    with _without_cyclic_gc(), transaction.atomic():
        return _run_matching(call, actor, _Phases(timings))


def _run_matching(call: Call, actor: User | None, phase: _Phases) -> MatchingRun:
    Call.objects.select_for_update().filter(pk=call.pk).first()
    data = profiles.build(call)
    if not data.needs:
        # An empty run would only hide the previous one's proposals behind "nothing to do".
        raise MatchingError(
            _(
                "Aucun besoin à mettre en relation dans cet appel : aucune candidature acceptée "
                "n'attend de personne-ressource (les besoins déjà envoyés ou acceptés ne sont "
                "pas recalculés)."
            )
        )
    phase("profiles")
    scorer = scoring.Scorer(data.mentors, data.weights)
    needs = {need.id: need for need in data.needs}
    rules = list(
        PairRule.objects.filter(call=call, application_id__in=list(needs)).select_related(
            "application"
        )
    )
    forbidden = {
        (r.application_id, r.resource_person_id) for r in rules if r.kind == PairKind.FORBID
    }
    candidates = scorer.all_candidates(data.needs, TOP_K)
    lists: dict[int, dict[int, float]] = {
        need_id: dict(found.mentors) for need_id, found in candidates.items()
    }
    for need_id, mentor_id in forbidden:
        if need_id in lists:
            lists[need_id].pop(mentor_id, None)

    warnings: list[str] = []
    mentors = {m.id: m for m in data.mentors}
    left = {m.id: [m.remaining_transfers, m.remaining_days] for m in data.mentors}
    locked: list[tuple[int, int]] = []
    for rule in sorted(
        (r for r in rules if r.kind == PairKind.LOCK), key=lambda r: (r.created_at, r.pk)
    ):
        need = needs[rule.application_id]
        pair_score = scorer.score(need, rule.resource_person_id)
        capacity = left.get(rule.resource_person_id)
        if pair_score is None or pair_score.total <= 0 or capacity is None:
            warnings.append(
                _("%(need)s : la paire verrouillée n'est plus possible")
                % {"need": rule.application}
            )
            continue
        if capacity[0] < 1 or capacity[1] < need.days:
            warnings.append(
                _("%(need)s : la personne-ressource verrouillée n'a plus de capacité")
                % {"need": rule.application}
            )
            continue
        capacity[0] -= 1
        capacity[1] -= need.days
        lists[need.id][rule.resource_person_id] = pair_score.total
        locked.append((need.id, rule.resource_person_id))

    problem = Problem(
        needs=[
            Need(str(n.id), n.days, _engine_organisation("a", n.id, n.organisation_id))
            for n in data.needs
        ],
        mentors=[
            Mentor(
                str(m.id),
                _engine_organisation("r", m.id, m.organisation_id),
                m.remaining_transfers,
                m.remaining_days,
            )
            for m in data.mentors
        ],
        candidates=_candidate_columns(lists),
    )
    phase("scoring")
    result = solve(
        problem,
        time_limit_s=float(
            getattr(settings, "MAILLAGE_MATCHING_TIME_LIMIT_S", DEFAULT_TIME_LIMIT_S)
        ),
        locked=[(str(n), str(m)) for n, m in locked],
        forbidden=[(str(n), str(m)) for n, m in forbidden if n in needs and m in mentors],
    )
    phase("solve")

    _discard_drafts(call)
    run = MatchingRun.objects.create(
        call=call,
        created_by=actor,
        total_score=result.total_score,
        upper_bound=result.upper_bound,
        optimal=result.optimal,
        seconds=result.seconds,
        weights={
            **{name: getattr(data.weights, name) for name in _WEIGHT_NAMES},
            "rural_departements": sorted(data.weights.rural_departements),
        },
        warnings=warnings,
    )
    assigned = {int(a.need): int(a.mentor) for a in result.assignments}
    locked_set = set(locked)
    # (need, mentor, rank, status) of the rows to store: the chosen pair (rank 0) and the
    # best alternatives (ranks 1-5), or only alternatives when the need got nobody.
    planned: list[tuple[scoring.NeedProfile, int, int, str]] = []
    unmatched = []
    locked_needs = {need_id for need_id, _mentor in locked}
    for need in data.needs:
        chosen = assigned.get(need.id)
        # Candidates come best first (ties: smaller id); only a locked pair taken from
        # outside them is out of place.
        scores = lists[need.id]
        ranked = list(scores)
        if need.id in locked_needs:
            ranked.sort(key=lambda m: (-scores[m], m))  # noqa: B023 - used at once
        alternatives = [m for m in ranked if m != chosen][:ALTERNATIVES]
        if chosen is None:
            found = candidates[need.id]
            unmatched.append(
                {
                    "application": need.id,
                    "reason": found.reason or "competition",
                    "competences": [c for c, _domain in need.competences],
                }
            )
        for rank, mentor_id in enumerate(([chosen] if chosen else []) + alternatives):
            status = (
                ProposalStatus.LOCKED
                if rank == 0 and (need.id, mentor_id) in locked_set
                else ProposalStatus.PROPOSED
            )
            planned.append((need, mentor_id, rank if chosen else rank + 1, status))
    explained = scorer.explained([(need, mentor_id) for need, mentor_id, _rank, _s in planned])
    _insert_proposals(
        run,
        [
            (need.id, mentor_id, written[0], written[1], rank, status)
            for (need, mentor_id, rank, status), written in zip(planned, explained, strict=True)
            if written is not None
        ],
    )
    run.unmatched = unmatched
    run.save(update_fields=["unmatched"])
    phase("store")
    return run


def _discard_drafts(call: Call) -> None:
    """Delete the proposals of the call's earlier runs that were never sent.

    A new run replaces them: the pages only ever show the latest run, the pair rules (locks,
    forbids) live apart, and the runs themselves stay as history (totals, warnings, needs
    left unmatched). Deleting rather than marking them withdrawn keeps no stale pairs naming
    resource persons (data minimisation) and is several times cheaper: on PostgreSQL an
    UPDATE of 12,000 rows writes a new version of each row in every index (0.3 s measured),
    a DELETE only marks them. Proposals sent, answered or declined have ``published_at`` and
    are kept, with their invitations.
    """
    drafts = (ProposalStatus.PROPOSED, ProposalStatus.LOCKED, ProposalStatus.WITHDRAWN)
    proposal = connection.ops.quote_name(Proposal._meta.db_table)
    run = connection.ops.quote_name(MatchingRun._meta.db_table)
    with connection.cursor() as cursor:
        # A plain DELETE: the ORM's would first read every row to collect cascades, and
        # drafts have no invitation to cascade to. Only quoted model metadata is interpolated.
        cursor.execute(
            f"DELETE FROM {proposal} WHERE published_at IS NULL"  # noqa: S608
            f" AND status IN (%s, %s, %s)"
            f" AND run_id IN (SELECT id FROM {run} WHERE call_id = %s)",
            [*(str(status) for status in drafts), call.pk],
        )


_PROPOSAL_COLUMNS = (
    "run",
    "application",
    "resource_person",
    "score",
    "components",
    "rank",
    "status",
    "updated_at",
)


def _insert_proposals(run: MatchingRun, rows: list[tuple[int, int, float, str, int, str]]) -> None:
    """Insert (application, person, score, components JSON text, rank, status) rows at once.

    A run stores ~6 rows per need (12,000 for a call of 2,000). Through the ORM's
    ``bulk_create`` that took more than a second, spent preparing model instances field by
    field; plain tuples go straight to the driver instead: one ``executemany`` on SQLite
    (one prepared statement), ``COPY`` on PostgreSQL (psycopg's client-side binding would
    otherwise quote 100,000 parameters into SQL text). The components arrive as JSON text
    already (``Scorer.explained``); ``published_at`` stays NULL.
    """
    if not rows:
        return
    table = connection.ops.quote_name(Proposal._meta.db_table)
    column = {field.name: str(field.column) for field in Proposal._meta.concrete_fields}
    columns = ", ".join(connection.ops.quote_name(column[name]) for name in _PROPOSAL_COLUMNS)
    now = timezone.now()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Only quoted model metadata is interpolated.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for application, person, score, components, rank, status in rows:
                    copy.write_row(
                        (run.pk, application, person, score, components, rank, str(status), now)
                    )
            return
        stamp = connection.ops.adapt_datetimefield_value(now)
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
            [
                (run.pk, application, person, score, components, rank, str(status), stamp)
                for application, person, score, components, rank, status in rows
            ],
        )


_WEIGHT_NAMES = (
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


# --------------------------------------------------------------------------------------------
# Pair rules
# --------------------------------------------------------------------------------------------


def _editable(proposal: Proposal) -> Proposal:
    proposal = Proposal.objects.select_for_update().select_related("run").get(pk=proposal.pk)
    latest = selectors.latest_run(proposal.run.call_id)
    if (
        latest is None
        or latest.pk != proposal.run_id
        or proposal.status
        not in (
            ProposalStatus.PROPOSED,
            ProposalStatus.LOCKED,
        )
    ):
        raise MatchingError(_("Cette proposition n'est plus modifiable : rechargez la page."))
    return proposal


@transaction.atomic
def lock(proposal: Proposal, actor: User) -> None:
    """Keep this pair in every later run (one lock per need)."""
    proposal = _editable(proposal)
    if not proposal.is_chosen:
        raise MatchingError(_("Seule la proposition retenue peut être verrouillée."))
    PairRule.objects.filter(application_id=proposal.application_id, kind=PairKind.LOCK).exclude(
        resource_person_id=proposal.resource_person_id
    ).delete()
    PairRule.objects.update_or_create(
        application_id=proposal.application_id,
        resource_person_id=proposal.resource_person_id,
        defaults={"call_id": proposal.run.call_id, "kind": PairKind.LOCK, "created_by": actor},
    )
    proposal.status = ProposalStatus.LOCKED
    proposal.save(update_fields=["status", "updated_at"])


@transaction.atomic
def forbid(proposal: Proposal, actor: User) -> None:
    """Never propose this pair again; the need waits for the next run."""
    proposal = _editable(proposal)
    PairRule.objects.update_or_create(
        application_id=proposal.application_id,
        resource_person_id=proposal.resource_person_id,
        defaults={"call_id": proposal.run.call_id, "kind": PairKind.FORBID, "created_by": actor},
    )
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.save(update_fields=["status", "updated_at"])


def choose_alternative(proposal: Proposal, actor: User) -> MatchingRun:
    """Lock an alternative pair, then re-run so that every other need is re-optimised."""
    with transaction.atomic():
        proposal = _editable(proposal)
        PairRule.objects.filter(application_id=proposal.application_id, kind=PairKind.LOCK).delete()
        PairRule.objects.update_or_create(
            application_id=proposal.application_id,
            resource_person_id=proposal.resource_person_id,
            defaults={"call_id": proposal.run.call_id, "kind": PairKind.LOCK, "created_by": actor},
        )
    return run_matching(proposal.run.call, actor)


def remove_rule(rule: PairRule) -> None:
    rule.delete()


# --------------------------------------------------------------------------------------------
# Publication and answers
# --------------------------------------------------------------------------------------------


def _invite(proposal: Proposal, absolute: Absolute, now: datetime.datetime) -> None:
    token, token_hash = new_token()
    MentorInvitation.objects.create(
        proposal=proposal,
        token_hash=token_hash,
        sent_at=now,
        expires_at=now + INVITATION_VALIDITY,
    )
    person = proposal.resource_person
    queue_templated_email(
        "pairing/email/invitation",
        {
            "person": person,
            "application": proposal.application,
            "link": absolute(reverse("pairing_public:answer", args=[token])),
            "expires_at": now + INVITATION_VALIDITY,
        },
        [person.user.email],
    )


@dataclass
class Publication:
    published: int
    skipped: int


@transaction.atomic
def publish(call: Call, absolute: Absolute) -> Publication:
    """E-mail each chosen, not yet sent proposal of the latest run to its resource person.

    Capacities are checked again against what is already committed this year, so a mentor
    never exceeds the programme's transfers (or their days) whatever happened since the run.
    """
    run = selectors.latest_run(call.pk)
    if run is None:
        return Publication(0, 0)
    pending = list(
        Proposal.objects.select_for_update()
        .filter(run=run, rank=0, status__in=[ProposalStatus.PROPOSED, ProposalStatus.LOCKED])
        .select_related("resource_person__user", "application")
        .order_by("-score", "pk")
    )
    usage = profiles.usage_this_year()
    max_transfers = call.programme.max_transfers_per_resource_person_per_year
    added: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    now = timezone.now()
    published = skipped = 0
    for proposal in pending:
        person = proposal.resource_person
        used = usage.get(person.pk, (0, 0))
        days = proposal.application.days or call.programme.min_days_per_transfer
        extra = added[person.pk]
        if (
            used[0] + extra[0] + 1 > max_transfers
            or used[1] + extra[1] + days > person.days_per_year
        ):
            skipped += 1
            continue
        extra[0] += 1
        extra[1] += days
        proposal.status = ProposalStatus.PUBLISHED
        proposal.published_at = now
        proposal.save(update_fields=["status", "published_at", "updated_at"])
        _invite(proposal, absolute, now)
        published += 1
    return Publication(published, skipped)


@dataclass(frozen=True)
class InvitationLink:
    invitation: MentorInvitation | None
    # "valid", "unknown", "used", "expired" or "withdrawn"
    status: str


def invitation_link(token: str, now: datetime.datetime | None = None) -> InvitationLink:
    now = now or timezone.now()
    invitation = selectors.invitation_by_token_hash(hash_token(token))
    if invitation is None:
        return InvitationLink(None, "unknown")
    if invitation.decision:
        return InvitationLink(invitation, "used")
    if invitation.proposal.status != ProposalStatus.PUBLISHED:
        return InvitationLink(invitation, "withdrawn")
    if invitation.expires_at <= now:
        return InvitationLink(invitation, "expired")
    return InvitationLink(invitation, "valid")


@dataclass
class Answer:
    proposal: Proposal
    # On a decline: the next proposal sent, if any.
    next_proposal: Proposal | None = None


@transaction.atomic
def answer(
    proposal: Proposal,
    *,
    accept: bool,
    comment: str,
    absolute: Absolute,
    invitation: MentorInvitation | None = None,
) -> Answer:
    """The resource person accepts or declines a published proposal (once)."""
    proposal = (
        Proposal.objects.select_for_update()
        .select_related("run__call__programme", "application__applicant", "resource_person__user")
        .get(pk=proposal.pk)
    )
    if proposal.status != ProposalStatus.PUBLISHED:
        raise MatchingError(_("Cette proposition a déjà reçu une réponse."))
    now = timezone.now()
    proposal.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.DECLINED
    proposal.save(update_fields=["status", "updated_at"])
    open_invitations = MentorInvitation.objects.filter(proposal=proposal, decision="")
    if invitation is not None:
        open_invitations = open_invitations.filter(pk=invitation.pk)
    open_invitations.update(
        decision=InvitationDecision.ACCEPTED if accept else InvitationDecision.DECLINED,
        decided_at=now,
        comment=comment,
    )
    application = proposal.application
    person = proposal.resource_person
    context = {
        "application": application,
        "person": person,
        "comment": comment,
        "link": absolute(reverse("pairing:call", args=[proposal.run.call_id])),
    }
    if accept:
        queue_templated_email(
            "pairing/email/accepted_applicant", context, [application.applicant.email]
        )
        queue_templated_email(
            "pairing/email/accepted_coordination", context, [coordination_email()]
        )
        return Answer(proposal)
    PairRule.objects.update_or_create(
        application=application,
        resource_person=person,
        defaults={"call_id": proposal.run.call_id, "kind": PairKind.FORBID, "created_by": None},
    )
    following = propose_next(proposal.run, application, absolute)
    context["next_person"] = following.resource_person if following else None
    queue_templated_email("pairing/email/declined_coordination", context, [coordination_email()])
    return Answer(proposal, following)


def propose_next(run: MatchingRun, application: Application, absolute: Absolute) -> Proposal | None:
    """After a decline: the best pair still feasible for this need, published at once.

    With a single need the optimum is simply its best compatible candidate: capacities are
    recomputed from what is committed now, and forbidden pairs (declines included) excluded.
    """
    data = profiles.build(run.call, [application.pk])
    if not data.needs:
        return None
    need = data.needs[0]
    scorer = scoring.Scorer(data.mentors, data.weights)
    forbidden = set(
        PairRule.objects.filter(application=application, kind=PairKind.FORBID).values_list(
            "resource_person_id", flat=True
        )
    )
    found = scorer.candidates(need, TOP_K + len(forbidden))
    best = next((m for m, _score in found.mentors if m not in forbidden), None)
    if best is None:
        # Listed with the call's latest run, the one its page shows.
        run = selectors.latest_run(run.call_id) or run
        run.unmatched = [u for u in run.unmatched if u.get("application") != application.pk] + [
            {
                "application": application.pk,
                "reason": found.reason or "declined",
                "competences": [c for c, _domain in need.competences],
            }
        ]
        run.save(update_fields=["unmatched"])
        return None
    pair_score = scorer.score(need, best)
    assert pair_score is not None  # the candidate passed the same hard rules
    now = timezone.now()
    proposal = Proposal.objects.create(
        run=run,
        application=application,
        resource_person=ResourcePerson.objects.select_related("user").get(pk=best),
        score=pair_score.total,
        components=explain.as_dicts(pair_score.components),
        rank=0,
        status=ProposalStatus.PUBLISHED,
        published_at=now,
    )
    _invite(proposal, absolute, now)
    return proposal
