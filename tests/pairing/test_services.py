"""Runs, pair rules, publication and answers (services), with their e-mails."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from maillage.pairing import profiles, scoring, selectors, services
from maillage.pairing.models import (
    MatchingRun,
    MentorInvitation,
    PairKind,
    PairRule,
    Proposal,
    ProposalStatus,
)

pytestmark = pytest.mark.django_db


def absolute(path: str) -> str:
    return "http://testserver" + path


def chosen(run, application) -> Proposal:
    return run.proposals.get(application=application, rank=0)


def token_of(message) -> str:
    match = re.search(r"/mise-en-relation/reponse/([^/]+)/", message.body)
    assert match, message.body
    return match.group(1)


def test_run_proposes_the_best_person_explains_and_lists_alternatives(scenario):
    need = scenario.need(scenario.budget, proposed_resource_person=scenario.second)
    orphan = scenario.need(scenario.rare)
    run = services.run_matching(scenario.call, scenario.coordinator)
    proposal = chosen(run, need)
    # The applicant's proposal (strong bonus) outweighs the expert's level and distance.
    assert proposal.resource_person == scenario.second
    assert {c["code"] for c in proposal.components} >= {"competence", "proposed", "distance"}
    alternatives = run.proposals.filter(application=need, rank__gt=0)
    assert [p.resource_person for p in alternatives][:1] == [scenario.expert]
    assert run.optimal and run.total_score == pytest.approx(run.upper_bound)
    assert run.unmatched == [
        {"application": orphan.pk, "reason": "no_competence", "competences": [scenario.rare.pk]}
    ]
    assert selectors.missing_competences(scenario.call) == [
        {"competence": scenario.rare, "needs": 1}
    ]
    assert run.weights["proposed"] == 50.0


def test_stored_proposals_carry_the_reference_scores_and_explanations(scenario):
    """The run writes its proposals with raw SQL from the scorer's columns: same rows as the
    reference scoring would give, read back through the ORM on either database."""
    needs = [
        scenario.need(scenario.budget, proposed_resource_person=scenario.second),
        scenario.need(scenario.budget, scenario.touring, format_remote=True),
        scenario.need(scenario.touring),
    ]
    timings: dict[str, float] = {}
    run = services.run_matching(scenario.call, scenario.coordinator, timings=timings)
    assert set(timings) == {"profiles", "scoring", "solve", "store"}
    assert all(seconds >= 0 for seconds in timings.values())
    data = profiles.build(scenario.call)
    scorer = scoring.Scorer(data.mentors, data.weights)
    by_id = {need.id: need for need in data.needs}
    stored = list(run.proposals.order_by("application_id", "rank"))
    assert {p.application_id for p in stored} == {n.pk for n in needs}
    for proposal in stored:
        reference = scorer.score(by_id[proposal.application_id], proposal.resource_person_id)
        assert reference is not None
        assert proposal.score == reference.total
        assert proposal.components == scoring.component_dicts(reference.components)
        assert proposal.status == ProposalStatus.PROPOSED and proposal.published_at is None
        assert proposal.updated_at is not None
    assert run.total_score == pytest.approx(sum(p.score for p in stored if p.rank == 0), abs=1e-6)


def test_same_organisation_is_never_proposed(scenario):
    need = scenario.need(scenario.budget, organisation=scenario.expert.user.organisation)
    run = services.run_matching(scenario.call, scenario.coordinator)
    assert chosen(run, need).resource_person == scenario.second
    assert not run.proposals.filter(application=need, resource_person=scenario.expert).exists()


def test_locks_and_forbids_are_kept_when_re_running(scenario):
    first = scenario.need(scenario.budget)
    second = scenario.need(scenario.budget)
    run = services.run_matching(scenario.call, scenario.coordinator)
    services.lock(chosen(run, first), scenario.coordinator)
    services.forbid(chosen(run, second), scenario.coordinator)
    locked_person = chosen(run, first).resource_person
    forbidden_person = chosen(run, second).resource_person
    assert chosen(run, second).status == ProposalStatus.WITHDRAWN

    rerun = services.run_matching(scenario.call, scenario.coordinator)
    assert chosen(rerun, first).resource_person == locked_person
    assert chosen(rerun, first).status == ProposalStatus.LOCKED
    assert not rerun.proposals.filter(application=second, resource_person=forbidden_person).exists()
    # The earlier run's drafts are deleted; the run itself stays as history.
    assert not run.proposals.exists()
    assert MatchingRun.objects.filter(pk=run.pk).exists()


def test_choosing_an_alternative_locks_it_and_re_runs(scenario):
    need = scenario.need(scenario.budget)
    run = services.run_matching(scenario.call, scenario.coordinator)
    alternative = run.proposals.filter(application=need, rank__gt=0).first()
    rerun = services.choose_alternative(alternative, scenario.coordinator)
    assert chosen(rerun, need).resource_person == alternative.resource_person
    assert PairRule.objects.get(application=need).kind == PairKind.LOCK


def test_an_outdated_proposal_cannot_be_changed(scenario):
    need = scenario.need(scenario.budget)
    run = services.run_matching(scenario.call, scenario.coordinator)
    proposal = chosen(run, need)
    services.forbid(proposal, scenario.coordinator)
    # Forbidden: no longer proposed nor locked.
    with pytest.raises(services.MatchingError):
        services.lock(proposal, scenario.coordinator)


def test_publish_sends_one_time_links_and_capacity_holds_across_runs(
    scenario, django_capture_on_commit_callbacks
):
    programme = scenario.call.programme
    programme.max_transfers_per_resource_person_per_year = 1
    programme.save()
    first = scenario.need(scenario.budget)
    run = services.run_matching(scenario.call, scenario.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.publish(scenario.call, absolute)
    assert result.published == 1
    proposal = chosen(run, first)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PUBLISHED
    assert mail.outbox[-1].to == [proposal.resource_person.user.email]
    invitation = MentorInvitation.objects.get(proposal=proposal)
    assert invitation.token_hash == services.hash_token(token_of(mail.outbox[-1]))
    assert invitation.expires_at - invitation.sent_at == datetime.timedelta(days=21)

    # A later need may not go to the same person this year (one transfer at most).
    later = scenario.need(scenario.budget)
    rerun = services.run_matching(scenario.call, scenario.coordinator)
    assert chosen(rerun, later).resource_person != proposal.resource_person
    assert not rerun.proposals.filter(application=first).exists()
    # The re-run deleted the earlier run's drafts but kept the proposal sent, its invitation.
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PUBLISHED
    assert set(run.proposals.values_list("pk", flat=True)) == {proposal.pk}
    assert MentorInvitation.objects.filter(proposal=proposal).exists()


def test_publish_re_checks_capacity(scenario, django_capture_on_commit_callbacks):
    programme = scenario.call.programme
    programme.max_transfers_per_resource_person_per_year = 1
    programme.save()
    a = scenario.need(scenario.budget)
    b = scenario.need(scenario.budget)
    run = services.run_matching(scenario.call, scenario.coordinator)
    # Meanwhile, another call's proposal was sent to the person chosen for ``a``.
    person = chosen(run, a).resource_person
    Proposal.objects.filter(pk=chosen(run, b).pk).update(resource_person=person)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.publish(scenario.call, absolute)
    assert (result.published, result.skipped) == (1, 1)
    assert Proposal.objects.filter(resource_person=person, status="published").count() == 1


def test_accepting_informs_the_coordination_and_the_applicant(
    scenario, django_capture_on_commit_callbacks
):
    need = scenario.need(scenario.budget)
    services.run_matching(scenario.call, scenario.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(scenario.call, absolute)
    token = token_of(mail.outbox[-1])
    link = services.invitation_link(token)
    assert link.status == "valid"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.answer(
            link.invitation.proposal,
            accept=True,
            comment="",
            absolute=absolute,
            invitation=link.invitation,
        )
    proposal = Proposal.objects.get(application=need, rank=0, status=ProposalStatus.ACCEPTED)
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([need.applicant.email, "coordination@maillage.invalid"])
    applicant_mail = next(m for m in mail.outbox if m.to == [need.applicant.email])
    assert proposal.resource_person.user.email in applicant_mail.body
    assert services.invitation_link(token).status == "used"
    with pytest.raises(services.MatchingError):
        services.answer(proposal, accept=False, comment="", absolute=absolute)


def test_declining_proposes_and_publishes_the_next_best(
    scenario, django_capture_on_commit_callbacks
):
    need = scenario.need(scenario.budget)
    services.run_matching(scenario.call, scenario.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(scenario.call, absolute)
    first = Proposal.objects.get(application=need, status=ProposalStatus.PUBLISHED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.answer(first, accept=False, comment="Pas disponible", absolute=absolute)
    first.refresh_from_db()
    assert first.status == ProposalStatus.DECLINED
    assert PairRule.objects.get(application=need, resource_person=first.resource_person).kind == (
        PairKind.FORBID
    )
    following = answer.next_proposal
    assert following is not None and following.status == ProposalStatus.PUBLISHED
    assert following.resource_person not in (first.resource_person,)
    assert following.resource_person == (
        scenario.second if first.resource_person == scenario.expert else scenario.expert
    )
    to = sorted(m.to[0] for m in mail.outbox)
    assert to == sorted([following.resource_person.user.email, "coordination@maillage.invalid"])
    assert "Pas disponible" in next(m for m in mail.outbox if "coordination" in m.to[0]).body


def test_declining_without_any_other_person_lists_the_need_as_unmatched(
    scenario, django_capture_on_commit_callbacks
):
    need = scenario.need(scenario.touring)
    run = services.run_matching(scenario.call, scenario.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(scenario.call, absolute)
    proposal = Proposal.objects.get(application=need, status=ProposalStatus.PUBLISHED)
    # Only the domain neighbours remain: forbid them so that nobody is left.
    for person in (scenario.expert, scenario.second):
        PairRule.objects.create(
            call=scenario.call, application=need, resource_person=person, kind=PairKind.FORBID
        )
    answer = services.answer(proposal, accept=False, comment="", absolute=absolute)
    assert answer.next_proposal is None
    run.refresh_from_db()
    assert [entry["reason"] for entry in run.unmatched] == ["declined"]
    assert [u.application for u in selectors.unmatched_needs(run)] == [need]


def test_invitation_link_statuses(scenario):
    from tests.factories import MentorInvitationFactory

    valid = MentorInvitationFactory(token="valide-0123456789")
    assert services.invitation_link("valide-0123456789").status == "valid"
    assert services.invitation_link("inconnu").status == "unknown"
    later = timezone.now() + datetime.timedelta(days=22)
    assert services.invitation_link("valide-0123456789", now=later).status == "expired"
    Proposal.objects.filter(pk=valid.proposal_id).update(status=ProposalStatus.WITHDRAWN)
    assert services.invitation_link("valide-0123456789").status == "withdrawn"
