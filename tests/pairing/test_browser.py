"""The matching in a real browser: run, lock, forbid, re-run, publish; one person accepts from
the e-mailed link, another declines and the next best is proposed."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from maillage.pairing.models import Proposal, ProposalStatus
from tests.factories import TEST_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _link(message) -> str:
    match = re.search(r"https?://\S+/mise-en-relation/reponse/\S+/", message.body)
    assert match, message.body
    return match.group(0)


def test_coordinator_runs_publishes_and_persons_answer(
    live_server, page, browser, scenario, screenshot
):
    first = scenario.need(scenario.budget, need="Construire le budget de notre tournée d'automne.")
    second = scenario.need(scenario.budget, need="Préparer le budget prévisionnel du festival.")
    scenario.need(scenario.rare, need="Réparer nos synthétiseurs modulaires.")

    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(scenario.coordinator.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(live_server.url + "/coordination/mise-en-relation/")
    page.get_by_role("link", name=scenario.call.title).click()
    page.get_by_role("button", name="Lancer la mise en relation").click()
    expect(page.get_by_role("status")).to_contain_text("Mise en relation calculée")
    expect(page.get_by_text("optimale (prouvé)")).to_be_visible()
    expect(page.locator("#sans-proposition").locator("..")).to_contain_text(
        "aucune personne-ressource validée n'a cette compétence dans la région"
    )

    first_row = page.locator(f"#besoin-{first.pk}")
    second_row = page.locator(f"#besoin-{second.pk}")
    first_row.get_by_role("button", name="Verrouiller").click()
    expect(page.locator(f"#besoin-{first.pk}")).to_contain_text("Verrouillée")
    forbidden = Proposal.objects.get(application=second, rank=0, status="proposed")
    second_row.get_by_role("button", name="Interdire cette paire").click()
    expect(page.locator(f"#besoin-{second.pk}")).to_contain_text("Interdite")
    first_row.locator("details.pairing-breakdown summary").click()
    expect(first_row.locator("details.pairing-breakdown table")).to_be_visible()
    screenshot("pairing-locked-and-forbidden")

    page.get_by_role("button", name="Relancer la mise en relation").click()
    expect(page.get_by_role("status")).to_contain_text("Mise en relation calculée")
    expect(page.locator(f"#besoin-{first.pk}")).to_contain_text("Verrouillée")
    expect(page.locator(f"#besoin-{second.pk}")).not_to_contain_text(str(forbidden.resource_person))
    screenshot("pairing-rerun")

    mail.outbox.clear()
    page.get_by_role("button", name=re.compile(r"Publier 2 propositions")).click()
    expect(page.get_by_role("status")).to_contain_text("2 proposition(s) envoyée(s)")
    invitations = {m.to[0]: m for m in mail.outbox}
    assert len(invitations) == 2

    accepted = Proposal.objects.get(application=first, status=ProposalStatus.PUBLISHED)
    declined = Proposal.objects.get(application=second, status=ProposalStatus.PUBLISHED)
    person_page = browser.new_context(locale="fr-FR").new_page()
    person_page.goto(_link(invitations[accepted.resource_person.user.email]))
    expect(person_page.get_by_role("heading", level=1)).to_have_text(
        "Proposition de transfert de savoir-faire"
    )
    expect(person_page.get_by_text("Construire le budget de notre tournée")).to_be_visible()
    person_page.get_by_role("button", name="J'accepte").click()
    expect(person_page.get_by_role("heading", level=1)).to_have_text("Merci pour votre réponse")
    expect(person_page.get_by_text("Vous avez accepté")).to_be_visible()

    mail.outbox.clear()
    other_page = browser.new_context(locale="fr-FR").new_page()
    other_page.goto(_link(invitations[declined.resource_person.user.email]))
    other_page.get_by_label("Commentaire (facultatif)").fill("Pas disponible cet automne")
    other_page.get_by_role("button", name="Je décline").click()
    expect(other_page.get_by_text("Vous avez décliné")).to_be_visible()

    declined.refresh_from_db()
    assert declined.status == ProposalStatus.DECLINED
    following = Proposal.objects.get(application=second, status=ProposalStatus.PUBLISHED)
    assert following.resource_person not in (declined.resource_person, forbidden.resource_person)
    assert following.resource_person.user.email in {m.to[0] for m in mail.outbox}

    page.reload()
    sent = page.locator("#envoyees").locator("..")
    expect(sent).to_contain_text("Acceptée")
    expect(sent).to_contain_text("Déclinée")
    screenshot("pairing-answers")
