import pytest
from django.urls import reverse

from maillage.people.models import Role
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    OrganisationFactory,
    ResourcePersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DASHBOARDS = {
    "core:dashboard_applicant": {Role.APPLICANT},
    "core:dashboard_resource_person": {Role.RESOURCE_PERSON},
    "core:dashboard_coordinator": {Role.COORDINATOR, Role.ADMIN},
    "core:dashboard_committee": {Role.COMMITTEE},
    "core:dashboard_funder": {Role.FUNDER},
    "core:dashboard_admin": {Role.ADMIN},
    "organisations:list": {Role.COORDINATOR, Role.ADMIN},
    "people:resource_person_list": {Role.COORDINATOR, Role.ADMIN},
}


@pytest.mark.parametrize("url_name", DASHBOARDS)
@pytest.mark.parametrize("role", list(Role))
def test_each_page_is_open_to_its_roles_only(client, url_name, role):
    CallFactory()
    client.force_login(UserFactory(roles=[role]))
    response = client.get(reverse(url_name))
    expected = 200 if role in DASHBOARDS[url_name] else 403
    assert response.status_code == expected


@pytest.mark.parametrize("url_name", DASHBOARDS)
def test_anonymous_visitors_are_sent_to_login(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("people:login"))


def test_detail_pages_are_staff_only(client):
    person = ResourcePersonFactory()
    organisation = person.user.organisation
    urls = [
        reverse("people:resource_person_detail", args=[person.pk]),
        reverse("organisations:detail", args=[organisation.pk]),
    ]
    for role in [Role.APPLICANT, Role.RESOURCE_PERSON, Role.COMMITTEE, Role.FUNDER]:
        client.force_login(UserFactory(roles=[role]))
        assert [client.get(url).status_code for url in urls] == [403, 403]
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    assert [client.get(url).status_code for url in urls] == [200, 200]
    assert client.get(reverse("organisations:detail", args=[999999])).status_code == 404


def test_dashboard_sends_each_role_to_its_page(client):
    for role, url_name in [
        (Role.APPLICANT, "core:dashboard_applicant"),
        (Role.FUNDER, "core:dashboard_funder"),
        (Role.COORDINATOR, "core:dashboard_coordinator"),
    ]:
        client.force_login(UserFactory(roles=[role]))
        assert client.get(reverse("core:dashboard")).url == reverse(url_name)
    client.force_login(UserFactory(roles=[]))
    assert "pas encore de rôle" in client.get(reverse("core:dashboard")).content.decode()


def test_applicant_sees_only_their_own_applications_with_history(client):
    mine = ApplicationFactory(need="Mon besoin en régie générale")
    ApplicationFactory(need="Le besoin de quelqu'un d'autre")
    mine.applicant.role_grants.get_or_create(role=Role.APPLICANT)
    client.force_login(mine.applicant)
    body = client.get(reverse("core:dashboard_applicant")).content.decode()
    assert mine.call.title in body
    assert "Brouillon" in body
    assert "quelqu&#x27;un d&#x27;autre" not in body


def test_funder_dashboard_shows_aggregates_and_no_personal_data(client):
    person = ResourcePersonFactory()
    client.force_login(UserFactory(roles=[Role.FUNDER]))
    body = client.get(reverse("core:dashboard_funder")).content.decode()
    assert "Haute-Garonne" in body
    assert person.user.last_name not in body
    assert person.user.email not in body


def _many_rows():
    for _ in range(3):
        ResourcePersonFactory()
        OrganisationFactory()


@pytest.mark.parametrize(
    "url_name", ["organisations:list", "people:resource_person_list", "core:dashboard_coordinator"]
)
def test_list_pages_run_a_constant_number_of_queries(
    client, url_name, django_assert_max_num_queries
):
    CallFactory()
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    _many_rows()
    with django_assert_max_num_queries(12) as few:
        client.get(reverse(url_name))
    for _ in range(3):
        _many_rows()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse(url_name))
    assert response.status_code == 200
