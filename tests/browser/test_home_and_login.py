import pytest
from playwright.sync_api import expect

from maillage.people.models import Role
from tests.factories import CallFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "mot-de-passe-de-test-2026"


def test_home_page_then_login_reaches_the_coordinator_dashboard(live_server, page, screenshot):
    CallFactory(title="Appel à candidatures 2026")
    UserFactory(
        email="coordination@exemple.invalid",
        password=PASSWORD,
        first_name="Inès",
        roles=[Role.COORDINATOR],
    )
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Apprendre d'un·e pair")
    expect(page.get_by_role("link", name="Appel à candidatures 2026")).to_be_visible()
    screenshot("home")

    page.get_by_role("link", name="Se connecter").click()
    page.get_by_label("Adresse e-mail").fill("coordination@exemple.invalid")
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("mot de passe incorrect")
    expect(page.get_by_label("Adresse e-mail")).to_have_value("coordination@exemple.invalid")

    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coordination")
    expect(page.get_by_role("table").first).to_contain_text("Déposée")
    screenshot("coordinator-dashboard")


def test_skip_link_and_language_switch(live_server, page):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Learn from a peer")
