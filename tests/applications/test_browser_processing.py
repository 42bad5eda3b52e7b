"""A coordinator processes an application in a real browser: finds it in the back office,
asks for a completion, the applicant completes and re-sends it, the coordinator starts the
review, sees the differences between revisions, and closes another one without follow-up
(the committee's decisions are taken in the committee session, see tests/review)."""

import re

import pytest
from playwright.sync_api import expect

from maillage.applications import services
from maillage.applications.models import Application, ApplicationState
from maillage.people.models import EmploymentStatus, Role
from tests.browser_support import CHROMIUM
from tests.factories import TEST_PASSWORD, CallFactory, UserFactory

from .conftest import ready_application

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def login(page, base, email):
    page.goto(f"{base}/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_coordinator_processes_an_application_to_a_decision(live_server, page, screenshot):
    call = CallFactory(title="Appel 2026")
    coordinator = UserFactory(
        email="coord@exemple.invalid", roles=[Role.COORDINATOR], first_name="Claire"
    )
    application = ready_application(EmploymentStatus.LEADER, call=call)
    applicant = application.applicant
    applicant.email = "lea@exemple.invalid"
    applicant.save()
    services.submit(application, applicant)
    other = ready_application(EmploymentStatus.LEADER, call=call)
    services.submit(other, other.applicant)
    application.refresh_from_db()
    other.refresh_from_db()

    login(page, live_server.url, coordinator.email)
    page.goto(f"{live_server.url}/coordination/candidatures/?appel={call.pk}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Candidatures")
    screenshot("backoffice-list")
    page.get_by_role("link", name=application.reference).click()

    # Ask for a completion: the reason is required.
    page.get_by_text("Demander des compléments").click()
    page.get_by_role("button", name="Renvoyer à la personne candidate").click()
    expect(page.locator("#error-summary")).to_contain_text("Indiquez ce qu'il faut compléter.")
    page.get_by_label("Ce qu'il faut compléter").fill("Précisez les résultats attendus.")
    page.get_by_role("button", name="Renvoyer à la personne candidate").click()
    expect(page.locator(".application-status")).to_contain_text("À compléter")
    screenshot("backoffice-detail-to-complete")

    # The applicant completes and re-sends it.
    page.context.clear_cookies()
    login(page, live_server.url, applicant.email)
    page.goto(f"{live_server.url}/candidatures/{application.pk}/")
    expect(page.locator(".notice-error")).to_contain_text("Précisez les résultats attendus.")
    page.get_by_role("link", name="Compléter ma candidature").click()
    page.goto(f"{live_server.url}/candidatures/{application.pk}/etape/3/")
    page.get_by_label("Résultats attendus").fill("Monter seule le budget de la tournée 2027.")
    page.get_by_role("button", name="Enregistrer").first.click()
    page.goto(f"{live_server.url}/candidatures/{application.pk}/etape/8/")
    page.locator("input[name=attestation]").check()
    page.get_by_role("button", name="Renvoyer ma candidature complétée").click()
    expect(page.locator(".application-status")).to_contain_text("Déposée")
    screenshot("applicant-resubmitted")

    # Back to the coordinator: revisions, review, and the other one closed.
    page.context.clear_cookies()
    login(page, live_server.url, coordinator.email)
    page.goto(f"{live_server.url}/coordination/candidatures/{application.pk}/")
    page.get_by_role("link", name=re.compile("2 versions déposées")).click()
    expect(page.locator("dl.diff ins").first).to_contain_text("Monter seule")
    screenshot("backoffice-revisions")
    page.go_back()
    page.get_by_role("button", name="Passer en instruction").click()
    expect(page.locator(".application-status")).to_contain_text("En instruction")

    page.goto(f"{live_server.url}/coordination/candidatures/{other.pk}/")
    page.get_by_text("Classer sans suite").first.click()
    page.get_by_label("Motif du classement sans suite").fill("Candidature retirée.")
    page.get_by_role("button", name="Classer sans suite").click()
    expect(page.locator(".application-status")).to_contain_text("Sans suite")
    screenshot("backoffice-decided")

    assert Application.objects.get(pk=application.pk).state == ApplicationState.UNDER_REVIEW
    other.refresh_from_db()
    assert other.state == ApplicationState.NO_FOLLOW_UP
    assert other.decision_motivation == "Candidature retirée."
