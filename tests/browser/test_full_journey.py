"""The applicant's whole journey as a newcomer would live it, in a real browser: from the home
page, create an account, fill in the profile and the structure, search the directory, apply
with an attachment, get the employer's approval through the e-mailed link, and submit."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from maillage.applications.models import Application, ApplicationState
from maillage.directory.services import rebuild_directory_index
from maillage.organisations.models import Organisation
from tests.factories import (
    MINIMAL_PDF,
    CallFactory,
    CompetenceFactory,
    OrganisationFactory,
    ResourcePersonFactory,
    make_siret,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "une phrase de passe solide 2026"
NEXT = "Enregistrer et continuer →"


def test_newcomer_goes_from_home_page_to_an_approved_submitted_application(
    live_server, page, browser, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    CallFactory(title="Appel à candidatures 2026")
    mentor = ResourcePersonFactory(
        user__first_name="Bastien",
        user__last_name="Rouanet",
        user__job_title="Régisseur général",
        user__organisation=OrganisationFactory(name="Festival des Deux Rives (test)"),
        competences=[CompetenceFactory(label_fr="Régie générale de festival (test)")],
    )
    rebuild_directory_index()
    siret = make_siret(4242)

    # Home page → create an account as an applicant.
    page.goto(live_server.url + "/")
    page.get_by_role("banner").get_by_role("link", name="Créer un compte").click()
    page.get_by_label("Prénom").fill("Léa")
    page.get_by_label("Nom", exact=True).fill("Martin")
    page.get_by_label("Adresse e-mail").fill("lea.martin@exemple.invalid")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(PASSWORD)
    page.get_by_label("candidater pour bénéficier d'un transfert (mentoré·e)").check()
    page.get_by_label(re.compile("J'ai lu la notice")).check()
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Léa")

    # Profile: job, status and a new structure (the commune comes from the postal code).
    page.get_by_role("banner").get_by_role("link", name=re.compile("Léa Martin")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    page.get_by_label("Poste occupé").fill("Chargée de production")
    page.get_by_label("Salarié·e").check()
    page.get_by_label("Ma structure n'est pas encore inscrite : la créer").check()
    page.get_by_label("Nom de la structure").fill("Collectif Larsen (test)")
    page.get_by_label("SIRET", exact=True).fill(siret)
    page.get_by_label("Salle de concert / SMAC").check()
    page.get_by_label("Code postal").fill("34000")
    expect(page.get_by_label("Commune", exact=True)).to_have_value("34172")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").first).to_be_visible()
    assert Organisation.objects.get(siret=siret).commune_id == "34172"

    # The directory: a search without accents, in the feminine, finds the régisseur.
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Annuaire"
    ).click()
    page.get_by_label("Mots-clés").fill("regisseuse festival")
    page.get_by_role("button", name="Rechercher").first.click()
    expect(page.get_by_role("link", name="Bastien Rouanet")).to_be_visible()
    screenshot("journey-directory")

    # The call → apply.
    page.get_by_role("link", name="Appels à candidatures").first.click()
    page.get_by_role("link", name="Appel à candidatures 2026", exact=True).click()
    page.get_by_role("link", name="Candidater").click()
    page.get_by_role("button", name="Commencer ma candidature").click()

    expect(page.get_by_label("Votre poste")).to_have_value("Chargée de production")
    page.get_by_role("button", name=NEXT).click()
    expect(page.get_by_label(re.compile("Collectif Larsen"))).to_be_checked()
    page.get_by_role("button", name=NEXT).click()

    page.get_by_label("Votre besoin, dans vos mots").press_sequentially(
        "Je dois organiser la régie générale de notre premier festival.", delay=5
    )
    suggestion = page.get_by_label("Régie générale de festival (test)")
    expect(suggestion).to_be_visible()
    suggestion.check()
    page.get_by_label("Résultats attendus").fill("Savoir construire le planning de régie.")
    page.get_by_role("button", name=NEXT).click()

    today = timezone.localdate()
    page.get_by_label("Immersion chez la personne-ressource").check()
    page.get_by_label("Début souhaité").fill((today + datetime.timedelta(days=40)).isoformat())
    page.get_by_label("Fin souhaitée").fill((today + datetime.timedelta(days=100)).isoformat())
    page.get_by_label("Nombre de jours").fill("3")
    page.get_by_role("button", name=NEXT).click()

    page.get_by_placeholder(re.compile("Nom ou compétence")).fill("Rouanet")
    page.get_by_label(re.compile("Rouanet")).check()
    page.get_by_role("button", name=NEXT).click()

    page.get_by_label("Ajouter un document (PDF, ODT ou DOCX)").set_input_files(
        files=[{"name": "projet.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF}]
    )
    page.get_by_role("button", name="Joindre ce document").click()
    expect(page.get_by_role("link", name="projet.pdf")).to_be_visible()
    page.get_by_role("button", name=NEXT).click()

    page.get_by_label("Nom de la personne qui signe pour votre employeur").fill("Inès Directrice")
    page.get_by_label("Son adresse e-mail").fill("direction@larsen.invalid")
    page.get_by_role("button", name="Enregistrer et envoyer la demande d'accord").click()
    expect(page.get_by_role("status")).to_contain_text("La demande d'accord est envoyée")

    # The employer approves from the e-mailed one-time link.
    request = next(m for m in mail.outbox if m.to == ["direction@larsen.invalid"])
    link = re.search(r"http://\S+/accord-employeur/\S+/", request.body).group(0)
    employer = browser.new_context(locale="fr-FR").new_page()
    employer.goto(link)
    employer.get_by_role("button", name="Approuver").click()
    expect(employer.get_by_role("heading", level=1)).to_contain_text("Merci")
    employer.context.close()

    # Back to the dashboard: check and submit.
    page.goto(live_server.url + "/tableau-de-bord/")
    page.get_by_role("link", name=re.compile("Vérifier et déposer")).click()
    expect(
        page.get_by_text("Votre candidature respecte toutes les règles du programme.")
    ).to_be_visible()
    page.get_by_label(re.compile("J'atteste l'exactitude")).check()
    page.get_by_role("button", name="Déposer ma candidature").click()

    application = Application.objects.get(applicant__email="lea.martin@exemple.invalid")
    assert application.state == ApplicationState.SUBMITTED
    assert application.proposed_resource_person == mentor
    assert application.organisation.siret == siret
    expect(page.get_by_role("heading", level=1)).to_contain_text(application.reference)
    screenshot("journey-submitted")
    assert any(m.attachments and application.reference in m.subject for m in mail.outbox)
