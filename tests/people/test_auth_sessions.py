"""Sessions: a new key at login; logout, password change and reset, second-factor reset by an
admin and deactivation end the account's other sessions (two clients, same person)."""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY, get_user
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from maillage.people.models import Role, User
from tests.factories import UserFactory
from tests.people.helpers import STRONG_PASSWORD

pytestmark = pytest.mark.django_db
PASSWORD = "un-mot-de-passe-solide"
ACCOUNT = reverse("people:account")


def signed_in(client: Client) -> bool:
    return client.get(ACCOUNT).status_code == 200


def two_sessions(user: User) -> tuple[Client, Client]:
    first, second = Client(), Client()
    first.force_login(user)
    second.force_login(user)
    assert signed_in(first) and signed_in(second)
    return first, second


def test_login_gives_the_session_a_new_key(client):
    UserFactory(email="lea@exemple.invalid", password=PASSWORD, roles=[Role.APPLICANT])
    anonymous = client.session
    anonymous["repere"] = "avant la connexion"
    anonymous.save()
    before = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    response = client.post(
        reverse("people:login"), {"username": "lea@exemple.invalid", "password": PASSWORD}
    )
    assert response.status_code == 302
    after = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert client.session[SESSION_KEY]


def test_logout_ends_the_other_sessions_too():
    user = UserFactory(roles=[Role.APPLICANT])
    first, second = two_sessions(user)
    first.post(reverse("people:logout"))
    assert not signed_in(first)
    assert not signed_in(second)
    # Signing in again works as usual.
    second.force_login(User.objects.get(pk=user.pk))
    assert signed_in(second)


def test_password_change_keeps_this_session_and_ends_the_others(
    django_capture_on_commit_callbacks, mailoutbox
):
    user = UserFactory(password=PASSWORD, roles=[Role.APPLICANT])
    first, second = two_sessions(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = first.post(
            reverse("people:password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": STRONG_PASSWORD,
                "new_password2": STRONG_PASSWORD,
            },
        )
    assert response.status_code == 302
    assert signed_in(first)
    assert not signed_in(second)
    (notice,) = mailoutbox
    assert notice.to == [user.email]
    assert "mot de passe de votre compte a été modifié" in notice.body


def test_password_reset_ends_every_session():
    user = UserFactory(roles=[Role.APPLICANT])
    first, second = two_sessions(user)
    visitor = Client()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    page = visitor.get(reverse("people:password_reset_confirm", args=[uid, token]), follow=True)
    done = visitor.post(
        page.redirect_chain[-1][0],
        {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD},
    )
    assert done.status_code == 302
    assert not signed_in(first) and not signed_in(second)
    assert User.objects.get(pk=user.pk).session_epoch == 1


def test_deactivation_ends_every_session():
    user = UserFactory(roles=[Role.COORDINATOR])
    first, second = two_sessions(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert not signed_in(first) and not signed_in(second)
    assert get_user(first).is_anonymous


def test_epoch_zero_keeps_djangos_hash_so_existing_sessions_survive_the_upgrade():
    user = UserFactory()
    assert user.session_epoch == 0
    django_hash = salted_hmac(
        "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
        user.password,
        algorithm="sha256",
    ).hexdigest()
    assert user.get_session_auth_hash() == django_hash
    user.session_epoch = 1
    assert user.get_session_auth_hash() != django_hash


def test_session_hash_follows_secret_key_fallbacks(settings):
    user = UserFactory(session_epoch=3)
    old_hash = user.get_session_auth_hash()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "une-nouvelle-cle-secrete-pour-le-test-0123456789"
    assert old_hash in list(user.get_session_auth_fallback_hash())
