"""Fixtures for the whole suite: inline tasks and mail, fast hashing, and the real browser."""

import os
from pathlib import Path

import pytest

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's Chromium: skipped locally without it, an error in CI."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI needs Chromium at {CHROMIUM} (.ci/run installs it)")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _french_by_default():
    """A request in English leaves the thread's language active; each test starts in French."""
    from django.utils import translation

    translation.activate("fr")
    yield
    translation.activate("fr")


@pytest.fixture(autouse=True)
def _immediate_tasks_and_locmem_mail(settings):
    """Run background tasks inline and keep e-mails in django.core.mail.outbox."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _password_only_sign_in(settings):
    """Most tests sign staff in with force_login and call authenticate() without a request:
    the second factor and django-axes are off unless a test turns them on
    (tests/people/test_auth_*.py, tests/browser/test_two_factor.py; helper:
    tests.factories.verified_login)."""
    settings.MAILLAGE_REQUIRE_2FA = False
    settings.AXES_ENABLED = False


@pytest.fixture(scope="session")
def _playwright(request):
    """The Playwright driver, started before the test database when browser tests will run.

    Starting the driver switches the thread's context variables, and Django keeps its database
    connections in context-local storage: a connection opened before the switch is not the one
    seen after it, and with it the serialized reference data that ``serialized_rollback``
    restores after each browser test would be lost. Starting it first keeps one context.
    """
    # Playwright runs an event loop in this thread; the ORM calls made by test bodies are
    # synchronous and safe because the live server answers from its own thread.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session", autouse=True)
def _browser_driver_before_database(request):
    """Autouse session fixtures run before pytest-django's database setup."""
    if any("browser" in item.keywords for item in request.session.items) and CHROMIUM.exists():
        request.getfixturevalue("_playwright")


@pytest.fixture(scope="session")
def browser(_playwright):
    """One Chromium for the whole session (two Playwright drivers cannot coexist)."""
    browser = _playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # Generous: CI is a 2-core machine and the live server answers one request at a time.
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot under var/screenshots/ (to look at what users see)."""

    def take(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
