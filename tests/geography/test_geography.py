import pytest
from django.db import IntegrityError
from django.urls import reverse

from maillage.geography.loaders import read_communes, read_departements
from maillage.geography.models import Commune, Departement, PostalCode
from maillage.geography.selectors import communes_for_postal_code

pytestmark = pytest.mark.django_db


def test_the_whole_region_is_loaded_by_migrations():
    assert Commune.objects.count() == 4446 == len(read_communes())
    assert Departement.objects.count() == 13 == len(read_departements())
    assert set(Departement.objects.values_list("code", flat=True)) == {
        "09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82",
    }  # fmt: skip
    # Every commune has at least one postal code and coordinates inside the region's box.
    assert not Commune.objects.filter(postal_codes__isnull=True).exists()
    assert not Commune.objects.exclude(latitude__range=(42.3, 45.1)).exists()
    assert not Commune.objects.exclude(longitude__range=(-0.4, 4.9)).exists()


def test_departement_populations_add_up_to_their_communes():
    haute_garonne = Departement.objects.get(code="31")
    total = sum(
        Commune.objects.filter(departement=haute_garonne).values_list("population", flat=True)
    )
    assert haute_garonne.population == total > 1_400_000
    assert Departement.objects.get(code="48").rural
    assert not haute_garonne.rural


def test_postal_code_lookup_finds_every_commune_of_a_shared_code():
    toulouse = communes_for_postal_code("31000")
    assert [c.name for c in toulouse] == ["Toulouse"]
    assert communes_for_postal_code("31500").filter(name="Toulouse").exists()
    assert communes_for_postal_code("75001").count() == 0
    assert communes_for_postal_code("31 00").count() == 0
    assert communes_for_postal_code("").count() == 0


def test_postal_code_must_have_five_digits():
    with pytest.raises(IntegrityError):
        PostalCode.objects.create(code="3100", commune_id="31555")


def test_commune_lookup_view_answers_json_and_htmx(client):
    response = client.get(reverse("geography:commune_lookup"), {"code_postal": "34000"})
    assert response.status_code == 200
    data = response.json()
    assert data["communes"] == [
        {
            "insee_code": "34172",
            "name": "Montpellier",
            "departement": "34",
            "departement_name": "Hérault",
        }
    ]
    html = client.get(
        reverse("geography:commune_lookup"), {"code_postal": "99999"}, HTTP_HX_REQUEST="true"
    )
    assert "Aucune commune d'Occitanie pour ce code postal" in html.content.decode()


def test_departement_page_lists_the_thirteen(client):
    response = client.get(reverse("geography:departements"))
    assert response.status_code == 200
    assert response.content.decode().count('<th scope="row">') == 13
