import re

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.urls import reverse

from maillage.people.models import Role, User
from tests.factories import UserFactory

from .helpers import STRONG_PASSWORD, signup_data

pytestmark = pytest.mark.django_db
URL = reverse("people:signup")


def test_signup_page_is_public_and_links_login(client):
    body = client.get(URL).content.decode()
    assert "Créer un compte" in body
    assert "Vos données personnelles" in body
    assert reverse("people:login") in body
    assert reverse("people:signup") in client.get(reverse("people:login")).content.decode()


def test_resource_person_signs_up_is_logged_in_and_sent_to_the_profile(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, signup_data(email="Awa.Diallo@Exemple.invalid"))
    assert response.status_code == 302
    assert response.url == reverse("people:profile")
    user = User.objects.get(email="awa.diallo@exemple.invalid")
    assert user.roles == {Role.RESOURCE_PERSON}
    assert user.check_password(STRONG_PASSWORD)
    assert get_user(client) == user
    assert [m.subject for m in mail.outbox] == ["Bienvenue sur Maillage"]
    assert "profil de personne-ressource" in mail.outbox[0].body
    assert mail.outbox[0].to == ["awa.diallo@exemple.invalid"]


def test_applicant_goes_to_the_dashboard_or_to_a_safe_next(client):
    response = client.post(URL, signup_data(intent="applicant"))
    assert response.url == reverse("core:dashboard")
    assert User.objects.get().roles == {Role.APPLICANT}

    client.logout()
    response = client.post(
        URL, signup_data(intent="applicant", email="b@exemple.invalid", next="/appels/")
    )
    assert response.url == "/appels/"

    client.logout()
    response = client.post(
        URL,
        signup_data(intent="applicant", email="c@exemple.invalid", next="https://evil.example/"),
    )
    assert response.url == reverse("core:dashboard")


def test_both_roles(client):
    client.post(URL, signup_data(intent="both"))
    assert User.objects.get().roles == {Role.APPLICANT, Role.RESOURCE_PERSON}


def test_signed_in_visitors_are_sent_to_their_dashboard(client):
    client.force_login(UserFactory(roles=[Role.APPLICANT]))
    assert client.get(URL).url == reverse("core:dashboard")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "pas-une-adresse"}, "Saisissez une adresse e-mail valide"),
        ({"password1": "court2026", "password2": "court2026"}, "Ce mot de passe est trop court"),
        (
            {"password1": "123456789012345", "password2": "123456789012345"},
            "une suite ou une répétition de caractères",
        ),
        ({"password2": "autre phrase de passe 2026"}, "ne sont pas identiques"),
        ({"intent": ""}, "Dites-nous ce que vous souhaitez faire"),
        ({"intent": "admin"}, "Sélectionnez un choix valide"),
        ({"privacy": ""}, "acceptez la notice sur vos données personnelles"),
        ({"first_name": "  "}, "Indiquez votre prénom"),
    ],
)
def test_bad_input_gets_a_french_error_and_keeps_what_was_typed(client, overrides, message):
    data = signup_data(**{"last_name": "<b>Diallo</b>", **overrides})
    response = client.post(URL, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert 'id="error-summary"' in body
    assert 'aria-invalid="true"' in body
    # Typed values come back (escaped), passwords never do.
    assert 'value="&lt;b&gt;Diallo&lt;/b&gt;"' in body
    if "email" not in overrides:
        assert 'value="awa.diallo@exemple.invalid"' in body
    assert STRONG_PASSWORD not in body
    if "intent" not in overrides:
        assert re.search(r'value="resource_person"[^>]*checked', body)
    assert not User.objects.exists()


def test_duplicate_email_is_refused_without_losing_fields(client):
    UserFactory(email="awa.diallo@exemple.invalid")
    response = client.post(URL, signup_data(email="AWA.DIALLO@exemple.invalid"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Un compte existe déjà avec cette adresse" in body
    assert "Mot de passe oublié" in body
    assert 'value="Awa"' in body and 'value="Diallo"' in body
    assert User.objects.count() == 1
    assert mail.outbox == []
