"""Reads of the matching pages: a constant number of queries whatever the number of rows."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import Http404

from maillage.applications.models import Application, ApplicationState
from maillage.calls.models import Call
from maillage.competences.models import Competence
from maillage.people.models import User

from . import explain
from .models import MatchingRun, MentorInvitation, PairRule, Proposal, ProposalStatus


def calls_overview() -> QuerySet[Call]:
    return Call.objects.select_related("programme").annotate(
        # distinct: the join with the runs repeats each application once per run.
        accepted=Count(
            "applications",
            filter=Q(applications__state=ApplicationState.ACCEPTED),
            distinct=True,
        ),
        last_run=Max("matching_runs__created_at"),
    )


def latest_run(call_id: int) -> MatchingRun | None:
    return MatchingRun.objects.filter(call_id=call_id).order_by("-created_at", "-pk").first()


def _application_details() -> list[Any]:
    return [
        "application__organisation__commune",
        "resource_person__user__organisation",
        "resource_person__commune",
    ]


def _competences() -> Prefetch:
    return Prefetch(
        "application__competences", queryset=Competence.objects.select_related("domain")
    )


@dataclass
class Row:
    proposal: Proposal
    summary: str
    lines: list[explain.Line]
    alternatives: list[tuple[Proposal, str]] = field(default_factory=list)


def proposal_rows(run: MatchingRun) -> list[Row]:
    """The chosen pair of each need with its alternatives (ranks 1-5), explained."""
    proposals = list(
        Proposal.objects.filter(run=run)
        .select_related(*_application_details())
        .prefetch_related(_competences())
        .order_by("application__reference", "application_id", "rank", "pk")
    )
    alternatives: dict[int, list[Proposal]] = defaultdict(list)
    chosen: dict[int, Proposal] = {}
    for proposal in proposals:
        if proposal.rank == 0 and proposal.status in (
            ProposalStatus.PROPOSED,
            ProposalStatus.LOCKED,
            ProposalStatus.WITHDRAWN,
        ):
            # Of several rank-0 rows (a forbidden pair), keep the live one.
            current = chosen.get(proposal.application_id)
            if current is None or current.status == ProposalStatus.WITHDRAWN:
                chosen[proposal.application_id] = proposal
        elif proposal.rank > 0:
            alternatives[proposal.application_id].append(proposal)
    return [
        Row(
            proposal=proposal,
            summary=explain.summary(proposal.components),
            lines=explain.breakdown(proposal.components),
            alternatives=[
                (alt, explain.summary(alt.components))
                for alt in alternatives.get(application_id, [])
            ],
        )
        for application_id, proposal in chosen.items()
    ]


def committed_proposals(call: Call) -> list[Proposal]:
    """Proposals sent to resource persons for this call, and their answers."""
    return list(
        Proposal.objects.filter(
            run__call=call,
            status__in=[
                ProposalStatus.PUBLISHED,
                ProposalStatus.ACCEPTED,
                ProposalStatus.DECLINED,
            ],
        )
        .select_related(*_application_details())
        .order_by("application__reference", "application_id", "-published_at")
    )


@dataclass
class Unmatched:
    application: Application
    reason: str


def unmatched_needs(run: MatchingRun) -> list[Unmatched]:
    entries = {entry["application"]: entry for entry in run.unmatched}
    applications = (
        Application.objects.filter(pk__in=list(entries))
        .select_related("organisation__commune")
        .prefetch_related(Prefetch("competences", queryset=Competence.objects.all()))
        .order_by("reference", "pk")
    )
    # A need re-proposed after the run (by a decline) is no longer unmatched.
    live = set(
        Proposal.objects.filter(
            application_id__in=list(entries),
            status__in=[ProposalStatus.PUBLISHED, ProposalStatus.ACCEPTED],
        ).values_list("application_id", flat=True)
    )
    return [
        Unmatched(application, explain.reason(entries[application.pk]["reason"]))
        for application in applications
        if application.pk not in live
    ]


def missing_competences(call: Call) -> list[dict[str, Any]]:
    """Competences wanted by the call's needs that no validated resource person of the region
    holds (latest run): ``[{"competence": Competence, "needs": n}]``, most wanted first."""
    run = latest_run(call.pk)
    if run is None:
        return []
    counts: Counter[int] = Counter()
    for entry in run.unmatched:
        if entry.get("reason") == "no_competence":
            counts.update(set(entry.get("competences", [])))
    competences = Competence.objects.in_bulk(list(counts))
    return [
        {"competence": competences[pk], "needs": count}
        for pk, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        if pk in competences
    ]


def pair_rules(call: Call) -> list[PairRule]:
    return list(
        PairRule.objects.filter(call=call).select_related("application", "resource_person__user")
    )


def pending_proposals_for(user: User) -> list[Proposal]:
    """The resource person's proposals awaiting their answer."""
    if not user.is_authenticated:
        return []
    return list(
        Proposal.objects.filter(resource_person__user=user, status=ProposalStatus.PUBLISHED)
        .select_related("run__call", "application__organisation__commune")
        .prefetch_related(_competences())
        .order_by("-published_at")
    )


def own_published_proposal(user: User, pk: int) -> Proposal:
    """A proposal of this resource person (any status); 404 for anyone else's."""
    proposal = (
        Proposal.objects.filter(pk=pk, resource_person__user=user)
        .exclude(status__in=[ProposalStatus.PROPOSED, ProposalStatus.LOCKED])
        .select_related("run__call", "application__organisation__commune")
        .prefetch_related(_competences())
        .first()
    )
    if proposal is None:
        raise Http404
    return proposal


def invitation_by_token_hash(token_hash: str) -> MentorInvitation | None:
    return (
        MentorInvitation.objects.filter(token_hash=token_hash)
        .select_related(
            "proposal__run__call",
            "proposal__resource_person__user",
            "proposal__application__organisation__commune",
        )
        .prefetch_related(
            Prefetch(
                "proposal__application__competences",
                queryset=Competence.objects.select_related("domain"),
            )
        )
        .first()
    )
