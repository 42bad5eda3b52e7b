import re

import pytest
from playwright.sync_api import expect

from maillage.people.models import ResourcePerson, Role, ValidationStatus
from tests.browser_support import CHROMIUM
from tests.factories import CompetenceFactory, OrganisationFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

PASSWORD = "une phrase de passe solide 2026"


def test_sign_up_build_the_profile_then_a_coordinator_validates(live_server, page, screenshot):
    first = CompetenceFactory(label_fr="Régie générale de festival")
    second = CompetenceFactory(label_fr="Budget de tournée", domain=first.domain)
    OrganisationFactory(name="Festival Pause Guitare")
    UserFactory(email="coordination@exemple.invalid", password=PASSWORD, roles=[Role.COORDINATOR])

    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_role("main").get_by_role("link", name="Créer un compte").click()
    page.get_by_label("Prénom").fill("Awa")
    page.get_by_label("Nom", exact=True).fill("Diallo")
    page.get_by_label("Adresse e-mail").fill("awa@exemple.invalid")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(PASSWORD)
    page.get_by_label("transmettre mon savoir-faire (personne-ressource)").check()
    page.get_by_label("J'ai lu la notice").check()
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Mon profil de personne-ressource")
    page.get_by_label("Poste occupé").fill("Régisseuse générale")
    page.get_by_label("Salarié·e").check()
    page.get_by_label("Choisir une structure déjà inscrite").check()
    page.get_by_label("Rechercher la structure (nom ou SIRET)").fill("Pause Gui")
    page.get_by_label(re.compile("Festival Pause Guitare")).check()
    page.get_by_label("Code postal de votre lieu de travail").fill("31000")
    expect(page.get_by_label("Commune de travail")).to_have_value("31555")
    page.get_by_label("Années d'expérience").fill("15")
    page.get_by_label("Ce que je peux transmettre").fill(
        "La régie d'un festival de plein air : plannings, fiches techniques, équipes."
    )
    row = page.get_by_role("group", name="Compétence n° 1")
    row.get_by_label("Compétence", exact=True).select_option(label=first.label_fr)
    row.get_by_label("Niveau").select_option(label="Expertise reconnue")
    row.get_by_label("Ce que je transmets").fill("Organiser la régie d'un festival")
    row = page.get_by_role("group", name="Compétence n° 2")
    row.get_by_label("Compétence", exact=True).select_option(label=second.label_fr)
    page.get_by_label("Immersion chez la personne-ressource").check()
    page.get_by_label("À distance").check()
    page.get_by_label("Jours que vous pouvez consacrer").fill("8")
    page.get_by_role("button", name="Enregistrer mon profil").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Espace personne-ressource")
    expect(page.get_by_text("En attente de validation")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Budget de tournée")
    screenshot("resource-person-pending")

    page.get_by_role("button", name="Se déconnecter").click()
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill("coordination@exemple.invalid")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(live_server.url + "/coordination/personnes-ressources/?statut=pending")
    page.get_by_role("link", name="Awa Diallo").click()
    page.get_by_role("button", name="Valider ce profil").click()
    expect(page.get_by_role("status")).to_contain_text("Awa Diallo est validé·e")
    screenshot("resource-person-validated")
    profile = ResourcePerson.objects.get(user__email="awa@exemple.invalid")
    assert profile.status == ValidationStatus.VALIDATED
    assert profile.competence_links.count() == 2
