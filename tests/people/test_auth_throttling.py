"""Login throttling with django-axes: per (e-mail, IP address), N failures lock that pair out
for the cool-off time, with a French page that says nothing about the account's existence;
failed logins stay in the audit log."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from maillage.privacy.models import AuditAction, AuditEvent
from tests.factories import UserFactory
from tests.people.helpers import STRONG_PASSWORD

pytestmark = pytest.mark.django_db
PASSWORD = "un-mot-de-passe-solide"
LOGIN = reverse("people:login")
EMAIL = "lea@exemple.invalid"


@pytest.fixture(autouse=True)
def _axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)


@pytest.fixture
def lea():
    return UserFactory(email=EMAIL, password=PASSWORD)


def attempt(client: Client, email: str, password: str, ip: str = "192.0.2.1"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def fail(client: Client, email: str, times: int, ip: str = "192.0.2.1") -> None:
    """``times`` wrong passwords; the one that reaches the limit already gets the lock-out."""
    for n in range(1, times + 1):
        expected = 429 if n >= 5 else 200
        assert attempt(client, email, "pas-le-bon", ip).status_code == expected


def test_five_failures_lock_the_pair_out_even_with_the_right_password(client, lea):
    fail(client, EMAIL, 4)
    assert attempt(client, EMAIL, PASSWORD).status_code == 302  # the 5th try succeeds
    client.post(reverse("people:logout"))
    # A success resets the count: five new failures are needed.
    fail(client, EMAIL, 4)
    locked = attempt(client, "LEA@exemple.invalid", "pas-le-bon")  # same address, other case
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "Connexion suspendue" in body and "15 minutes" in body
    assert "no-store" in locked["Cache-Control"]
    right = attempt(client, EMAIL, PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_is_the_same_for_an_unknown_address(client, lea):
    fail(client, EMAIL, 5)
    known = attempt(client, EMAIL, "pas-le-bon").content.decode()
    fail(client, "personne@exemple.invalid", 5)
    unknown = attempt(client, "personne@exemple.invalid", "pas-le-bon").content.decode()
    strip = lambda page: page.replace("csrfmiddlewaretoken", "")  # noqa: E731
    assert "Connexion suspendue" in unknown
    assert "Aucun compte" not in unknown and "n'existe" not in unknown
    # Nothing in the page depends on the account (the CSRF token aside).
    assert len(strip(known)) == len(strip(unknown))


def test_the_lock_is_per_address_and_per_ip(lea):
    UserFactory(email="sam@exemple.invalid", password=PASSWORD)
    attacker = Client()
    fail(attacker, EMAIL, 5, ip="198.51.100.7")
    assert attempt(attacker, EMAIL, PASSWORD, ip="198.51.100.7").status_code == 429
    # Léa from her own network, and another person from the attacker's, still sign in.
    assert attempt(Client(), EMAIL, PASSWORD, ip="192.0.2.44").status_code == 302
    assert attempt(Client(), "sam@exemple.invalid", PASSWORD, ip="198.51.100.7").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, lea):
    fail(client, EMAIL, 5)
    assert attempt(client, EMAIL, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert attempt(client, EMAIL, PASSWORD).status_code == 302


def test_failure_limit_and_cool_off_are_settings(client, lea, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=3)
    assert attempt(client, EMAIL, "pas-le-bon").status_code == 200
    assert attempt(client, EMAIL, "pas-le-bon").status_code == 429
    locked = attempt(client, EMAIL, PASSWORD)
    assert locked.status_code == 429 and "3 minutes" in locked.content.decode()


def test_a_password_reset_through_the_emailed_link_lifts_the_lock(client, lea):
    fail(client, EMAIL, 5)
    visitor = Client()
    uid = urlsafe_base64_encode(force_bytes(lea.pk))
    token = default_token_generator.make_token(lea)
    page = visitor.get(reverse("people:password_reset_confirm", args=[uid, token]), follow=True)
    visitor.post(
        page.redirect_chain[-1][0],
        {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD},
    )
    assert attempt(client, EMAIL, STRONG_PASSWORD).status_code == 302


def test_failed_and_locked_attempts_stay_in_the_audit_log_without_secrets(client, lea):
    fail(client, EMAIL, 5)
    attempt(client, EMAIL, "encore-faux")
    failures = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert failures.count() == 6
    assert {event.ip for event in failures} == {"192.0.2.1"}
    stored = " ".join(str(event.details) for event in failures)
    assert EMAIL not in stored and "pas-le-bon" not in stored
    # django-axes keeps the attempt, never the password nor the CSRF token.
    (row,) = AccessAttempt.objects.all()
    assert row.username == EMAIL and row.failures_since_start == 5
    assert "pas-le-bon" not in row.post_data and "password=****" in row.post_data
    assert EMAIL not in row.post_data
    from axes.helpers import get_query_str
    from django.http import QueryDict

    assert "jeton" not in get_query_str(QueryDict("csrfmiddlewaretoken=jeton&username=x"))


def test_the_login_view_passes_the_request_to_authenticate(client, lea, monkeypatch):
    import axes.backends

    seen = []
    original = axes.backends.AxesStandaloneBackend.authenticate

    def spy(self, request, *args, **kwargs):
        seen.append(request)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(axes.backends.AxesStandaloneBackend, "authenticate", spy)
    assert attempt(client, EMAIL, PASSWORD).status_code == 302
    assert seen and seen[0] is not None
