"""Coordination: grid, assignments, scores, committee sessions, decisions and their e-mails."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from maillage.applications.models import ApplicationState
from maillage.people.models import Role
from maillage.review.models import (
    CommitteeSession,
    Criterion,
    DecisionEmailTemplate,
    Outcome,
    ReviewAssignment,
    Score,
    SessionItem,
)
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CommitteeSessionFactory,
    ReviewAssignmentFactory,
    ScoringGridFactory,
    SessionItemFactory,
    UserFactory,
)

from .conftest import under_review

pytestmark = pytest.mark.django_db


def _formset(rows):
    data = {
        "criteres-TOTAL_FORMS": str(len(rows)),
        "criteres-INITIAL_FORMS": "0",
        "criteres-MIN_NUM_FORMS": "0",
        "criteres-MAX_NUM_FORMS": "12",
    }
    for i, (label, weight, scale) in enumerate(rows):
        data.update(
            {
                f"criteres-{i}-label": label,
                f"criteres-{i}-description": "",
                f"criteres-{i}-weight": weight,
                f"criteres-{i}-scale_max": scale,
            }
        )
    return data


def test_grid_is_prefilled_saved_then_locked_by_the_first_score(client, coordinator):
    call = CallFactory()
    url = reverse("review:grid", args=[call.pk])
    client.force_login(coordinator)
    body = client.get(url).content.decode()
    for label in ("Précision du besoin", "Pertinence de la personne-ressource", "Équilibre"):
        assert label in body
    response = client.post(url, _formset([("Besoin", "0", "5"), ("Impact", "1", "10")]))
    assert response.status_code == 400
    assert "strictement positif" in response.content.decode()
    response = client.post(url, _formset([("Besoin", "2", "5"), ("Impact", "1.5", "10")]))
    assert response.status_code == 302
    assert list(Criterion.objects.filter(grid__call=call).values_list("label", "scale_max")) == [
        ("Besoin", 5),
        ("Impact", 10),
    ]
    assignment = ReviewAssignmentFactory(application__call=call, declared=True)
    Score.objects.create(assignment=assignment, criterion=Criterion.objects.first(), value=3)
    body = client.get(url).content.decode()
    assert "La grille est verrouillée" in body
    client.post(url, _formset([("Autre", "1", "5")]))
    assert Criterion.objects.filter(grid__call=call).count() == 2


def test_automatic_assignment_is_balanced_and_skips_colleagues_and_conflicts(
    client, coordinator, grid, django_capture_on_commit_callbacks
):
    members = [UserFactory(roles=[Role.COMMITTEE]) for _ in range(3)]
    applications = [ApplicationFactory(call=grid.call, submitted=True) for _ in range(5)]
    # A colleague of the first applicant is never assigned to her application.
    colleague = UserFactory(roles=[Role.COMMITTEE], organisation=applications[0].organisation)
    conflicted = ReviewAssignmentFactory(
        application=applications[1], reviewer=members[0], declared="personal_link"
    )
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("review:auto_assign", args=[grid.call.pk]), {"per_application": "2"}
        )
    assert response.status_code == 302
    active = ReviewAssignment.objects.exclude(pk=conflicted.pk)
    assert active.count() == 10
    assert not active.filter(application=applications[0], reviewer=colleague).exists()
    assert not active.filter(application=applications[1], reviewer=members[0]).exists()
    loads = [active.filter(reviewer=m).count() for m in [*members, colleague]]
    assert max(loads) - min(loads) <= 1
    # Each member is told once, with the number of applications.
    assert len(mail.outbox) == 4
    assert all("/comite/" in message.body for message in mail.outbox)
    # Running again changes nothing: every application already has two members.
    client.post(reverse("review:auto_assign", args=[grid.call.pk]), {"per_application": "2"})
    assert ReviewAssignment.objects.count() == 11


def test_manual_assignment_and_withdrawal(client, coordinator, grid):
    application = ApplicationFactory(call=grid.call, submitted=True)
    member = UserFactory(roles=[Role.COMMITTEE])
    colleague = UserFactory(roles=[Role.COMMITTEE], organisation=application.organisation)
    client.force_login(coordinator)
    url = reverse("review:assign", args=[application.pk])
    client.post(url, {f"a{application.pk}-reviewer": str(colleague.pk)})
    assert not ReviewAssignment.objects.exists()
    client.post(url, {f"a{application.pk}-reviewer": str(member.pk), "page": "1"})
    assignment = ReviewAssignment.objects.get()
    assert assignment.reviewer == member and assignment.assigned_by == coordinator
    client.post(reverse("review:unassign", args=[assignment.pk]))
    assert not ReviewAssignment.objects.exists()


def _reviewed(call, values, **kwargs):
    """An application under review with one submitted review per tuple of values."""
    application = under_review(call, **kwargs)
    criteria = list(Criterion.objects.filter(grid__call=call))
    for row in values:
        assignment = ReviewAssignmentFactory(
            application=application, declared=True, submitted_at=timezone.now()
        )
        Score.objects.bulk_create(
            [
                Score(assignment=assignment, criterion=c, value=v)
                for c, v in zip(criteria, row, strict=True)
            ]
        )
    return application


def test_results_show_weighted_scores_spread_and_disagreement(client, coordinator, grid):
    calm = _reviewed(grid.call, [(4, 5), (4, 6)])
    split = _reviewed(grid.call, [(5, 10), (1, 2)])
    client.force_login(coordinator)
    body = client.get(reverse("review:results", args=[grid.call.pk])).content.decode()
    # 20 x (2 x 4/5 + 5/10) / 3 = 14 and 20 x (2 x 4/5 + 6/10) / 3 = 14.67.
    assert "14,3" in body or "14.3" in body
    assert body.index(calm.reference) < body.index(split.reference)
    assert body.count("badge-disagreement") == 1
    detail = client.get(reverse("review:application_scores", args=[split.pk])).content.decode()
    assert "2 évaluation(s) validée(s) sur 2" in detail


def test_staff_pages_run_a_constant_number_of_queries(
    client, coordinator, grid, django_assert_max_num_queries
):
    session = CommitteeSessionFactory(call=grid.call)
    client.force_login(coordinator)
    urls = [
        reverse("review:assignments", args=[grid.call.pk]),
        reverse("review:results", args=[grid.call.pk]),
        reverse("review:session", args=[session.pk]),
    ]

    def add():
        for _ in range(2):
            application = _reviewed(grid.call, [(3, 7), (4, 8)])
            SessionItem.objects.create(session=session, application=application)

    add()
    counts = []
    for url in urls:
        with django_assert_max_num_queries(25) as few:
            assert client.get(url).status_code == 200
        counts.append(len(few.captured_queries))
    add()
    for url, count in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(count):
            client.get(url)


def test_session_from_creation_to_lock_with_decisions_and_emails(
    client, coordinator, grid, django_capture_on_commit_callbacks
):
    call = grid.call
    first = _reviewed(call, [(5, 9)])
    second = _reviewed(call, [(3, 5)])
    third = _reviewed(call, [(1, 2)])
    submitted = ApplicationFactory(call=call, submitted=True)
    client.force_login(coordinator)
    response = client.post(
        reverse("review:session_create", args=[call.pk]),
        {"title": "Comité de printemps", "date": "2026-04-02"},
    )
    session = CommitteeSession.objects.get()
    assert response.url == reverse("review:session", args=[session.pk])
    assert set(session.items.values_list("application_id", flat=True)) == {
        first.pk,
        second.pk,
        third.pk,
    }
    client.post(
        reverse("review:session_add", args=[session.pk]),
        {"choisies": "1", "applications": [str(submitted.pk)]},
    )
    items = {i.application_id: i for i in session.items.all()}
    assert len(items) == 4
    page = client.get(reverse("review:session", args=[session.pk])).content.decode()
    assert page.index(first.reference) < page.index(second.reference) < page.index(third.reference)
    assert "reste de l'enveloppe" in page

    decisions_url = reverse("review:session_decisions", args=[session.pk])
    data = {
        f"decision_{items[first.pk].pk}": "accepted",
        f"motivation_{items[first.pk].pk}": "Besoin précis, personne-ressource idéale.",
        f"decision_{items[second.pk].pk}": "waitlisted",
        f"decision_{items[third.pk].pk}": "refused",
        f"motivation_{items[third.pk].pk}": "",
        f"decision_{items[submitted.pk].pk}": "no_follow_up",
        f"motivation_{items[submitted.pk].pk}": "Retirée par la candidate.",
    }
    response = client.post(decisions_url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Un refus doit être motivé" in body
    assert "Besoin précis, personne-ressource idéale." in body
    data[f"motivation_{items[third.pk].pk}"] = "Le besoin relève d'une formation collective."
    assert client.post(decisions_url, data).status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("review:session_lock", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.locked_by == coordinator and session.locked_at is not None
    states = {
        a.pk: a.state
        for a in type(first).objects.filter(pk__in=[first.pk, second.pk, third.pk, submitted.pk])
    }
    assert states == {
        first.pk: ApplicationState.ACCEPTED,
        second.pk: ApplicationState.WAITLISTED,
        third.pk: ApplicationState.REFUSED,
        submitted.pk: ApplicationState.NO_FOLLOW_UP,
    }
    third.refresh_from_db()
    assert third.decision_motivation == "Le besoin relève d'une formation collective."
    assert third.events.last().actor == coordinator
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects[first.applicant.email] == f"Votre candidature {first.reference} est acceptée"
    refused = next(m for m in mail.outbox if m.to == [third.applicant.email])
    assert "formation collective" in refused.body
    assert f"Bonjour {third.applicant.first_name}" in refused.body
    assert len(mail.outbox) == 4
    # Locked: read only, and every write is refused.
    assert SessionItem.objects.filter(session=session, estimated_fee__isnull=True).count() == 0
    client.post(decisions_url, {f"decision_{items[first.pk].pk}": "refused"})
    assert SessionItem.objects.get(pk=items[first.pk].pk).decision == Outcome.ACCEPTED
    page = client.get(reverse("review:session", args=[session.pk])).content.decode()
    assert "Séance verrouillée" in page and "<select" not in page


def test_going_over_the_envelope_needs_an_explicit_confirmation(client, coordinator, grid):
    call = grid.call
    call.budget_envelope = Decimal("1000")
    call.save(update_fields=["budget_envelope"])
    earlier = CommitteeSessionFactory(call=call, locked_at=timezone.now(), locked_by=coordinator)
    SessionItemFactory(
        session=earlier,
        decision="accepted",
        estimated_fee=Decimal("500"),
        estimated_travel=Decimal("0"),
    )
    session = CommitteeSessionFactory(call=call)
    item = SessionItem.objects.create(session=session, application=_reviewed(call, [(4, 8)]))
    item.decision = "accepted"
    item.save()  # 2 days x 250 € + travel > 500 € left
    client.force_login(coordinator)
    page = client.get(reverse("review:session", args=[session.pk])).content.decode()
    assert "500 €" in page and "dépassement" in page
    response = client.post(reverse("review:session_lock", args=[session.pk]))
    assert response.status_code == 400
    assert "confirmez" in response.content.decode()
    response = client.post(
        reverse("review:session_lock", args=[session.pk]), {"confirm_over_envelope": "on"}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.is_locked and session.over_envelope_confirmed


def test_lock_is_refused_while_a_decision_is_missing(client, coordinator, grid):
    session = CommitteeSessionFactory(call=grid.call)
    SessionItem.objects.create(session=session, application=_reviewed(grid.call, [(4, 8)]))
    client.force_login(coordinator)
    response = client.post(reverse("review:session_lock", args=[session.pk]))
    assert response.status_code == 400
    assert "Chaque candidature doit recevoir une décision" in response.content.decode()
    session.refresh_from_db()
    assert not session.is_locked


def test_decision_email_templates_are_editable_with_checked_variables(client, coordinator):
    assert DecisionEmailTemplate.objects.count() == 4  # created by the data migration
    url = reverse("review:email_template", args=["accepted"])
    client.force_login(coordinator)
    body = client.get(url).content.decode()
    assert "{{ prenom }}" in body and "Inès" in body  # the variables and the preview
    response = client.post(url, {"subject": "Bravo {{ prénom }}", "body": "Bonjour {{ nom }"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Variable inconnue" in text or "syntaxe" in text
    response = client.post(
        url, {"subject": "Bravo {{ prenom }}", "body": "Acceptée : {{ reference }}."}
    )
    assert response.status_code == 302
    assert DecisionEmailTemplate.objects.get(outcome="accepted").updated_by == coordinator
    preview = client.post(
        reverse("review:email_preview", args=["refused"]),
        {"subject": "Réponse {{ reference }}", "body": "{{ motivation }}"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "TSF-2026-0042" in preview
    assert client.get(reverse("review:email_template", args=["unknown"])).status_code == 404


STAFF_URLS = [
    ("review:calls", lambda o: []),
    ("review:call", lambda o: [o["call"].pk]),
    ("review:grid", lambda o: [o["call"].pk]),
    ("review:assignments", lambda o: [o["call"].pk]),
    ("review:results", lambda o: [o["call"].pk]),
    ("review:application_scores", lambda o: [o["application"].pk]),
    ("review:session", lambda o: [o["session"].pk]),
    ("review:email_templates", lambda o: []),
    ("review:email_template", lambda o: ["accepted"]),
]


@pytest.fixture
def objects():
    call = ScoringGridFactory().call
    application = ApplicationFactory(call=call, submitted=True)
    return {"call": call, "application": application, "session": CommitteeSessionFactory(call=call)}


def test_staff_pages_permissions(client, objects):
    urls = [reverse(name, args=args(objects)) for name, args in STAFF_URLS]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("people:login"))
    for role in [Role.COMMITTEE, Role.APPLICANT, Role.FUNDER, Role.RESOURCE_PERSON]:
        client.force_login(UserFactory(roles=[role]))
        assert {client.get(url).status_code for url in urls} == {403}, role
    for role in [Role.COORDINATOR, Role.ADMIN]:
        client.force_login(UserFactory(roles=[role]))
        assert {client.get(url).status_code for url in urls} == {200}, role
    assert client.get(reverse("review:session", args=[999999])).status_code == 404
    assert client.get(reverse("review:application_scores", args=[999999])).status_code == 404
    draft = ApplicationFactory()
    assert client.get(reverse("review:application_scores", args=[draft.pk])).status_code == 404


def test_anonymous_committee_pages_redirect_to_login(client):
    for url in [reverse("review:mine"), reverse("review:review", args=[1])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("people:login"))
