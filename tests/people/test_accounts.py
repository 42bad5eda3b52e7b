import re

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.db import IntegrityError
from django.urls import reverse

from maillage.people.models import Role, RoleGrant, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "un-mot-de-passe-solide"


def test_email_is_the_login_and_is_case_insensitive():
    user = User.objects.create_user("Camille.Martin@Exemple.invalid", PASSWORD, first_name="C")
    assert user.email == "camille.martin@exemple.invalid"
    assert authenticate(username="camille.martin@exemple.invalid", password=PASSWORD) == user
    with pytest.raises(IntegrityError):
        User.objects.create_user("CAMILLE.MARTIN@exemple.invalid", PASSWORD)


def test_roles_are_granted_once_and_checked():
    user = UserFactory(roles=[Role.COORDINATOR])
    assert user.has_role(Role.COORDINATOR)
    assert not user.has_role(Role.FUNDER, Role.COMMITTEE)
    with pytest.raises(IntegrityError):
        RoleGrant.objects.create(user=user, role=Role.COORDINATOR)


def test_deactivated_user_holds_no_role():
    user = UserFactory(roles=[Role.ADMIN], is_active=False)
    assert not user.has_role(Role.ADMIN)


def test_superuser_gets_the_admin_role():
    admin = User.objects.create_superuser("root@exemple.invalid", PASSWORD, first_name="R")
    assert admin.has_role(Role.ADMIN) and admin.is_staff


def test_login_page_logs_in_with_email_and_rejects_in_french(client):
    UserFactory(email="lea@exemple.invalid", password=PASSWORD, roles=[Role.APPLICANT])
    bad = client.post(
        reverse("people:login"), {"username": "lea@exemple.invalid", "password": "faux"}
    )
    assert bad.status_code == 200
    body = bad.content.decode()
    assert "Adresse e-mail ou mot de passe incorrect" in body
    assert 'value="lea@exemple.invalid"' in body  # nothing typed is lost
    good = client.post(
        reverse("people:login"), {"username": "LEA@exemple.invalid", "password": PASSWORD}
    )
    assert good.status_code == 302 and good.url == reverse("core:dashboard")
    assert client.get(reverse("core:dashboard")).url == reverse("core:dashboard_applicant")


def test_logout_requires_post_and_ends_the_session(client):
    user = UserFactory(roles=[Role.APPLICANT])
    client.force_login(user)
    assert client.get(reverse("people:logout")).status_code == 405
    client.post(reverse("people:logout"))
    assert client.get(reverse("core:dashboard_applicant")).status_code == 302


def test_password_reset_sends_a_working_link_through_the_task_queue(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="noe@exemple.invalid", roles=[Role.APPLICANT])
    # The e-mail goes through the outbox: sent once the request's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("people:password_reset"), {"email": "noe@exemple.invalid"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Maillage : choisir un nouveau mot de passe"
    link = re.search(r"https?://[^/]+(/compte/mot-de-passe/nouveau/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choisir un nouveau mot de passe" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "nouveau-mot-de-passe-2026",
            "new_password2": "nouveau-mot-de-passe-2026",
        },
    )
    assert done.status_code == 302
    assert authenticate(username="noe@exemple.invalid", password="nouveau-mot-de-passe-2026")


def test_an_imported_person_without_a_password_claims_the_account_by_reset(
    client, django_capture_on_commit_callbacks
):
    imported = UserFactory(email="imported@exemple.invalid", roles=[Role.APPLICANT])
    imported.set_unusable_password()
    imported.save()
    erased = UserFactory(email="erased@exemple.invalid", is_active=False)
    erased.set_unusable_password()
    erased.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("people:password_reset"), {"email": "Imported@Exemple.invalid"})
        client.post(reverse("people:password_reset"), {"email": "erased@exemple.invalid"})
    [message] = mail.outbox
    assert message.to == ["imported@exemple.invalid"]
    link = re.search(r"https?://[^/]+(/compte/mot-de-passe/nouveau/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "premier-mot-de-passe-2026",
            "new_password2": "premier-mot-de-passe-2026",
        },
    )
    assert authenticate(username="imported@exemple.invalid", password="premier-mot-de-passe-2026")


def test_password_reset_for_unknown_address_reveals_nothing(client):
    response = client.post(reverse("people:password_reset"), {"email": "inconnu@exemple.invalid"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_short_passwords_are_refused_in_french(client):
    user = UserFactory(password=PASSWORD, roles=[Role.APPLICANT])
    client.force_login(user)
    response = client.post(
        reverse("people:password_change"),
        {"old_password": PASSWORD, "new_password1": "court1", "new_password2": "court1"},
    )
    assert response.status_code == 200
    assert "Ce mot de passe est trop court" in response.content.decode()
