import pytest
from django.urls import reverse

from maillage.people.models import ResourcePerson, Role
from tests.factories import ResourcePersonFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = reverse("people:consents")
NONE_GIVEN = {
    "consent_directory": False,
    "consent_show_name": False,
    "consent_show_organisation": False,
    "consent_show_job": False,
    "consent_show_summary": False,
    "consent_show_commune": False,
    "consent_updated_at": None,
}


@pytest.fixture
def profile():
    return ResourcePersonFactory(**NONE_GIVEN)


def test_without_a_profile_the_person_is_sent_to_the_profile_form(client):
    client.force_login(UserFactory(roles=[Role.RESOURCE_PERSON]))
    response = client.get(URL)
    assert response.url == reverse("people:profile")


def test_page_explains_and_previews_nothing_listed(client, profile):
    client.force_login(profile.user)
    body = client.get(URL).content.decode()
    assert "Retirer votre accord est aussi simple que le donner" in body
    assert "Vous n'avez encore donné aucun accord" in body
    assert "Vous n'apparaissez pas dans l'annuaire public." in body
    assert 'data-consent=""' in body


def test_giving_then_withdrawing_consent_is_dated(client, profile):
    client.force_login(profile.user)
    response = client.post(
        URL, {"consent_directory": "on", "consent_show_name": "on", "consent_show_job": "on"}
    )
    assert response.url == URL
    profile.refresh_from_db()
    assert profile.consent_directory and profile.consent_show_name and profile.consent_show_job
    assert not profile.consent_show_commune
    first = profile.consent_updated_at
    assert first is not None
    assert ResourcePerson.objects.listed().filter(pk=profile.pk).exists()
    page = client.get(URL).content.decode()
    assert "Dernière modification de vos choix" in page
    assert profile.user.full_name in page

    # The same choices again change nothing, not even the date.
    client.post(
        URL, {"consent_directory": "on", "consent_show_name": "on", "consent_show_job": "on"}
    )
    profile.refresh_from_db()
    assert profile.consent_updated_at == first

    # Withdrawing: an empty form.
    client.post(URL, {})
    profile.refresh_from_db()
    assert not profile.consent_directory and not profile.consent_show_name
    assert profile.consent_updated_at > first
    assert not ResourcePerson.objects.listed().filter(pk=profile.pk).exists()


def test_preview_follows_the_ticked_boxes_without_saving(client, profile):
    client.force_login(profile.user)
    response = client.get(
        URL,
        {"apercu": "1", "consent_directory": "on", "consent_show_commune": "on"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert "<html" not in body  # the partial only
    assert "Personne-ressource (" in body
    assert "Toulouse, Haute-Garonne (31)" in body
    assert profile.user.last_name not in body
    profile.refresh_from_db()
    assert not profile.consent_directory


def test_consents_are_the_signed_in_persons_own(client, profile):
    other = ResourcePersonFactory()
    client.force_login(other.user)
    client.post(URL, {})
    profile.refresh_from_db()
    other.refresh_from_db()
    assert not other.consent_directory
    assert profile.consent_directory is False and profile.consent_updated_at is None
