import re

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.organisations.models import Organisation
from maillage.people.models import ResourcePerson, Role, ValidationStatus
from tests.factories import (
    CompetenceFactory,
    OrganisationFactory,
    ResourcePersonFactory,
    UserFactory,
    make_siret,
)

from .helpers import competence_rows, profile_data

pytestmark = pytest.mark.django_db
URL = reverse("people:profile")
SCRIPT = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


@pytest.fixture
def person():
    return UserFactory(roles=[Role.RESOURCE_PERSON], organisation=None, job_title="")


@pytest.fixture
def competences():
    return [CompetenceFactory(), CompetenceFactory()]


def test_empty_profile_form_groups_competences_by_domain(client, person):
    client.force_login(person)
    body = client.get(URL).content.decode()
    assert "Mon profil de personne-ressource" in body
    assert "<optgroup" in body
    assert "Compétence n° 1" in body and "Compétence n° 2" in body
    assert "Ajouter d'autres compétences" in body
    for label in ["Pratique confirmée", "Maîtrise avancée", "Expertise reconnue"]:
        assert label in body
    assert 'name="competences-TOTAL_FORMS" value="8"' in body


def test_creating_a_profile_sets_it_pending_with_competences(client, person, competences):
    organisation = OrganisationFactory()
    client.force_login(person)
    response = client.post(URL, profile_data(competences, organisation.pk))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response.url == reverse("core:dashboard_resource_person")
    profile = ResourcePerson.objects.get(user=person)
    assert profile.status == ValidationStatus.PENDING
    assert profile.commune_id == "31555"
    assert profile.formats == ["immersion", "distance"]
    assert profile.available_months == [3, 4, 10]
    assert profile.travel_radius_km == 150
    assert sorted(link.competence_id for link in profile.competence_links.all()) == sorted(
        c.pk for c in competences
    )
    assert {link.level for link in profile.competence_links.all()} == {2}
    person.refresh_from_db()
    assert person.organisation == organisation
    assert person.job_title == "Régisseuse générale"
    dashboard = client.get(response.url).content.decode()
    assert "En attente de validation" in dashboard


def test_every_month_ticked_means_all_year(client, person, competences):
    client.force_login(person)
    data = profile_data(
        competences, OrganisationFactory().pk, available_months=[str(m) for m in range(1, 13)]
    )
    client.post(URL, data)
    assert ResourcePerson.objects.get(user=person).available_months == []


def test_creating_the_structure_with_the_profile(client, person, competences):
    client.force_login(person)
    data = profile_data(
        competences,
        None,
        mode="create",
        **{
            "org-name": "Le Bikini",
            "org-siret": make_siret(4242),
            "org-legal_form": "association",
            "org-activities": ["salle"],
            "org-postal_code": "31000",
            "org-commune": "31555",
        },
    )
    response = client.post(URL, data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.organisation.name == "Le Bikini"


def test_bad_siret_is_a_french_error_and_nothing_is_lost(client, person, competences):
    client.force_login(person)
    data = profile_data(
        competences,
        None,
        mode="create",
        summary=f"Ma présentation {SCRIPT} reste telle que tapée.",
        **{
            "org-name": "Le Bikini",
            "org-siret": "12345678901234",
            "org-legal_form": "association",
            "org-activities": ["salle"],
            "org-postal_code": "31000",
            "org-commune": "31555",
        },
    )
    response = client.post(URL, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "SIRET" in body and 'id="error-summary"' in body
    assert 'aria-invalid="true"' in body
    assert not Organisation.objects.filter(name="Le Bikini").exists()
    assert not ResourcePerson.objects.exists()
    # Everything typed comes back, including the competence rows and the structure.
    assert 'value="Le Bikini"' in body
    assert 'value="12345678901234"' in body
    assert 'value="Régisseuse générale"' in body
    assert f"Ma présentation {ESCAPED} reste telle que tapée." in body
    assert SCRIPT not in body
    for i, competence in enumerate(competences):
        assert f'<option value="{competence.pk}" selected>' in body
        assert f'value="Transmission n° {i + 1}"' in body
    assert re.search(r'value="create"[^>]*checked', body)
    assert 'value="150"' in body


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"formats": []}, "Cochez au moins un format de transfert."),
        ({"days_per_year": "0"}, "Indiquez un nombre de jours entre 1 et 100."),
        ({"days_per_year": "365"}, "Indiquez un nombre de jours entre 1 et 100."),
        ({"days_per_year": "beaucoup"}, "Indiquez un nombre de jours entre 1 et 100."),
        ({"years_of_experience": "99"}, "Indiquez un nombre d&#x27;années entre 0 et 60."),
        ({"travel_radius_km": "-5"}, "Indiquez une distance entre 0 et 1 000 km."),
        ({"postal_code": "3100"}, "Le code postal doit comporter 5 chiffres."),
        ({"postal_code": "75001", "commune": "75056"}, "Choisissez une commune d&#x27;Occitanie"),
        ({"summary": "Court"}, "20 caractères au moins"),
        ({"job-job_title": ""}, "Indiquez le poste que vous occupez."),
        ({"mode": "search", "organisation": None}, "Recherchez votre structure"),
        ({"mode": "keep", "organisation": None}, "Sélectionnez un choix valide"),
        ({"available_months": ["13"]}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_profile_input_gets_a_french_error(client, person, competences, overrides, message):
    client.force_login(person)
    data = profile_data(competences, OrganisationFactory().pk, **overrides)
    response = client.post(URL, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert 'id="error-summary"' in body
    assert not ResourcePerson.objects.exists()
    # The competence rows survive every error.
    assert f'<option value="{competences[0].pk}" selected>' in body


def test_competences_are_required(client, person):
    client.force_login(person)
    response = client.post(URL, profile_data([], OrganisationFactory().pk))
    assert "Indiquez au moins une compétence que vous pouvez transmettre." in (
        response.content.decode()
    )
    assert not ResourcePerson.objects.exists()


def test_at_most_eight_competences(client, person):
    client.force_login(person)
    nine = [CompetenceFactory() for _ in range(9)]
    data = profile_data([], OrganisationFactory().pk)
    data.update(competence_rows(nine, total=9))
    response = client.post(URL, data)
    assert "Indiquez 8 compétences au plus" in response.content.decode()
    assert not ResourcePerson.objects.exists()


def test_a_competence_only_once_and_a_row_needs_a_competence(client, person, competences):
    client.force_login(person)
    data = profile_data([competences[0], competences[0]], OrganisationFactory().pk)
    body = client.post(URL, data).content.decode()
    assert "Cette compétence figure déjà plus haut" in body
    data = profile_data(
        competences, OrganisationFactory().pk, **{"competences-3-description": "Sans compétence"}
    )
    body = client.post(URL, data).content.decode()
    assert "Choisissez une compétence dans la liste." in body
    assert 'value="Sans compétence"' in body
    assert not ResourcePerson.objects.exists()


def test_editing_a_validated_profile_keeps_it_validated(client, competences):
    profile = ResourcePersonFactory(competences=[competences[0]])
    validated_at, updated_at = profile.validated_at, profile.updated_at
    client.force_login(profile.user)
    page = client.get(URL).content.decode()
    assert 'value="31000"' in page  # postal code guessed from the commune
    assert f'<option value="{competences[0].pk}" selected>' in page
    assert "Retirer cette compétence" in page
    new = CompetenceFactory()
    data = profile_data(
        [competences[0], new],
        None,
        mode="keep",
        summary="Une présentation mise à jour, assez longue pour être valable.",
        **{"competences-INITIAL_FORMS": "1", "competences-0-level": "3"},
    )
    response = client.post(URL, data)
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.status == ValidationStatus.VALIDATED
    assert profile.validated_at == validated_at
    assert profile.updated_at > updated_at
    assert profile.summary.startswith("Une présentation mise à jour")
    links = {link.competence_id: link.level for link in profile.competence_links.all()}
    assert links == {competences[0].pk: 3, new.pk: 2}


def test_removing_a_competence(client, competences):
    profile = ResourcePersonFactory(competences=competences)
    client.force_login(profile.user)
    data = profile_data(
        competences,
        None,
        mode="keep",
        **{"competences-INITIAL_FORMS": "2", "competences-1-DELETE": "on"},
    )
    assert client.post(URL, data).status_code == 302
    assert list(profile.competence_links.values_list("competence_id", flat=True)) == [
        competences[0].pk
    ]


def test_suspended_profile_stays_suspended_after_an_edit(client, competences):
    profile = ResourcePersonFactory(suspended=True, competences=competences)
    client.force_login(profile.user)
    data = profile_data(competences, None, mode="keep", **{"competences-INITIAL_FORMS": "2"})
    assert client.post(URL, data).status_code == 302
    profile.refresh_from_db()
    assert profile.status == ValidationStatus.SUSPENDED


def test_script_in_the_summary_is_escaped_everywhere(client, competences):
    profile = ResourcePersonFactory(
        competences=competences,
        summary=f"Présentation {SCRIPT}",
        consent_updated_at=timezone.now(),
    )
    profile.competence_links.update(description=SCRIPT)
    profile.user.job_title = SCRIPT
    profile.user.save()
    client.force_login(profile.user)
    pages = [
        reverse("core:dashboard_resource_person"),
        URL,
        reverse("people:consents"),
        reverse("people:consents") + "?apercu=1&consent_directory=on&consent_show_summary=on",
        reverse("people:account"),
    ]
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    for url in pages:
        body = client.get(url).content.decode()
        assert SCRIPT not in body, url
        assert ESCAPED in body, url
    client.force_login(coordinator)
    for url in [
        reverse("people:resource_person_detail", args=[profile.pk]),
        reverse("people:resource_person_list"),
    ]:
        body = client.get(url).content.decode()
        assert SCRIPT not in body, url
        assert ESCAPED in body, url
