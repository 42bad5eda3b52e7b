"""Directory pages: access, audiences, htmx partial, form handling, constant query count."""

import pytest
from django.urls import reverse

from maillage.core.permissions import rule_of
from maillage.directory import views
from maillage.people.models import Role
from tests.factories import UserFactory

from .conftest import competence, make_person

pytestmark = pytest.mark.django_db

SEARCH = reverse("directory:search")


def test_both_pages_are_public_by_declared_rule():
    assert rule_of(views.search) == rule_of(views.detail) == "public"


@pytest.mark.parametrize("role", [None, *Role])
def test_every_visitor_reaches_search_and_listed_profiles(client, role):
    person = make_person()
    if role is not None:
        client.force_login(UserFactory(roles=[role]))
    assert client.get(SEARCH).status_code == 200
    assert client.get(reverse("directory:detail", args=[person.pk])).status_code == 200


def test_unlisted_profiles_are_404_for_everyone(client):
    hidden = [
        make_person(pending=True),
        make_person(suspended=True),
        make_person(consent_directory=False),
    ]
    inactive = make_person()
    inactive.user.is_active = False
    inactive.user.save()
    hidden.append(inactive)
    for user in [None, UserFactory(roles=[Role.COORDINATOR])]:
        if user:
            client.force_login(user)
        for person in hidden:
            assert client.get(reverse("directory:detail", args=[person.pk])).status_code == 404
    assert client.get(reverse("directory:detail", args=[999999])).status_code == 404


def test_public_sees_consented_fields_members_see_all_but_contact_details(client):
    person = make_person(
        user={
            "last_name": "Discret",
            "first_name": "Noé",
            "phone": "0601020304",
            "job_title": "régisseur général",
        },
        organisation="La Friche Secrète",
        consent_show_name=False,
        consent_show_organisation=False,
        summary="Présentation réservée aux membres.",
        consent_show_summary=False,
    )
    url = reverse("directory:detail", args=[person.pk])
    public = client.get(url).content.decode() + client.get(SEARCH).content.decode()
    for secret in ["Discret", "La Friche Secrète", "réservée aux membres"]:
        assert secret not in public
    assert "Personne-ressource (Régie générale, Haute-Garonne)" in public
    assert "Régisseur général" in public  # the job title is shown by consent
    client.force_login(UserFactory(roles=[Role.APPLICANT]))
    member = client.get(url).content.decode() + client.get(SEARCH).content.decode()
    for shown in ["Noé Discret", "La Friche Secrète", "réservée aux membres"]:
        assert shown in member
    assert person.user.email not in member and "0601020304" not in member


def test_profiles_and_searches_are_kept_out_of_search_engines(client):
    person = make_person()
    assert client.get(reverse("directory:detail", args=[person.pk]))["X-Robots-Tag"] == (
        "noindex, nofollow"
    )
    assert client.get(SEARCH + "?q=paie")["X-Robots-Tag"] == "noindex, nofollow"
    assert "X-Robots-Tag" not in client.get(SEARCH)


def test_search_renders_cards_with_tags_distance_and_keeps_filters_in_pagination(client):
    retours = competence("son.retours")
    for i in range(23):
        make_person(user={"last_name": f"Sono{i:02d}"}, competences=("son.retours",))
    response = client.get(
        SEARCH, {"q": "retours", "competence": retours.pk, "code_postal": "31000"}
    )
    body = response.content.decode()
    assert "23 personnes-ressources" in body
    assert body.count('class="card directory-card"') == 20
    assert "Retours de scène et in-ear" in body and "Maîtrise avancée" in body
    assert "à 0 km" in body  # Toulouse, resolved from its single postal code
    assert f"competence={retours.pk}" in body and "page=2" in body and "q=retours" in body
    second = client.get(
        SEARCH, {"q": "retours", "competence": retours.pk, "code_postal": "31000", "page": 2}
    ).content.decode()
    assert second.count('class="card directory-card"') == 3


def test_htmx_request_gets_only_the_results(client):
    make_person(user={"last_name": "Partielle"})
    response = client.get(
        SEARCH, {"q": "régie"}, headers={"HX-Request": "true", "HX-Target": "resultats"}
    )
    body = response.content.decode()
    assert "Partielle" in body
    assert "<html" not in body and 'hx-swap-oob="innerHTML"' in body
    assert "HX-Request" in response["Vary"]


def test_invalid_fields_are_reported_and_typed_values_kept(client):
    make_person(user={"last_name": "Gardee"})
    body = client.get(
        SEARCH, {"q": "régie", "code_postal": "31O00", "deplacement": "on"}
    ).content.decode()
    assert 'id="error-summary"' in body
    assert "Un code postal compte 5 chiffres" in body
    assert "Indiquez votre code postal et votre commune" in body
    assert 'value="31O00"' in body and 'value="régie"' in body
    assert 'aria-invalid="true"' in body
    assert "Gardee" in body  # the valid part of the search still runs


def test_postal_code_with_several_communes_asks_to_choose(client):
    body = client.get(SEARCH, {"code_postal": "34000"}).content.decode()
    # Montpellier's 34000 serves a single commune; 31800 several (Saint-Gaudens…).
    several = client.get(SEARCH, {"code_postal": "31800"}).content.decode()
    assert "Choisissez votre commune" in several
    assert "Choisissez votre commune parmi" not in body


def test_empty_result_suggests_widening(client):
    make_person()
    body = client.get(SEARCH, {"q": "régie", "departement": "46"}).content.decode()
    assert "Aucun résultat." in body
    assert "chercher dans toute la région" in body
    assert "departement=" not in body.split("chercher dans toute la région")[0].rsplit("href", 1)[1]


def _many(count):
    for i in range(count):
        make_person(
            user={"last_name": f"Nombreux{i}"}, competences=("son.retours", "lumiere.pupitre")
        )


@pytest.mark.parametrize(
    "params",
    [
        {"q": "retours"},
        {"q": "retours pupitre", "departement": "31", "code_postal": "31000"},
        {"domaine": "", "format": "sur_site"},
    ],
)
@pytest.mark.parametrize("signed_in", [False, True])
def test_query_count_does_not_grow_with_results(
    client, params, signed_in, django_assert_max_num_queries
):
    if signed_in:
        client.force_login(UserFactory(roles=[Role.APPLICANT]))
    _many(2)
    with django_assert_max_num_queries(12) as few:
        client.get(SEARCH, params)
    _many(6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(SEARCH, params)
    assert response.status_code == 200
    assert "8 personnes-ressources" in response.content.decode()


def test_radius_defaults_to_50_km_on_a_filtered_page(client):
    body = client.get(SEARCH, {"q": "paie"}).content.decode()
    assert '<option value="50" selected>' in body
