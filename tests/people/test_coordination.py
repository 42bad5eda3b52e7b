import re

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.urls import reverse

from maillage.people import services
from maillage.people.models import ResourcePerson, Role, User, ValidationStatus
from tests.factories import (
    CompetenceFactory,
    OrganisationFactory,
    ResourcePersonFactory,
    UserFactory,
)

from .helpers import STRONG_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator():
    return UserFactory(roles=[Role.COORDINATOR], first_name="Inès", last_name="Coord")


def detail(person):
    return reverse("people:resource_person_detail", args=[person.pk])


def test_validate_records_who_and_when_and_emails(
    client, coordinator, django_capture_on_commit_callbacks
):
    person = ResourcePersonFactory(pending=True)
    client.force_login(coordinator)
    assert "Valider ce profil" in client.get(detail(person)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("people:resource_person_validate", args=[person.pk]))
    assert response.url == detail(person)
    person.refresh_from_db()
    assert person.status == ValidationStatus.VALIDATED
    assert person.validated_by == coordinator and person.validated_at
    assert [m.subject for m in mail.outbox] == [
        "Maillage : votre profil de personne-ressource est validé"
    ]
    assert mail.outbox[0].to == [person.user.email]
    page = client.get(detail(person)).content.decode()
    assert "par Inès Coord" in page
    assert "Valider ce profil" not in page


def test_suspend_needs_a_reason_and_sends_it(
    client, coordinator, django_capture_on_commit_callbacks
):
    person = ResourcePersonFactory()
    client.force_login(coordinator)
    url = reverse("people:resource_person_suspend", args=[person.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert "Indiquez le motif de la suspension." in response.content.decode()
    person.refresh_from_db()
    assert person.status == ValidationStatus.VALIDATED
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"reason": "Coordonnées de la structure à vérifier <b>vite</b>."})
    person.refresh_from_db()
    assert person.status == ValidationStatus.SUSPENDED
    assert person.validated_at is not None  # the last validation stays on record
    assert not ResourcePerson.objects.listed().filter(pk=person.pk).exists()
    (message,) = mail.outbox
    assert message.subject == "Maillage : votre profil de personne-ressource est suspendu"
    assert "Coordonnées de la structure à vérifier <b>vite</b>." in message.body


def test_reopen_puts_back_to_pending(client, coordinator):
    person = ResourcePersonFactory(suspended=True)
    client.force_login(coordinator)
    client.post(reverse("people:resource_person_reopen", args=[person.pk]))
    person.refresh_from_db()
    assert person.status == ValidationStatus.PENDING


@pytest.mark.parametrize(
    "name", ["resource_person_validate", "resource_person_suspend", "resource_person_reopen"]
)
def test_actions_are_post_only_and_staff_only(client, coordinator, name):
    person = ResourcePersonFactory(pending=True)
    url = reverse(f"people:{name}", args=[person.pk])
    assert client.post(url).url.startswith(reverse("people:login"))
    for role in [Role.APPLICANT, Role.RESOURCE_PERSON, Role.COMMITTEE, Role.FUNDER]:
        client.force_login(UserFactory(roles=[role]))
        assert client.post(url, {"reason": "x"}).status_code == 403
    client.force_login(person.user)
    assert client.post(url, {"reason": "x"}).status_code == 403
    client.force_login(coordinator)
    assert client.get(url).status_code == 405
    assert client.post(reverse(f"people:{name}", args=[999999]), {"reason": "x"}).status_code == 404
    person.refresh_from_db()
    assert person.status == ValidationStatus.PENDING


def test_admin_may_validate(client):
    person = ResourcePersonFactory(pending=True)
    client.force_login(UserFactory(roles=[Role.ADMIN]))
    client.post(reverse("people:resource_person_validate", args=[person.pk]))
    person.refresh_from_db()
    assert person.status == ValidationStatus.VALIDATED


def test_services_directly(coordinator):
    person = ResourcePersonFactory(pending=True)
    services.validate_resource_person(person, coordinator)
    services.suspend_resource_person(person, coordinator, reason="Motif")
    assert person.status == ValidationStatus.SUSPENDED
    services.reopen_resource_person(person, coordinator)
    person.refresh_from_db()
    assert person.status == ValidationStatus.PENDING


# -- invitations -------------------------------------------------------------------------------

INVITE = reverse("people:resource_person_invite")


def invitation_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/compte/invitation/\S+)", message.body).group(1)


def test_invitation_creates_an_account_and_a_one_time_link(
    client, coordinator, django_capture_on_commit_callbacks
):
    organisation = OrganisationFactory(name="Le Metronum")
    client.force_login(coordinator)
    assert (
        "Inviter une personne-ressource"
        in client.get(reverse("people:resource_person_list")).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            INVITE,
            {
                "first_name": "Malik",
                "last_name": "Benali",
                "email": "Malik.Benali@exemple.invalid",
                "mode": "search",
                "organisation": str(organisation.pk),
            },
        )
    assert response.url == INVITE
    user = User.objects.get(email="malik.benali@exemple.invalid")
    assert not user.has_usable_password()
    assert user.organisation == organisation
    assert user.roles == {Role.RESOURCE_PERSON}
    (message,) = mail.outbox
    assert message.subject == "Maillage : invitation à rejoindre les personnes-ressources"
    assert "Inès Coord" in message.body

    client.logout()
    link = invitation_link(message)
    page = client.get(link, follow=True)
    assert "choisissez votre mot de passe" in page.content.decode()
    set_password_url = page.redirect_chain[-1][0]
    bad = client.post(set_password_url, {"password1": "court", "password2": "court"})
    assert "Ce mot de passe est trop court" in bad.content.decode()
    done = client.post(
        set_password_url, {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD}
    )
    assert done.url == reverse("people:profile")
    assert get_user(client).email == "malik.benali@exemple.invalid"
    user.refresh_from_db()
    assert user.check_password(STRONG_PASSWORD)

    # The link has served: a second visit explains it clearly.
    client.logout()
    again = client.get(link, follow=True).content.decode()
    assert "Ce lien d'invitation n'est plus valable" in again


def test_a_forged_link_is_refused(client):
    user = UserFactory()
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    url = reverse("people:invitation_accept", kwargs={"uidb64": uid, "token": "abc-def"})
    assert "n'est plus valable" in client.get(url).content.decode()


def test_expired_link_is_refused(client, settings, coordinator):
    user, _ = services.invite_resource_person(
        email="x@exemple.invalid",
        first_name="X",
        last_name="Y",
        organisation=None,
        invited_by=coordinator,
        site_url="http://testserver",
    )
    path = services.invitation_path(user)
    settings.PASSWORD_RESET_TIMEOUT = -1
    assert "n'est plus valable" in client.get(path, follow=True).content.decode()


def test_inviting_an_existing_account_adds_the_role(
    client, coordinator, django_capture_on_commit_callbacks
):
    existing = UserFactory(email="deja@exemple.invalid", roles=[Role.APPLICANT])
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            INVITE,
            {"first_name": "D", "last_name": "J", "email": "DEJA@exemple.invalid", "mode": "keep"},
        )
    existing.refresh_from_db()
    assert existing.roles == {Role.APPLICANT, Role.RESOURCE_PERSON}
    assert existing.first_name != "D"  # an invitation never renames an account
    (message,) = mail.outbox
    assert message.subject == "Maillage : vous êtes invité·e comme personne-ressource"
    assert "/compte/personne-ressource/" in message.body
    assert "/compte/invitation/" not in message.body


def test_invitation_form_errors_keep_fields(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        INVITE, {"first_name": "Malik", "last_name": "", "email": "pas-valide", "mode": "keep"}
    )
    body = response.content.decode()
    assert "Indiquez le nom." in body and "Saisissez une adresse e-mail valide" in body
    assert 'value="Malik"' in body and 'value="pas-valide"' in body
    assert not User.objects.filter(first_name="Malik").exists()


def test_coordinator_list_runs_a_constant_number_of_queries(
    client, coordinator, django_assert_max_num_queries
):
    competences = [CompetenceFactory() for _ in range(3)]

    def rows():
        for i in range(3):
            ResourcePersonFactory(competences=competences, pending=bool(i % 2))

    client.force_login(coordinator)
    rows()
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("people:resource_person_list"))
    rows()
    rows()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("people:resource_person_list"))
    assert response.status_code == 200
    assert response.content.decode().count("badge-pending") >= 3


def test_detail_page_runs_a_bounded_number_of_queries(
    client, coordinator, django_assert_max_num_queries
):
    person = ResourcePersonFactory(competences=[CompetenceFactory() for _ in range(6)])
    services.validate_resource_person(person, coordinator)
    client.force_login(coordinator)
    with django_assert_max_num_queries(8):
        assert client.get(detail(person)).status_code == 200
