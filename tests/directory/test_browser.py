"""The directory in a real browser: live results (htmx) and the postal-code commune picker."""

import pytest
from playwright.sync_api import expect

from .conftest import MONTPELLIER, make_person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_live_search_then_distance_from_a_postal_code(live_server, page, screenshot):
    make_person(
        user={"last_name": "Sabatier", "first_name": "Léa", "job_title": "régisseuse générale"},
        organisation="La Cave à Sons",
    )
    make_person(
        user={"last_name": "Hidalgo", "job_title": "chargé de communication"},
        commune=MONTPELLIER,
        competences=("communication_numerique.reseaux_sociaux",),
        consent_show_name=False,
        summary="Réseaux sociaux et stratégie éditoriale.",
    )
    page.goto(live_server.url + "/annuaire/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Annuaire des personnes-ressources")
    cards = page.locator(".directory-card")
    expect(cards).to_have_count(2)
    expect(page.get_by_text("Personne-ressource (Réseaux sociaux")).to_be_visible()

    page.get_by_label("Mots-clés").fill("regisseur")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Léa Sabatier")
    expect(page.locator("#result-count")).to_have_text("1 personne-ressource")
    assert "q=regisseur" in page.url

    page.get_by_label("Code postal").fill("31000")
    expect(page.get_by_label("Commune")).to_have_value("31555")
    expect(cards.first).to_contain_text("à 0 km")
    screenshot("directory-search")

    cards.first.get_by_role("link", name="Léa Sabatier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Léa Sabatier")
    expect(page.get_by_role("table")).to_contain_text("Régie générale")
    screenshot("directory-detail")
