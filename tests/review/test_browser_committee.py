"""A coordinator takes an application from "déposée" to a committee decision in the browser."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from maillage.applications.models import ApplicationState
from maillage.people.models import Role
from tests.factories import ApplicationFactory, ScoringGridFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "mot-de-passe-de-test-2026"


def _login(page, base, email):
    page.goto(base + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def _logout(page):
    page.get_by_role("button", name="Se déconnecter").click()


def test_coordinator_processes_an_application_to_a_decision(live_server, page, screenshot):
    grid = ScoringGridFactory(criteria=[("Précision du besoin", 2, 5), ("Impact", 1, 5)])
    call = grid.call
    UserFactory(email="coordination@exemple.invalid", password=PASSWORD, roles=[Role.COORDINATOR])
    UserFactory(
        email="comite@exemple.invalid",
        password=PASSWORD,
        first_name="Julien",
        last_name="Roumieu",
        roles=[Role.COMMITTEE],
    )
    applicant = UserFactory(
        email="candidate@exemple.invalid", password=PASSWORD, roles=[Role.APPLICANT]
    )
    application = ApplicationFactory(call=call, applicant=applicant, submitted=True)
    reference = application.reference
    base = live_server.url

    # The coordination entrusts the application to a committee member.
    _login(page, base, "coordination@exemple.invalid")
    page.goto(f"{base}/comite/appels/{call.pk}/attributions/")
    expect(page.get_by_role("row", name=re.compile(reference))).to_contain_text("Déposée")
    choice = page.get_by_label(f"Membre du comité pour {reference}")
    choice.select_option(label="Julien Roumieu (0)")
    page.get_by_role("button", name="Attribuer").click()
    expect(page.get_by_role("status")).to_contain_text("Julien Roumieu évaluera")
    screenshot("review-assignments")
    _logout(page)

    # The member declares no conflict, then scores.
    _login(page, base, "comite@exemple.invalid")
    page.goto(base + "/comite/")
    page.get_by_role("link", name=re.compile("Déclarer")).click()
    page.get_by_label("Aucun conflit d'intérêts").check()
    page.get_by_role("button", name="Enregistrer ma déclaration").click()
    expect(page.get_by_role("heading", name="Votre évaluation")).to_be_visible()
    page.get_by_role("group", name=re.compile("Précision du besoin")).get_by_label("4").check()
    page.get_by_role("group", name=re.compile("Impact")).get_by_label("5").check()
    page.get_by_label("Appréciation générale").fill("Un besoin concret, à soutenir.")
    screenshot("review-scoring")
    page.get_by_role("button", name="Valider mon évaluation").click()
    expect(page.get_by_role("status")).to_contain_text("Votre évaluation est validée")
    expect(page.get_by_role("table")).to_contain_text("Évaluation validée")
    _logout(page)

    # The coordination opens a session, decides and locks.
    _login(page, base, "coordination@exemple.invalid")
    page.goto(f"{base}/comite/appels/{call.pk}/")
    page.get_by_label("Intitulé de la séance").fill("Comité de printemps")
    page.get_by_label("Date").fill("2026-04-02")
    page.get_by_role("button", name="Créer la séance").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Comité de printemps")
    page.get_by_label(re.compile(reference)).check()
    page.get_by_role("button", name="Ajouter la sélection").click()
    expect(page.get_by_role("table")).to_contain_text("17,3")  # 20 x (2 x 4/5 + 5/5) / 3
    page.get_by_label(f"Décision pour {reference}").select_option("accepted")
    page.get_by_label(f"Motivation pour {reference}").fill("Besoin précis et bien argumenté.")
    page.get_by_role("button", name="Enregistrer les décisions").click()
    expect(page.get_by_role("status")).to_contain_text("Décisions enregistrées")
    screenshot("review-session")
    page.get_by_role("button", name="Verrouiller la séance et notifier les décisions").click()
    expect(page.get_by_role("status").first).to_contain_text("Séance verrouillée")
    screenshot("review-session-locked")
    _logout(page)

    application.refresh_from_db()
    assert application.state == ApplicationState.ACCEPTED
    assert any(
        m.to == ["candidate@exemple.invalid"] and reference in m.subject for m in mail.outbox
    )

    # The applicant sees the decision.
    _login(page, base, "candidate@exemple.invalid")
    page.goto(f"{base}/candidatures/{application.pk}/")
    expect(page.locator(".application-status")).to_contain_text("Acceptée")
