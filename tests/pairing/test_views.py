"""Coordinator pages, the token page, the dashboard section: access, content, queries."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from maillage.pairing import explain, selectors, services
from maillage.pairing.models import (
    MatchingRun,
    MatchingSettings,
    PairRule,
    Proposal,
    ProposalStatus,
)
from maillage.people.models import Role
from tests.factories import (
    CallFactory,
    MentorInvitationFactory,
    PairRuleFactory,
    ProposalFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OTHER_ROLES = [Role.APPLICANT, Role.RESOURCE_PERSON, Role.COMMITTEE, Role.FUNDER]


def staff_urls(proposal):
    call = proposal.run.call
    rule = PairRuleFactory(application=proposal.application)
    return {
        "get": [
            reverse("pairing:index"),
            reverse("pairing:call", args=[call.pk]),
            reverse("pairing:settings", args=[call.programme_id]),
        ],
        "post": [
            reverse("pairing:run", args=[call.pk]),
            reverse("pairing:publish", args=[call.pk]),
            reverse("pairing:lock", args=[proposal.pk]),
            reverse("pairing:forbid", args=[proposal.pk]),
            reverse("pairing:choose", args=[proposal.pk]),
            reverse("pairing:remove_rule", args=[rule.pk]),
        ],
    }


def test_coordinator_pages_redirect_anonymous_visitors_to_login(client):
    urls = staff_urls(ProposalFactory())
    for url in urls["get"]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("people:login"))
    for url in urls["post"]:
        response = client.post(url)
        assert response.status_code == 302 and response.url.startswith(reverse("people:login"))


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_coordinator_pages_are_forbidden_to_other_roles(client, role):
    urls = staff_urls(ProposalFactory())
    client.force_login(UserFactory(roles=[role]))
    assert [client.get(url).status_code for url in urls["get"]] == [403] * 3
    assert [client.post(url).status_code for url in urls["post"]] == [403] * 6


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_reach_the_pages(client, role):
    urls = staff_urls(ProposalFactory())
    client.force_login(UserFactory(roles=[role]))
    assert [client.get(url).status_code for url in urls["get"]] == [200] * 3
    assert client.get(reverse("pairing:call", args=[999999])).status_code == 404
    # Unknown ids are drafts deleted by a later run, as far as the page can tell.
    missing = client.post(reverse("pairing:lock", args=[999999]))
    assert (missing.status_code, missing["Location"]) == (302, reverse("pairing:index"))


def test_the_run_page_shows_summary_explanations_alternatives_and_reasons(client, scenario):
    scenario.need(scenario.budget)
    scenario.need(scenario.rare)
    client.force_login(scenario.coordinator)
    response = client.post(reverse("pairing:run", args=[scenario.call.pk]), follow=True)
    body = response.content.decode()
    assert "Mise en relation calculée" in body
    assert "borne supérieure prouvée" in body
    assert "même compétence, niveau expert" in body
    assert "alternative" in body
    assert "aucune personne-ressource validée n&#x27;a cette compétence dans la région" in body
    assert "Lutherie électronique" in body
    assert "Publier 1 proposition" in body


def test_lock_forbid_choose_and_publish_through_the_pages(
    client, scenario, django_capture_on_commit_callbacks
):
    first = scenario.need(scenario.budget)
    second = scenario.need(scenario.budget)
    client.force_login(scenario.coordinator)
    client.post(reverse("pairing:run", args=[scenario.call.pk]))
    p1 = Proposal.objects.get(application=first, rank=0, status="proposed")
    p2 = Proposal.objects.get(application=second, rank=0, status="proposed")
    client.post(reverse("pairing:lock", args=[p1.pk]))
    client.post(reverse("pairing:forbid", args=[p2.pk]))
    p1.refresh_from_db()
    p2.refresh_from_db()
    assert (p1.status, p2.status) == (ProposalStatus.LOCKED, ProposalStatus.WITHDRAWN)
    body = client.get(reverse("pairing:call", args=[scenario.call.pk])).content.decode()
    assert "Interdite" in body and "Verrouillée" in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("pairing:publish", args=[scenario.call.pk]), follow=True)
    assert "1 proposition(s) envoyée(s)" in response.content.decode()
    assert len(mail.outbox) == 1


def test_a_call_without_accepted_needs_is_not_run(client, scenario):
    client.force_login(scenario.coordinator)
    response = client.post(reverse("pairing:run", args=[scenario.call.pk]), follow=True)
    assert "Aucun besoin à mettre en relation dans cet appel" in response.content.decode()
    assert not MatchingRun.objects.filter(call=scenario.call).exists()


def test_a_page_left_open_on_an_earlier_run_explains_instead_of_failing(client, scenario):
    need = scenario.need(scenario.budget)
    client.force_login(scenario.coordinator)
    client.post(reverse("pairing:run", args=[scenario.call.pk]))
    stale = Proposal.objects.get(application=need, rank=0)
    client.post(reverse("pairing:run", args=[scenario.call.pk]))  # deletes the earlier drafts
    response = client.post(reverse("pairing:lock", args=[stale.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("pairing:index")
    assert "Cette proposition n&#x27;existe plus" in response.content.decode()
    assert not PairRule.objects.exists()


def test_the_proposals_page_runs_a_constant_number_of_queries(
    client, scenario, django_assert_max_num_queries
):
    client.force_login(scenario.coordinator)
    url = reverse("pairing:call", args=[scenario.call.pk])
    scenario.need(scenario.budget)
    scenario.need(scenario.rare)
    services.run_matching(scenario.call, scenario.coordinator)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for _ in range(4):
        scenario.need(scenario.budget)
        scenario.need(scenario.touring)
        scenario.need(scenario.rare)
    services.run_matching(scenario.call, scenario.coordinator)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('class="pairing-') >= 9


def test_settings_form_keeps_typed_values_on_error_then_saves(client, scenario):
    client.force_login(scenario.coordinator)
    url = reverse("pairing:settings", args=[scenario.call.programme_id])
    data = dict.fromkeys(MatchingSettings.WEIGHT_FIELDS, "10")
    data.update(proposed="-3", text="12,5", rural_departements=["48", "09"])
    response = client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Une pondération ne peut pas être négative." in body
    assert 'aria-invalid="true"' in body
    assert 'value="12,5"' in body and 'value="-3"' in body
    data["proposed"] = "60"
    assert client.post(url, data).status_code == 302
    saved = MatchingSettings.objects.get(programme=scenario.call.programme)
    assert float(saved.proposed) == 60 and float(saved.text) == 12.5
    assert sorted(saved.rural_departements) == ["09", "48"]


def test_token_page_shows_the_need_without_contact_details(client):
    invitation = MentorInvitationFactory(token="jeton-valide-abcdefghijklmnop")
    application = invitation.proposal.application
    url = reverse("pairing_public:answer", args=["jeton-valide-abcdefghijklmnop"])
    body = client.get(url).content.decode()
    assert application.need[:30].replace("'", "&#x27;") in body
    assert application.applicant.email not in body
    assert application.applicant.last_name not in body
    assert "J'accepte" in body
    assert client.get(reverse("pairing_public:answer", args=["nimporte-quoi"])).status_code == 404


def test_token_page_accepts_once_then_says_it_was_used(client, django_capture_on_commit_callbacks):
    invitation = MentorInvitationFactory(token="jeton-unique-abcdefghijklmnop")
    url = reverse("pairing_public:answer", args=["jeton-unique-abcdefghijklmnop"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"decision": "accept", "comment": ""})
    assert "Vous avez accepté" in response.content.decode()
    invitation.proposal.refresh_from_db()
    assert invitation.proposal.status == ProposalStatus.ACCEPTED
    again = client.get(url)
    assert again.status_code == 410
    assert "déjà répondu" in again.content.decode()


def test_expired_link_says_so(client):
    invitation = MentorInvitationFactory(token="jeton-expire-abcdefghijklmnop")
    past = invitation.sent_at - datetime.timedelta(days=30)
    type(invitation).objects.filter(pk=invitation.pk).update(
        sent_at=past, expires_at=past + datetime.timedelta(days=21)
    )
    response = client.get(reverse("pairing_public:answer", args=["jeton-expire-abcdefghijklmnop"]))
    assert response.status_code == 410
    assert "Ce lien a expiré" in response.content.decode()


def test_dashboard_lists_only_the_persons_own_pending_proposals(client):
    mine = MentorInvitationFactory().proposal
    theirs = MentorInvitationFactory().proposal
    person = mine.resource_person.user
    client.force_login(person)
    body = client.get(reverse("core:dashboard_resource_person")).content.decode()
    assert mine.application.reference in body
    assert theirs.application.reference not in body
    own = reverse("pairing_public:my_proposal", args=[mine.pk])
    assert own in body
    assert client.get(own).status_code == 200
    assert client.get(reverse("pairing_public:my_proposal", args=[theirs.pk])).status_code == 404
    client.force_login(UserFactory(roles=[Role.APPLICANT]))
    assert client.get(own).status_code == 403
    client.logout()
    assert client.get(own).status_code == 302


def test_the_person_can_decline_from_the_dashboard(client, django_capture_on_commit_callbacks):
    proposal = MentorInvitationFactory().proposal
    client.force_login(proposal.resource_person.user)
    url = reverse("pairing_public:my_proposal", args=[proposal.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"decision": "decline", "comment": "Trop loin"})
    assert "Vous avez décliné" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DECLINED
    assert any("Trop loin" in m.body for m in mail.outbox)


def test_explanation_in_plain_french():
    components = [
        {
            "code": "competence",
            "points": 55,
            "params": {"wanted": 1, "exact": 1, "domain": 0, "level": 3},
        },
        {"code": "level", "points": 15, "params": {}},
        {"code": "text", "points": 0, "params": {"relevance": 0}},
        {
            "code": "distance",
            "points": 10,
            "params": {"km": 42, "radius": 100, "remote": False, "remote_only": False},
        },
        {"code": "formats", "points": 5, "params": {"formats": ["immersion"]}},
        {"code": "availability", "points": 10, "params": {"covered": 0, "wanted": 0}},
        {"code": "proposed", "points": 50, "params": {}},
    ]
    with translation.override("fr"):
        assert explain.summary(components) == (
            "même compétence, niveau expert ; 42 km ; format immersion compatible ; "
            "proposé·e par la personne candidate"
        )
        far = {"km": 1234, "radius": 100, "remote": False, "remote_only": False}
        assert re.fullmatch(
            r"1\s234 km, au-delà des 100 km acceptés", explain.phrase("distance", far)
        )
        assert (
            explain.phrase("competence", {"wanted": 3, "exact": 2, "domain": 1, "level": 2})
            == "2 compétences sur 3, niveau avancé, 1 du même domaine"
        )
        assert (
            explain.phrase("text", {"relevance": 63})
            == "description proche du besoin (pertinence 63 %)"
        )
        assert explain.phrase("availability", {"covered": 1, "wanted": 3}) == (
            "disponible 1 mois sur 3"
        )


def test_index_lists_calls(client):
    CallFactory(title="Appel de printemps")
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    assert "Appel de printemps" in client.get(reverse("pairing:index")).content.decode()


def test_index_counts_each_accepted_need_once_whatever_the_number_of_runs(client, scenario):
    scenario.need(scenario.budget)
    scenario.need(scenario.touring)
    for _ in range(3):
        services.run_matching(scenario.call, scenario.coordinator)
    call = selectors.calls_overview().get(pk=scenario.call.pk)
    assert call.accepted == 2
    assert (
        call.last_run
        == MatchingRun.objects.filter(call=scenario.call).latest("created_at").created_at
    )
