"""The second factor in a real browser: a coordinator signs in for the first time, enrols an
authenticator from the page (secret typed by hand, as without a camera), keeps the recovery
codes, then signs in again with the app's code, and once more with a recovery code."""

import base64
import re

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from maillage.people.models import Role
from maillage.privacy.models import AuditAction, AuditEvent
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

EMAIL = "ines.coordination@exemple.invalid"
PASSWORD = "une phrase de passe solide 2026"


def app_code(secret: str, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the secret typed from the page."""
    compact = secret.replace(" ", "")
    key = base64.b32decode(compact + "=" * (-len(compact) % 8))
    return f"{TOTP(key, drift=steps_ahead).token():06d}"


def sign_in_with_password(page: Page, base_url: str) -> None:
    page.goto(base_url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def sign_out(page: Page) -> None:
    page.get_by_role("banner").get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Se connecter")).to_be_visible()


def test_enrolment_then_sign_in_with_the_app_then_with_a_recovery_code(
    live_server, page, screenshot, settings
):
    settings.MAILLAGE_REQUIRE_2FA = True
    UserFactory(email=EMAIL, password=PASSWORD, first_name="Inès", roles=[Role.COORDINATOR])
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            csp_errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    # First sign-in: no authenticator yet, so the enrolment page.
    sign_in_with_password(page, live_server.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Activer la double authentification")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    # Staff links wait until the second factor is passed.
    expect(
        page.get_by_role("navigation").get_by_role("link", name="Candidatures", exact=True)
    ).to_have_count(0)
    screenshot("two-factor-enrolment")
    secret = page.locator("#cle-secrete").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", secret)

    # A wrong code: the error summary takes the focus and points to the field.
    page.get_by_label("Code à 6 chiffres").fill("12345")
    page.get_by_role("button", name="Activer").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Saisissez les 6 chiffres")
    expect(page.get_by_label("Code à 6 chiffres")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Code à 6 chiffres").fill(app_code(secret))
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos codes de secours")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    screenshot("two-factor-recovery-codes")
    page.get_by_role("link", name=re.compile("continuer")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coordination")
    expect(
        page.get_by_role("navigation").get_by_role("link", name="Candidatures", exact=True)
    ).to_be_visible()

    # Second sign-in: the code of the app (the next time step: the first one has served).
    sign_out(page)
    sign_in_with_password(page, live_server.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Code de vérification")
    screenshot("two-factor-verification")
    page.get_by_label("Code de vérification").fill(app_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coordination")

    # Third sign-in: phone forgotten, a recovery code (typed in capitals, with its dashes).
    sign_out(page)
    sign_in_with_password(page, live_server.url)
    page.get_by_label("Code de vérification").fill(codes[0].upper())
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coordination")
    expect(page.get_by_role("status")).to_contain_text("il vous en reste 9")

    # The same recovery code does not open a second session.
    sign_out(page)
    sign_in_with_password(page, live_server.url)
    page.get_by_label("Code de vérification").fill(codes[0])
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_role("alert")).to_contain_text("Ce code ne correspond pas")

    assert csp_errors == []
    recorded = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        AuditAction.TWO_FACTOR_ENROLLED,
        AuditAction.TWO_FACTOR_VERIFIED,
        AuditAction.RECOVERY_CODE_USED,
        AuditAction.TWO_FACTOR_FAILED,
    } <= recorded
