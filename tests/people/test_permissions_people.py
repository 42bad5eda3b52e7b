"""Every view added for sign-up and resource persons, against every kind of visitor."""

import pytest
from django.urls import reverse

from maillage.people.models import Role
from tests.factories import ResourcePersonFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNED_IN = ["people:account"]
RESOURCE_PERSON = ["people:profile", "people:consents"]
STAFF = ["people:resource_person_invite"]


@pytest.mark.parametrize("url_name", SIGNED_IN + RESOURCE_PERSON + STAFF)
def test_anonymous_visitors_are_sent_to_login(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("people:login"))


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_only_its_pages(client, role):
    client.force_login(UserFactory(roles=[role]))
    for url_name in SIGNED_IN:
        assert client.get(reverse(url_name)).status_code == 200
    for url_name in RESOURCE_PERSON:
        status = client.get(reverse(url_name)).status_code
        # The consents page sends a person without a profile to the profile form.
        assert status == (403 if role != Role.RESOURCE_PERSON else status), url_name
        if role == Role.RESOURCE_PERSON:
            assert status in (200, 302)
    for url_name in STAFF:
        expected = 200 if role in (Role.COORDINATOR, Role.ADMIN) else 403
        assert client.get(reverse(url_name)).status_code == expected


def test_public_pages(client):
    assert client.get(reverse("people:signup")).status_code == 200
    assert (
        client.get(
            reverse("people:invitation_accept", kwargs={"uidb64": "MQ", "token": "x-y"})
        ).status_code
        == 200
    )


def test_resource_person_urls_carry_no_id_so_only_their_own_profile_is_editable(client):
    mine = ResourcePersonFactory(summary="Mon propre résumé, assez long pour le formulaire.")
    other = ResourcePersonFactory(summary="Le résumé d'une autre personne-ressource ici.")
    client.force_login(mine.user)
    body = client.get(reverse("people:profile")).content.decode()
    assert "Mon propre résumé" in body and "une autre personne-ressource" not in body
    # Another person's detail page is the coordination's, not theirs.
    assert client.get(reverse("people:resource_person_detail", args=[other.pk])).status_code == 403


def test_unknown_profile_is_404_for_staff(client):
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    assert client.get(reverse("people:resource_person_detail", args=[999999])).status_code == 404


def test_dashboard_links_to_profile_and_consents(client):
    person = ResourcePersonFactory(pending=True)
    client.force_login(person.user)
    body = client.get(reverse("core:dashboard_resource_person")).content.decode()
    assert reverse("people:profile") in body and reverse("people:consents") in body
    assert "En attente de validation" in body
    newcomer = UserFactory(roles=[Role.RESOURCE_PERSON])
    client.force_login(newcomer)
    body = client.get(reverse("core:dashboard_resource_person")).content.decode()
    assert "Compléter mon profil" in body
