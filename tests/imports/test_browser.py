"""A coordinator imports a spreadsheet in a real browser: errors, preview, double-clicked
confirmation, report, then the transfers list."""

import pytest
from playwright.sync_api import expect

from maillage.imports.models import ImportRun, ImportStatus
from maillage.organisations.models import Organisation
from maillage.people.models import Role
from tests.factories import UserFactory

from .conftest import ORGANISATION_HEADERS, csv_bytes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "mot-de-passe-de-test-2026"


def test_import_preview_confirm_and_report(live_server, page, screenshot, tmp_path):
    UserFactory(
        email="coordination@exemple.invalid",
        password=PASSWORD,
        first_name="Inès",
        roles=[Role.COORDINATOR],
    )
    sheet = tmp_path / "structures.csv"
    sheet.write_bytes(
        csv_bytes(
            [
                ORGANISATION_HEADERS,
                ["Le Bikini", "", "SARL", "31446", "", "", "salle; festival", "12", "oui"],
                ["La Cigalière", "", "régie", "34142", "", "", "salle", "3", "non"],
            ]
        )
    )
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill("coordination@exemple.invalid")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Importer un tableur (structures, personnes-ressources").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer un tableur")

    # Nothing chosen: the error summary takes the focus and links to the fields.
    page.get_by_role("button", name="Voir l'aperçu").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(2)
    screenshot("imports-errors")

    page.get_by_label("Structures").check()
    page.get_by_label("Fichier CSV ou XLSX").set_input_files(str(sheet))
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Aperçu de l'import")
    expect(page.get_by_role("table")).to_contain_text("La Cigalière")
    screenshot("imports-preview")

    # A second click while the first request is still on its way (held here): core/forms.js
    # keeps it from sending a second POST (the server would ignore it anyway).
    held = []
    page.route("**/confirmer/", lambda route: held.append(route))
    # Two clicks 150 ms apart, from the page itself (Playwright's own actions would wait for
    # the pending navigation); without the guard the browser sends a second POST.
    page.evaluate(
        """() => {
            const button = document.querySelector('form[action$="/confirmer/"] button');
            button.click();
            setTimeout(() => button.click(), 150);
        }"""
    )
    page.wait_for_timeout(600)
    assert len(held) == 1
    for route in held:
        route.continue_()
    expect(page.get_by_role("status").first).to_contain_text("Import terminé : 2 création(s)")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Compte rendu d'import")
    screenshot("imports-report")
    assert ImportRun.objects.filter(status=ImportStatus.APPLIED).count() == 1
    assert Organisation.objects.filter(name__in=["Le Bikini", "La Cigalière"]).count() == 2

    page.goto(live_server.url + "/coordination/transferts/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Transferts")
    expect(page.get_by_role("status").first).to_contain_text("0 transfert")
