import pytest
from django.urls import reverse

from maillage.people.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["privacy:notice", "privacy:accessibility"])
def test_public_pages_are_open_to_everyone(client, name):
    assert client.get(reverse(name)).status_code == 200
    client.force_login(UserFactory(roles=[Role.FUNDER]))
    assert client.get(reverse(name)).status_code == 200


def test_privacy_notice_explains_rights_and_links_to_them(client):
    body = client.get(reverse("privacy:notice")).content.decode()
    for right in ["accès", "rectification", "effacement", "opposition", "portabilité"]:
        assert right in body.lower()
    assert reverse("privacy:my_data") in body and reverse("privacy:erasure") in body
    assert "730 jours" in body and '<th scope="row">' in body


def test_accessibility_statement_is_honest(client):
    body = client.get(reverse("privacy:accessibility")).content.decode()
    assert "partiellement conforme" in body and "Audit en cours" in body
    assert "Défenseur des droits" in body and "RGAA" in body


def test_footer_links_both_pages(client):
    body = client.get(reverse("core:home")).content.decode()
    footer = body[body.index('class="site-footer"') :]
    assert reverse("privacy:notice") in footer and reverse("privacy:accessibility") in footer
