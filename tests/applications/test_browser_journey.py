"""The applicant's side in a real browser: from the call page to a submitted application,
through every step, an attachment and the employer's approval by the e-mailed link."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from maillage.applications.models import Application, ApplicationState
from maillage.people.models import EmploymentStatus
from tests.browser_support import CHROMIUM
from tests.factories import (
    MINIMAL_PDF,
    TEST_PASSWORD,
    CallFactory,
    CompetenceFactory,
    OrganisationFactory,
    ResourcePersonFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def test_apply_with_attachment_employer_approval_and_receipt(
    live_server, page, screenshot, browser, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    call = CallFactory(title="Appel à candidatures 2026")
    user = UserFactory(
        email="lea@exemple.invalid",
        first_name="Léa",
        last_name="Martin",
        job_title="",
        employment_status=EmploymentStatus.EMPLOYEE,
    )
    mentor = ResourcePersonFactory(
        user__organisation=OrganisationFactory(name="La Cave à Musique Test"),
        user__last_name="Rouanet",
        competences=[CompetenceFactory(label_fr="Budget de tournée (test)")],
    )

    page.goto(f"{live_server.url}/appels/{call.slug}/")
    page.get_by_role("link", name="J'ai déjà un compte : me connecter").click()
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("button", name="Commencer ma candidature").click()

    # 1. Vous
    expect(page.get_by_role("heading", level=2, name="Vous")).to_be_visible()
    expect(page.locator('[aria-current="step"]')).to_contain_text("Vous")
    page.get_by_label("Votre poste").fill("Chargée de production")
    page.get_by_label("Salarié·e").check()
    page.get_by_role("button", name="Enregistrer et continuer →").click()

    # 2. Votre structure: the profile's structure is already chosen.
    expect(page.get_by_role("heading", level=2, name="Votre structure")).to_be_visible()
    expect(page.get_by_label(re.compile(user.organisation.name))).to_be_checked()
    page.get_by_role("button", name="Enregistrer et continuer →").click()

    # 3. Votre besoin: suggestions appear while typing.
    page.get_by_label("Votre besoin, dans vos mots").press_sequentially(
        "Je dois construire le budget prévisionnel de nos tournées.", delay=10
    )
    suggestion = page.get_by_label("Budget prévisionnel et suivi budgétaire")
    expect(suggestion).to_be_visible()
    suggestion.check()
    page.get_by_label("Résultats attendus").fill("Être autonome sur le budget de la tournée.")
    screenshot("application-step-3")
    page.get_by_role("button", name="Enregistrer et continuer →").click()

    # 4. Modalités: a bad number of days is refused, and nothing typed is lost.
    today = timezone.localdate()
    start = (today + datetime.timedelta(days=30)).isoformat()
    end = (today + datetime.timedelta(days=90)).isoformat()
    page.get_by_label("À distance").check()
    page.get_by_label("Début souhaité").fill(start)
    page.get_by_label("Fin souhaitée").fill(end)
    page.get_by_label("Nombre de jours").fill("9")
    page.get_by_role("button", name="Enregistrer et continuer →").click()
    expect(page.get_by_role("alert").first).to_contain_text("de 1 à 5 jours")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_label("Début souhaité")).to_have_value(start)
    expect(page.get_by_label("À distance")).to_be_checked()
    page.get_by_label("Nombre de jours").fill("3")
    page.get_by_role("button", name="Enregistrer et continuer →").click()

    # 5. Personne-ressource, searched in the directory.
    page.get_by_placeholder(re.compile("Nom ou compétence")).fill("Rouanet")
    page.get_by_label(re.compile("Rouanet")).check()
    page.get_by_role("button", name="Enregistrer et continuer →").click()

    # 6. Pièces jointes
    page.get_by_label("Ajouter un document (PDF, ODT ou DOCX)").set_input_files(
        files=[{"name": "cv-lea.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF}]
    )
    page.get_by_role("button", name="Joindre ce document").click()
    expect(page.get_by_role("link", name="cv-lea.pdf")).to_be_visible()
    screenshot("application-step-6")
    page.get_by_role("button", name="Enregistrer et continuer →").click()

    # 7. Employeur
    page.get_by_label("Nom de la personne qui signe pour votre employeur").fill(
        "Camille Directrice"
    )
    page.get_by_label("Son adresse e-mail").fill("direction@exemple.invalid")
    page.get_by_role("button", name="Enregistrer et envoyer la demande d'accord").click()
    expect(page.get_by_role("status")).to_contain_text("La demande d'accord est envoyée")
    screenshot("application-step-7-awaiting")

    # The employer opens the link from the e-mail in their own browser.
    request = next(m for m in mail.outbox if m.to == ["direction@exemple.invalid"])
    link = re.search(r"http://\S+/accord-employeur/\S+/", request.body).group(0)
    employer = browser.new_context(locale="fr-FR").new_page()
    employer.goto(link)
    expect(employer.get_by_role("heading", level=1)).to_have_text("Accord de l'employeur")
    expect(employer.get_by_text("Léa Martin").first).to_be_visible()
    employer.get_by_label("Commentaire (facultatif)").fill("Bonne idée, allez-y.")
    employer.get_by_role("button", name="Approuver").click()
    expect(employer.get_by_role("heading", level=1)).to_contain_text("Merci")
    employer.goto(link)
    expect(employer.get_by_text("déjà été utilisé")).to_be_visible()
    employer.context.close()

    # 8. Récapitulatif et dépôt
    page.goto(f"{live_server.url}/tableau-de-bord/candidat/")
    page.get_by_role("link", name=re.compile("Vérifier et déposer")).click()
    expect(
        page.get_by_text("Votre candidature respecte toutes les règles du programme.")
    ).to_be_visible()
    screenshot("application-step-8")
    page.get_by_label(re.compile("J'atteste l'exactitude")).check()
    page.get_by_role("button", name="Déposer ma candidature").click()

    application = Application.objects.get(applicant=user)
    assert application.state == ApplicationState.SUBMITTED
    expect(page.get_by_role("heading", level=1)).to_contain_text(application.reference)
    expect(page.get_by_role("status")).to_contain_text(application.reference)
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le récépissé (PDF)").click()
    assert download.value.suggested_filename == f"recepisse-{application.reference}.pdf"
    screenshot("application-submitted")
    receipt = next(m for m in mail.outbox if m.attachments)
    assert receipt.to == [user.email] and application.reference in receipt.subject
    assert application.proposed_resource_person == mentor
