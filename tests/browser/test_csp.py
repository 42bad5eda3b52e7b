"""The Content-Security-Policy in a real browser: main pages of several roles, the admin and
htmx interactions run without a single violation, and htmx still works under the policy.

Violations are collected from the page's ``securitypolicyviolation`` events (reported to
Python through a Playwright binding: the driver injects it, the page's CSP does not apply to
it) and from console and JavaScript errors. A positive control proves the collector sees a
violation when there is one.
"""

import re
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from playwright.sync_api import Page, expect

from maillage.people.models import Role
from tests.browser_support import SCREENSHOTS
from tests.directory.conftest import make_person
from tests.factories import (
    TEST_PASSWORD,
    ApplicationFactory,
    CallFactory,
    ReviewAssignmentFactory,
    ScoringGridFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation({
    page: location.pathname,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  });
});
"""


@dataclass
class Watch:
    """Everything the page reported that a strict CSP could be the cause of."""

    violations: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def clean(self) -> bool:
        return not self.violations and not self.errors

    def __str__(self) -> str:
        return "\n".join([*(str(v) for v in self.violations), *self.errors])


def console(seen: Watch, page: Page, message: Any) -> None:
    # A failed resource is reported by ``failed_response`` with its own URL.
    if message.text.startswith("Failed to load resource"):
        return
    if message.type == "error" or "Content Security Policy" in message.text:
        seen.errors.append(f"console {message.type}: {message.text} ({page.url})")


def failed_response(seen: Watch, response: Any) -> None:
    # The admin has no <link rel="icon">: the browser's own /favicon.ico guess is not an error.
    if response.status >= 400 and not response.url.endswith("/favicon.ico"):
        seen.errors.append(f"HTTP {response.status}: {response.url}")


def watch(page: Page) -> Watch:
    seen = Watch()
    page.expose_binding("reportCspViolation", lambda _source, v: seen.violations.append(v))
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda message: console(seen, page, message))
    page.on("response", lambda response: failed_response(seen, response))
    page.on("pageerror", lambda error: seen.errors.append(f"page error: {error} ({page.url})"))
    return seen


def open_page(browser: Any, live_url: str, user: Any = None) -> tuple[Page, Watch]:
    """A fresh context, signed in as ``user`` through a session cookie when given."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    if user is not None:
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_url}]
        )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page, watch(page)


def assert_htmx_runs_under_the_csp(page: Page) -> None:
    config = page.evaluate(
        "() => [htmx.config.includeIndicatorStyles, htmx.config.allowEval,"
        " document.querySelectorAll('style, [style]').length]"
    )
    assert config == [False, False, 0]


def shoot(page: Page, name: str) -> None:
    """Like the ``screenshot`` fixture, for pages of their own context."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    policy = response.headers["content-security-policy"].split("; ")
    assert "script-src 'self'" in policy and "style-src 'self'" in policy, url


def test_public_pages_login_and_applicant_htmx_under_the_csp(live_server, page, screenshot):
    base = live_server.url
    seen = watch(page)
    call = CallFactory(title="Appel à candidatures 2026")
    make_person(
        user={"last_name": "Sabatier", "first_name": "Léa", "job_title": "régisseuse générale"},
        organisation="La Cave à Sons",
    )
    make_person(
        user={"last_name": "Hidalgo", "job_title": "chargé de communication"},
        competences=("communication_numerique.reseaux_sociaux",),
        summary="Réseaux sociaux et stratégie éditoriale.",
    )
    UserFactory(email="lea@exemple.invalid", roles=[Role.APPLICANT], job_title="")

    visit(page, base + "/")
    assert_htmx_runs_under_the_csp(page)

    # The directory: live search (hx-get + hx-push-url) and the postal-code lookup.
    visit(page, base + "/annuaire/")
    cards = page.locator(".directory-card")
    expect(cards).to_have_count(2)
    page.get_by_label("Mots-clés").fill("regisseur")
    expect(cards).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=regisseur"))
    page.get_by_label("Code postal").fill("31000")
    expect(page.get_by_label("Commune")).to_have_value("31555")
    screenshot("csp-directory")

    # Login (form post, redirect) as an applicant.
    visit(page, base + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill("lea@exemple.invalid")
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    # An application: step 2 fills the commune select from the postal code (hx-get) ...
    visit(page, f"{base}/appels/{call.slug}/")
    visit(page, f"{base}/candidatures/nouvelle/{call.slug}/")
    page.get_by_role("button", name="Commencer ma candidature").click()
    page.get_by_label("Votre poste").fill("Chargée de production")
    page.get_by_label("Salarié·e").check()
    page.get_by_role("button", name="Enregistrer et continuer →").click()
    expect(page.get_by_role("heading", level=2, name="Votre structure")).to_be_visible()
    page.get_by_text("Ma structure n'est pas sur la plateforme : la créer").click()
    commune = page.locator("select[name$='commune']")
    expect(commune.locator("option")).to_have_count(1)
    page.locator("input[name$='postal_code']").fill("31000")
    expect(commune.locator("option", has_text="Toulouse")).to_have_count(1)
    assert_htmx_runs_under_the_csp(page)
    screenshot("csp-application-step-2")

    # ... and step 3 posts the need for competence suggestions (hx-post: the CSRF token comes
    # from the form, not from the HttpOnly cookie).
    page.get_by_role("button", name="Enregistrer et continuer →").click()
    expect(page.get_by_role("heading", level=2, name="Votre besoin")).to_be_visible()
    page.get_by_label("Votre besoin, dans vos mots").press_sequentially(
        "Je dois construire le budget prévisionnel de nos tournées.", delay=10
    )
    expect(page.get_by_label("Budget prévisionnel et suivi budgétaire")).to_be_visible()

    assert seen.clean(), str(seen)
    assert_the_watch_sees_a_violation(page, seen)


def assert_the_watch_sees_a_violation(page: Page, seen: Watch) -> None:
    """Positive control: without it, an empty list above could mean a deaf collector."""
    page.evaluate("() => document.head.insertAdjacentHTML('beforeend', '<style>p{}</style>')")
    page.evaluate("() => document.body.setAttribute('style', 'color: red')")
    expected = {"style-src-elem", "style-src-attr"}
    for _ in range(40):  # the events are reported asynchronously
        if expected <= {v["directive"] for v in seen.violations}:
            break
        page.wait_for_timeout(50)
    assert expected <= {v["directive"] for v in seen.violations}, str(seen)


def test_staff_pages_and_admin_under_the_csp(live_server, browser):
    base = live_server.url
    grid = ScoringGridFactory()
    submitted = ApplicationFactory(call=grid.call, submitted=True)
    assignment = ReviewAssignmentFactory(
        application=ApplicationFactory(call=grid.call, submitted=True)
    )
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    admin = UserFactory(roles=[Role.ADMIN], is_staff=True, is_superuser=True)

    page, seen = open_page(browser, base, coordinator)
    visit(page, base + "/coordination/candidatures/")
    expect(page.get_by_role("row", name=re.compile(submitted.reference))).to_be_visible()
    visit(page, f"{base}/coordination/candidatures/{submitted.pk}/")
    visit(page, base + "/comite/appels/")
    visit(page, f"{base}/comite/appels/{grid.call.pk}/attributions/")
    shoot(page, "csp-coordinator-assignments")
    assert seen.clean(), str(seen)
    page.context.close()

    page, seen = open_page(browser, base, assignment.reviewer)
    visit(page, base + "/comite/")
    expect(
        page.get_by_role("link", name=re.compile(assignment.application.reference))
    ).to_be_visible()
    visit(page, f"{base}/comite/evaluation/{assignment.pk}/")
    assert seen.clean(), str(seen)
    page.context.close()

    # The Django admin: its login page anonymously, then its index, a list and a change form.
    page, seen = open_page(browser, base)
    visit(page, base + "/admin/login/")
    expect(page.locator("#id_username")).to_be_visible()
    page.context.close()
    page, seen_admin = open_page(browser, base, admin)
    visit(page, base + "/admin/")
    visit(page, base + "/admin/calls/call/")
    expect(page.locator("#result_list")).to_contain_text(grid.call.title)
    visit(page, f"{base}/admin/calls/call/{grid.call.pk}/change/")
    shoot(page, "csp-admin-change-form")
    assert seen.clean(), str(seen)
    assert seen_admin.clean(), str(seen_admin)
    page.context.close()
