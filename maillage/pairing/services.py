"""Writes of the matching: runs, pair rules, publication, the resource person's answer."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.applications.models import Application
from maillage.applications.services import coordination_email
from maillage.calls.models import Call
from maillage.core.emails import queue_templated_email
from maillage.core.tokens import hash_token, new_token
from maillage.matching import Candidate, Mentor, Need, Problem, solve
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
# days binding hard) 0.5 s leaves a 27 % gap, 1 s 1.1 %, 2 s 0.8 % (docs/benchmarks.md).
DEFAULT_TIME_LIMIT_S = 2.0
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


@transaction.atomic
def run_matching(call: Call, actor: User | None) -> MatchingRun:
    """Score the call's open needs, solve with the pair rules, store the run and proposals.

    Proposals of earlier runs not yet sent are withdrawn (the new run replaces them); locks
    and forbids (PairRule) carry over. A lock that became impossible is reported and skipped.
    """
    Call.objects.select_for_update().filter(pk=call.pk).first()
    data = profiles.build(call)
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
        need_id: {m: s for m, s in found.mentors if (need_id, m) not in forbidden}
        for need_id, found in candidates.items()
    }

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
        candidates=[
            Candidate(str(need_id), str(mentor_id), score)
            for need_id, found in lists.items()
            for mentor_id, score in found.items()
        ],
    )
    result = solve(
        problem,
        time_limit_s=float(
            getattr(settings, "MAILLAGE_MATCHING_TIME_LIMIT_S", DEFAULT_TIME_LIMIT_S)
        ),
        locked=[(str(n), str(m)) for n, m in locked],
        forbidden=[(str(n), str(m)) for n, m in forbidden if n in needs and m in mentors],
    )

    Proposal.objects.filter(
        run__call=call, status__in=[ProposalStatus.PROPOSED, ProposalStatus.LOCKED]
    ).update(status=ProposalStatus.WITHDRAWN)
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
    rows: list[Proposal] = []
    unmatched = []
    for need in data.needs:
        chosen = assigned.get(need.id)
        ranked = sorted(lists[need.id].items(), key=lambda item: (-item[1], item[0]))
        alternatives = [m for m, _score in ranked if m != chosen][:ALTERNATIVES]
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
            pair_score = scorer.score(need, mentor_id)
            if pair_score is None:
                continue
            is_locked = (need.id, mentor_id) in locked_set
            rows.append(
                Proposal(
                    run=run,
                    application_id=need.id,
                    resource_person_id=mentor_id,
                    score=pair_score.total,
                    components=explain.as_dicts(pair_score.components),
                    rank=rank if chosen else rank + 1,
                    status=ProposalStatus.LOCKED
                    if is_locked and rank == 0
                    else ProposalStatus.PROPOSED,
                )
            )
    Proposal.objects.bulk_create(rows, batch_size=1000)
    run.unmatched = unmatched
    run.save(update_fields=["unmatched"])
    return run


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
