"""Security headers, the Content-Security-Policy, production settings and ``no-store``.

The production settings are read from a real ``MAILLAGE_DEBUG=0`` process (``manage.py check
--deploy`` and a settings dump), then applied to in-process requests, so the headers tested
are the ones production sends.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpResponse
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from maillage.core.security import NoStoreMiddleware
from maillage.people.models import Role
from tests.factories import (
    TEST_PASSWORD,
    ApplicationFactory,
    CallFactory,
    EmployerApprovalFactory,
    MentorInvitationFactory,
    ResourcePersonFactory,
    UserFactory,
)

ROOT = Path(__file__).resolve().parents[2]

EXPECTED_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}

PRODUCTION_SETTINGS = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "SILENCED_SYSTEM_CHECKS",
]
# The settings applied in-process to emulate production (DEBUG stays as pytest-django sets it).
APPLIED_IN_PROCESS = [name for name in PRODUCTION_SETTINGS if name != "DEBUG"]

DUMP_SETTINGS = (
    "import json, django\n"
    "from django.conf import settings\n"
    "django.setup()\n"
    f"print(json.dumps({{n: getattr(settings, n, None) for n in {PRODUCTION_SETTINGS!r}}}))\n"
)


def environment(**variables: str) -> dict[str, str]:
    """This process's environment without any MAILLAGE_* variable, plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")}
    # Set by tests/conftest.py for the browser tests; production never sets it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env["DJANGO_SETTINGS_MODULE"] = "maillage.settings"
    env.update(variables)
    return env


def production(**variables: str) -> dict[str, str]:
    """What a production server sets (a random 50-character key), overridden by ``variables``."""
    return environment(
        **{
            "MAILLAGE_DEBUG": "0",
            "MAILLAGE_SECRET_KEY": secrets.token_urlsafe(50)[:50],
            "MAILLAGE_ALLOWED_HOSTS": "maillage.example.org",
            **variables,
        }
    )


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (fixed arguments, this interpreter)
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)


def settings_of(env: dict[str, str]) -> dict:
    result = run(["-c", DUMP_SETTINGS], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def production_settings() -> dict:
    return settings_of(production())


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def is_no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


class InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block in an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            # Template tags inside a tag parse as valueless attributes: only real ones count.
            handler = name.startswith("on") and value is not None
            if name == "style" or handler or name.startswith("hx-on"):
                self.found.append(f"<{tag} {name}=…>")
            if name.startswith("hx-") and value and re.match(r"\s*(js|javascript):", value):
                self.found.append(f"<{tag} {name}={value}>")
            if name in {"href", "action", "src"} and value and value.startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def assert_security_headers(response) -> None:
    header = response["Content-Security-Policy"]
    assert csp_directives(header) == EXPECTED_CSP
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


# --------------------------------------------------------------------------------------------
# Production settings
# --------------------------------------------------------------------------------------------


def test_check_deploy_passes_with_the_production_settings():
    result = check_deploy(production())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


@pytest.mark.parametrize(
    ("variables", "expected_warning"),
    [
        ({"MAILLAGE_SECURE_COOKIES": "0"}, "security.W012"),
        ({"MAILLAGE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"MAILLAGE_SECRET_KEY": "trop-court"}, "security.W009"),
    ],
)
def test_check_deploy_catches_a_weakened_production_configuration(variables, expected_warning):
    """The check above can fail: each weakening is reported and fails the command."""
    result = check_deploy(production(**variables))
    assert result.returncode != 0
    assert expected_warning in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = production()
    del env["MAILLAGE_SECRET_KEY"]
    result = run(["-c", DUMP_SETTINGS], env)
    assert result.returncode != 0
    assert "MAILLAGE_SECRET_KEY must be set" in result.stderr


def test_production_settings_values(production_settings):
    assert production_settings == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": None,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "SILENCED_SYSTEM_CHECKS": [],
    }


def test_development_defaults_work_on_plain_http():
    dev = settings_of(environment())
    assert dev["DEBUG"] is True
    assert dev["SECURE_SSL_REDIRECT"] is False
    assert dev["SESSION_COOKIE_SECURE"] is False and dev["CSRF_COOKIE_SECURE"] is False
    assert dev["SECURE_HSTS_SECONDS"] == 0


def test_proxy_header_and_operator_choices():
    chosen = settings_of(
        production(
            MAILLAGE_SECURE_PROXY_SSL_HEADER="1",
            MAILLAGE_SECURE_SSL_REDIRECT="0",
            MAILLAGE_HSTS_PRELOAD="0",
        )
    )
    assert chosen["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert chosen["SECURE_SSL_REDIRECT"] is False
    assert chosen["SECURE_HSTS_PRELOAD"] is False
    # An explicit choice silences only its own deploy check; the rest still passes.
    assert chosen["SILENCED_SYSTEM_CHECKS"] == ["security.W008", "security.W021"]
    result = check_deploy(production(MAILLAGE_SECURE_SSL_REDIRECT="0", MAILLAGE_HSTS_PRELOAD="0"))
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------------------------
# Headers on responses
# --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_for_anonymous_visitors_has_the_headers_and_stays_cacheable(client):
    CallFactory()
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    assert_security_headers(response)
    assert not is_no_store(response)
    assert inline_code(response.content.decode()) == []


@pytest.mark.django_db
def test_htmx_is_configured_for_the_csp(client):
    body = client.get(reverse("core:home")).content.decode()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", body)
    assert meta is not None
    config = json.loads(meta.group(1))
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    # htmx's history cache would copy pages with personal data into localStorage.
    assert config["historyCacheSize"] == 0
    css = (ROOT / "maillage/core/static/core/maillage.css").read_text()
    assert ".htmx-indicator" in css and ".htmx-request .htmx-indicator" in css


@pytest.mark.django_db
def test_login_page_has_the_headers_and_is_not_stored(client):
    response = client.get(reverse("people:login"))
    assert_security_headers(response)
    assert is_no_store(response)
    assert inline_code(response.content.decode()) == []
    # A failed login shows the typed address again: never stored either.
    response = client.post(
        reverse("people:login"), {"username": "quelquun@exemple.invalid", "password": "non"}
    )
    assert response.status_code == 200
    assert "quelquun@exemple.invalid" in response.content.decode()
    assert is_no_store(response)


@pytest.mark.django_db
def test_coordinator_page_is_not_stored(client):
    ApplicationFactory(submitted=True)
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    response = client.get(reverse("backoffice:list"))
    assert response.status_code == 200
    assert_security_headers(response)
    assert is_no_store(response)
    assert "private" in response["Cache-Control"]
    assert inline_code(response.content.decode()) == []


@pytest.mark.django_db
def test_applicant_pages_are_not_stored(client):
    application = ApplicationFactory(applicant=UserFactory(roles=[Role.APPLICANT]))
    client.force_login(application.applicant)
    for url in [
        reverse("applications:detail", args=[application.pk]),
        reverse("applications:step", args=[application.pk, 2]),
        reverse("applications:step", args=[application.pk, 3]),
        reverse("people:account"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response)
        assert is_no_store(response), url
        assert inline_code(response.content.decode()) == [], url


@pytest.mark.django_db
def test_public_pages_are_not_stored_once_signed_in(client):
    """The header shows the person's name: even a public page is personal once signed in."""
    client.force_login(UserFactory(roles=[Role.APPLICANT]))
    for url in [reverse("core:home"), reverse("directory:search"), reverse("calls:list")]:
        response = client.get(url)
        assert response.status_code == 200
        assert is_no_store(response), url


@pytest.mark.django_db
def test_public_pages_stay_cacheable_for_anonymous_visitors(client):
    call = CallFactory()
    person = ResourcePersonFactory()
    for url in [
        reverse("calls:list"),
        reverse("calls:detail", args=[call.slug]),
        reverse("directory:search") + "?q=régie",
        reverse("directory:detail", args=[person.pk]),
        reverse("competences:taxonomy"),
        reverse("geography:departements"),
        reverse("geography:commune_lookup") + "?code_postal=31000",
        reverse("privacy:notice"),
        reverse("privacy:accessibility"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response)
        assert not is_no_store(response), url
        if response["Content-Type"].startswith("text/html"):
            assert inline_code(response.content.decode()) == [], url


@pytest.mark.django_db
def test_one_time_links_and_password_reset_are_not_stored(client):
    EmployerApprovalFactory(token="jeton-accord-employeur-abcdefghijklmnop")
    MentorInvitationFactory(token="jeton-mise-en-relation-abcdefghijklmnop")
    user = UserFactory()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    for url in [
        reverse("applications:employer_approval", args=["jeton-accord-employeur-abcdefghijklmnop"]),
        reverse("pairing_public:answer", args=["jeton-mise-en-relation-abcdefghijklmnop"]),
        reverse("people:invitation_accept", args=[uid, token]),
        reverse("people:password_reset_confirm", args=[uid, token]),
        # A token in the query string of an otherwise public page.
        reverse("core:home") + "?token=abc",
    ]:
        response = client.get(url)
        assert response.status_code in {200, 302}, url
        assert_security_headers(response)
        assert is_no_store(response), url


@pytest.mark.django_db
def test_forms_posted_anonymously_are_not_stored(client):
    response = client.post(reverse("people:signup"), {"email": "pas-une-adresse"})
    assert response.status_code == 200
    assert is_no_store(response)


@pytest.mark.django_db
def test_admin_and_unknown_pages_are_not_stored(client):
    for url in [reverse("admin:login"), "/cette-page-n-existe-pas/"]:
        response = client.get(url)
        assert response.status_code in {200, 404}, url
        assert is_no_store(response), url
        assert csp_directives(response["Content-Security-Policy"]) == EXPECTED_CSP


@pytest.mark.django_db
def test_redirects_to_login_are_not_stored(client):
    response = client.get(reverse("core:dashboard_coordinator"))
    assert response.status_code == 302
    assert is_no_store(response)


def test_the_middleware_fails_safe_and_keeps_a_views_own_no_store(rf):
    def view(request):
        return HttpResponse("ok")

    def archive(request):
        response = HttpResponse("zip")
        response["Cache-Control"] = "no-store"
        return response

    # No request.user means the middleware order changed: store nothing.
    response = NoStoreMiddleware(view)(rf.get("/"))
    assert is_no_store(response) and "private" in response["Cache-Control"]
    request = rf.get("/compte/mes-donnees/")
    request.user = AnonymousUser()
    assert NoStoreMiddleware(archive)(request)["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = client.get("/static/core/maillage.css")
    assert response.status_code == 200
    assert not is_no_store(response)
    assert response["X-Content-Type-Options"] == "nosniff"


# --------------------------------------------------------------------------------------------
# Production mode in-process (values from the MAILLAGE_DEBUG=0 process)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def as_production(settings, production_settings):
    for name in APPLIED_IN_PROCESS:
        value = production_settings[name]
        setattr(settings, name, tuple(value) if isinstance(value, list) else value)
    settings.ALLOWED_HOSTS = ["maillage.example.org", "testserver"]
    return settings


@pytest.mark.django_db
def test_production_redirects_to_https_and_sends_hsts(client, as_production):
    response = client.get(reverse("core:home"))
    assert response.status_code == 301
    assert response.url == "https://testserver/"
    response = client.get(reverse("core:home"), secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert_security_headers(response)
    assert not is_no_store(response)


@pytest.mark.django_db
def test_production_cookies_are_secure_httponly_and_samesite(client, as_production):
    user = UserFactory(roles=[Role.APPLICANT])
    response = client.get(reverse("people:login"), secure=True)
    csrf = response.cookies["csrftoken"]
    response = client.post(
        reverse("people:login"),
        {"username": user.email, "password": TEST_PASSWORD},
        secure=True,
        headers={"Referer": "https://testserver/compte/connexion/"},
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    for cookie in [session, csrf]:
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_production_trusts_the_proxy_header_only_when_configured(client, as_production):
    forwarded = {"X-Forwarded-Proto": "https"}
    assert client.get("/", headers=forwarded).status_code == 301
    as_production.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/", headers=forwarded)
    assert response.status_code == 200
    assert "Strict-Transport-Security" in response


# --------------------------------------------------------------------------------------------
# Templates: nothing a strict CSP would block
# --------------------------------------------------------------------------------------------


def test_no_template_holds_inline_script_style_or_event_handler():
    found = {}
    for template in sorted((ROOT / "maillage").glob("*/templates/**/*.html")):
        source = re.sub(
            r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", "", template.read_text(), flags=re.S
        )
        problems = inline_code(source)
        if problems:
            found[str(template.relative_to(ROOT))] = problems
    assert found == {}
