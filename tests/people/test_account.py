import pytest
from django.urls import reverse

from maillage.organisations.models import Organisation
from maillage.people.models import Role
from tests.factories import OrganisationFactory, UserFactory, make_siret

pytestmark = pytest.mark.django_db
URL = reverse("people:account")


def account_data(**overrides):
    data = {
        "first_name": "Léa",
        "last_name": "Martin",
        "phone": "05 61 00 00 00",
        "job_title": "Chargée de production",
        "employment_status": "salarie",
        "gender": "femme",
        "mode": "keep",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_account_page_shows_gender_explanation_and_password_link(client):
    client.force_login(UserFactory(roles=[Role.APPLICANT]))
    body = client.get(URL).content.decode()
    assert "jamais montrée au comité de sélection" in body
    assert reverse("people:password_change") in body
    assert reverse("organisations:search") in body
    assert "Garder ma structure actuelle" in body


def test_update_identity_and_keep_the_structure(client):
    user = UserFactory(roles=[Role.APPLICANT])
    organisation = user.organisation
    client.force_login(user)
    response = client.post(URL, account_data())
    assert response.url == URL
    user.refresh_from_db()
    assert (user.first_name, user.phone, user.gender) == ("Léa", "05 61 00 00 00", "femme")
    assert user.organisation == organisation


def test_pick_an_existing_structure(client):
    user = UserFactory(roles=[Role.APPLICANT], organisation=None)
    other = OrganisationFactory(name="La Cigalière")
    client.force_login(user)
    body = client.get(URL).content.decode()
    assert "Garder ma structure" not in body and "Je la renseignerai plus tard" in body
    client.post(URL, account_data(mode="search", organisation=str(other.pk)))
    user.refresh_from_db()
    assert user.organisation == other


def test_create_a_structure(client):
    user = UserFactory(roles=[Role.APPLICANT], organisation=None)
    client.force_login(user)
    client.post(
        URL,
        account_data(
            mode="create",
            **{
                "org-name": "Paloma",
                "org-siret": make_siret(77),
                "org-legal_form": "epcc",
                "org-activities": ["salle", "studio"],
                "org-postal_code": "30000",
                "org-commune": "30189",
            },
        ),
    )
    user.refresh_from_db()
    assert user.organisation.name == "Paloma"
    assert user.organisation.commune_id == "30189"


def test_errors_keep_everything_typed(client):
    user = UserFactory(roles=[Role.APPLICANT], first_name="Ancien")
    client.force_login(user)
    response = client.post(
        URL,
        account_data(
            first_name="<i>Nouveau</i>",
            phone="pas un numéro",
            mode="create",
            **{
                "org-name": "Paloma",
                "org-siret": "123",
                "org-legal_form": "epcc",
                "org-activities": ["salle"],
                "org-postal_code": "30000",
                "org-commune": "30189",
            },
        ),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Saisissez un numéro de téléphone" in body
    assert 'value="&lt;i&gt;Nouveau&lt;/i&gt;"' in body
    assert 'value="Paloma"' in body and 'value="123"' in body
    assert 'value="pas un numéro"' in body
    # The header still shows the saved name.
    header_link = body.split('class="account-name"', 1)[1][:200]
    assert "Ancien" in header_link
    user.refresh_from_db()
    assert user.first_name == "Ancien"
    assert not Organisation.objects.filter(name="Paloma").exists()


def test_search_mode_without_a_pick_is_explained(client):
    client.force_login(UserFactory(roles=[Role.APPLICANT]))
    body = client.post(URL, account_data(mode="search")).content.decode()
    assert "Recherchez votre structure par son nom ou son SIRET" in body
