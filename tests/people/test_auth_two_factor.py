"""Mandatory second factor (TOTP + recovery codes) for coordinators, committee members, funders
and admins: sign-in, enrolment, the gate on every non-public page, the "Sécurité du compte"
page, the admins' reset for a lost phone, the audit trail, and the demo helper command."""

import re
import time

import pytest
from django.contrib.auth import get_user
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.core.demo import DEMO_TOTP_KEY_HEX, DEMO_TOTP_SECRET
from maillage.people import two_factor
from maillage.people.models import Role, User
from maillage.privacy.models import AuditAction, AuditEvent
from tests.factories import TOTPDeviceFactory, UserFactory, totp_code, verified_login

pytestmark = pytest.mark.django_db
PASSWORD = "un-mot-de-passe-solide"
VERIFY = reverse("people:two_factor_verify")
ENROL = reverse("people:two_factor_enrol")
SECURITY = reverse("people:security")
CODES = reverse("people:recovery_codes")
DASHBOARD = reverse("core:dashboard")
ACCOUNTS = reverse("people:two_factor_accounts")
STAFF_ROLES = [Role.COORDINATOR, Role.COMMITTEE, Role.FUNDER, Role.ADMIN]


@pytest.fixture(autouse=True)
def _second_factor_on(settings):
    settings.MAILLAGE_REQUIRE_2FA = True


@pytest.fixture
def no_throttle(settings):
    """Wrong-then-right in the same second: django-otp's growing delay is tested apart."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def login(client: Client, user: User, next_url: str = ""):
    data = {"username": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("people:login"), data)


def actions(user: User) -> list[str]:
    return list(
        AuditEvent.objects.filter(actor=user).order_by("pk").values_list("action", flat=True)
    )


def shown_codes(page) -> list[str]:
    return re.findall(r"<code>([a-z0-9-]{29})</code>", page.content.decode())


# --------------------------------------------------------------------------------------------
# Who is asked
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_roles_go_from_the_password_to_the_verification_page(client, role):
    user = UserFactory(password=PASSWORD, roles=[role])
    TOTPDeviceFactory(user=user)
    response = login(client, user)
    assert response.status_code == 302
    assert response.url == f"{VERIFY}?next=%2Ftableau-de-bord%2F"
    page = client.get(response.url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Code de vérification" in body and 'autocomplete="one-time-code"' in body
    # Until then, nothing beyond public pages.
    assert client.get(DASHBOARD).url == f"{VERIFY}?next=%2Ftableau-de-bord%2F"


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.RESOURCE_PERSON])
def test_applicants_and_resource_persons_are_not_asked(client, role):
    user = UserFactory(password=PASSWORD, roles=[role])
    assert login(client, user).url == DASHBOARD
    assert client.get(DASHBOARD).status_code == 302  # to their own dashboard
    assert client.get(reverse("people:account")).status_code == 200
    assert "Votre rôle ne demande pas de second facteur" in client.get(SECURITY).content.decode()
    assert client.get(ENROL).url == SECURITY


def test_django_admin_accounts_without_a_role_are_asked_too(client):
    user = UserFactory(password=PASSWORD, is_staff=True, is_superuser=True)
    assert two_factor.requires_second_factor(user)
    client.force_login(user)
    assert client.get("/admin/").url.startswith(VERIFY)


def test_the_setting_turns_it_off(client, settings):
    settings.MAILLAGE_REQUIRE_2FA = False
    user = UserFactory(password=PASSWORD, roles=[Role.COORDINATOR])
    assert login(client, user).url == DASHBOARD
    assert client.get(reverse("core:dashboard_coordinator")).status_code == 200


def test_deploy_check_warns_when_the_setting_is_off(settings):
    from maillage.people.checks import second_factor_required

    assert second_factor_required() == []
    settings.MAILLAGE_REQUIRE_2FA = False
    (warning,) = second_factor_required()
    assert warning.id == "maillage.W001"


# --------------------------------------------------------------------------------------------
# The gate
# --------------------------------------------------------------------------------------------


def test_an_unverified_staff_session_reaches_public_pages_only(client):
    user = UserFactory(roles=[Role.COORDINATOR, Role.ADMIN], is_staff=True)
    client.force_login(user)
    for url in [
        reverse("core:dashboard_coordinator"),
        reverse("backoffice:list"),
        reverse("people:account"),
        reverse("people:password_change"),
        SECURITY,
        ACCOUNTS,
        "/admin/",
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(VERIFY + "?next="), url
    # A POST is refused the same way, and changes nothing.
    assert client.post(reverse("people:account"), {"first_name": "X"}).url == VERIFY
    assert User.objects.get(pk=user.pk).first_name == user.first_name
    for url in [reverse("core:home"), reverse("directory:search"), reverse("calls:list")]:
        assert client.get(url).status_code == 200, url
    assert client.post(reverse("set_language"), {"language": "fr"}).status_code == 302


def test_htmx_requests_get_a_403_with_a_full_page_redirect(client):
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    response = client.get(reverse("backoffice:list"), headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response["HX-Redirect"].startswith(VERIFY)


def test_verified_sessions_and_the_test_helper_pass(client):
    user = UserFactory(roles=[Role.COORDINATOR])
    verified_login(client, user)
    assert client.get(reverse("core:dashboard_coordinator")).status_code == 200
    assert client.get(VERIFY).url == DASHBOARD  # nothing left to verify


def test_logout_is_always_possible(client):
    user = UserFactory(roles=[Role.FUNDER])
    client.force_login(user)
    client.post(reverse("people:logout"))
    assert get_user(client).is_anonymous


# --------------------------------------------------------------------------------------------
# Sign-in with a code
# --------------------------------------------------------------------------------------------


def test_a_totp_code_verifies_the_session_with_a_new_key_and_is_audited(client):
    user = UserFactory(password=PASSWORD, roles=[Role.COMMITTEE])
    device = TOTPDeviceFactory(user=user)
    login(client, user, next_url=reverse("review:mine"))
    key_before = client.session.session_key
    response = client.post(
        VERIFY, {"code": totp_code(device), "next": reverse("review:mine")}, REMOTE_ADDR="192.0.2.9"
    )
    assert response.url == reverse("review:mine")
    assert client.session.session_key != key_before
    assert client.get(reverse("review:mine")).status_code == 200
    assert AuditAction.TWO_FACTOR_VERIFIED in actions(user)
    event = AuditEvent.objects.get(action=AuditAction.TWO_FACTOR_VERIFIED)
    assert event.ip == "192.0.2.9" and event.object_id == str(user.pk)


def test_a_foreign_next_url_is_ignored(client):
    user = UserFactory(roles=[Role.FUNDER])
    device = TOTPDeviceFactory(user=user)
    client.force_login(user)
    response = client.post(VERIFY, {"code": totp_code(device), "next": "https://ailleurs.example"})
    assert response.url == DASHBOARD


def test_a_wrong_code_is_refused_in_french_audited_and_keeps_the_session_unverified(client):
    user = UserFactory(roles=[Role.COORDINATOR])
    device = TOTPDeviceFactory(user=user)
    client.force_login(user)
    wrong = f"{(int(totp_code(device)) + 500_000) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ce code ne correspond pas" in body and 'id="error-summary"' in body
    assert re.search(r'aria-invalid="true"', body)
    assert client.get(DASHBOARD).status_code == 302
    assert client.get(reverse("core:dashboard_coordinator")).url.startswith(VERIFY)
    (failure,) = AuditEvent.objects.filter(action=AuditAction.TWO_FACTOR_FAILED)
    assert failure.details == {"method": "totp", "throttled": False}
    malformed = client.post(VERIFY, {"code": "12ab"})
    assert "Saisissez les 6 chiffres" in malformed.content.decode()


def test_repeated_failures_are_throttled_even_for_the_right_code(client):
    user = UserFactory(roles=[Role.COORDINATOR])
    device = TOTPDeviceFactory(user=user)
    client.force_login(user)
    client.post(VERIFY, {"code": "000000" if totp_code(device) != "000000" else "111111"})
    response = client.post(VERIFY, {"code": totp_code(device)})
    assert "Trop de codes erronés" in response.content.decode()
    assert client.get(reverse("core:dashboard_coordinator")).status_code == 302
    assert AuditEvent.objects.filter(
        action=AuditAction.TWO_FACTOR_FAILED, details__throttled=True
    ).exists()


def test_a_code_cannot_be_replayed(no_throttle):
    user = UserFactory(roles=[Role.COORDINATOR])
    device = TOTPDeviceFactory(user=user)
    code = totp_code(device)
    first, second = Client(), Client()
    first.force_login(user)
    second.force_login(user)
    assert first.post(VERIFY, {"code": code}).status_code == 302
    assert second.post(VERIFY, {"code": code}).status_code == 200
    # The next time step's code works (the app has moved on).
    assert second.post(VERIFY, {"code": totp_code(device, step_offset=1)}).status_code == 302


def test_a_recovery_code_signs_in_once_and_warns(
    client, no_throttle, django_capture_on_commit_callbacks, mailoutbox
):
    user = UserFactory(roles=[Role.ADMIN])
    TOTPDeviceFactory(user=user)
    codes = two_factor.new_recovery_codes(user)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"([a-hj-km-np-z2-9]{4}-){5}[a-hj-km-np-z2-9]{4}", c) for c in codes)
    client.force_login(user)
    typed = codes[3].upper().replace("-", " ")  # case and separators do not matter
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(VERIFY, {"code": typed}, follow=True)
    assert "il vous en reste 9" in response.content.decode()
    assert client.get(reverse("core:dashboard_admin")).status_code == 200
    assert AuditEvent.objects.get(action=AuditAction.RECOVERY_CODE_USED).details == {
        "codes_left": 9
    }
    (notice,) = mailoutbox
    assert "code de secours a été utilisé" in notice.body
    again = Client()
    again.force_login(user)
    assert again.post(VERIFY, {"code": codes[3]}).status_code == 200  # single use
    assert again.post(VERIFY, {"code": codes[4]}).status_code == 302


def test_recovery_codes_are_stored_as_keyed_digests_only():
    user = UserFactory(roles=[Role.ADMIN])
    codes = two_factor.new_recovery_codes(user)
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(stored) == 10
    plain = {c.replace("-", "") for c in codes}
    assert not stored & plain
    assert all(len(token) == 16 for token in stored)


def test_recovery_codes_survive_a_secret_key_rotation(client, settings):
    user = UserFactory(roles=[Role.ADMIN])
    codes = two_factor.new_recovery_codes(user)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "une-nouvelle-cle-secrete-pour-le-test-0123456789"
    assert two_factor.check_code(user, codes[0]).ok


# --------------------------------------------------------------------------------------------
# Enrolment
# --------------------------------------------------------------------------------------------


def test_enrolment_with_a_qr_code_then_recovery_codes_shown_once(
    client, no_throttle, django_capture_on_commit_callbacks, mailoutbox
):
    user = UserFactory(password=PASSWORD, roles=[Role.COORDINATOR])
    response = login(client, user)
    assert client.get(response.url).url == f"{ENROL}?next=%2Ftableau-de-bord%2F"
    page = client.get(ENROL + "?next=%2Ftableau-de-bord%2F")
    body = page.content.decode()
    assert "no-store" in page["Cache-Control"]
    svg = re.search(r"<svg[^>]*>.*?</svg>", body, re.S).group(0)
    assert 'class="qr-code"' in svg and "style" not in svg and "<?xml" not in body
    pending = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = re.search(r'id="cle-secrete">([A-Z2-7 ]+)<', body).group(1)
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", secret)
    # Reloading keeps the secret already scanned.
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=user).count() == 1

    wrong = client.post(ENROL, {"code": "123abc", "next": "/tableau-de-bord/"})
    assert "Saisissez les 6 chiffres" in wrong.content.decode()
    bad = f"{(int(totp_code(pending)) + 1) % 1_000_000:06d}"
    refused = client.post(ENROL, {"code": bad, "next": "/tableau-de-bord/"})
    assert "Ce code ne correspond pas" in refused.content.decode()
    assert client.get(DASHBOARD).url.startswith(VERIFY)

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(ENROL, {"code": totp_code(pending), "next": "/tableau-de-bord/"})
    assert done.url == f"{CODES}?next=%2Ftableau-de-bord%2F"
    codes_page = client.get(done.url)
    codes = shown_codes(codes_page)
    assert len(codes) == 10
    assert "no-store" in codes_page["Cache-Control"]
    assert 'href="/tableau-de-bord/"' in codes_page.content.decode()
    assert client.get(CODES).url == SECURITY  # shown once
    assert two_factor.check_code(user, codes[0]).ok

    pending.refresh_from_db()
    assert pending.confirmed
    assert client.get(reverse("core:dashboard_coordinator")).status_code == 200
    assert client.get(ENROL).url == SECURITY
    assert [a for a in actions(user) if a.startswith(("two_factor", "recovery"))] == [
        AuditAction.TWO_FACTOR_FAILED,
        AuditAction.TWO_FACTOR_ENROLLED,
    ]
    (notice,) = mailoutbox
    assert notice.subject == "Maillage : sécurité de votre compte"
    assert "double authentification a été activée" in notice.body
    assert pending.key not in notice.body and codes[0] not in notice.body


# --------------------------------------------------------------------------------------------
# "Sécurité du compte"
# --------------------------------------------------------------------------------------------


def test_security_page_shows_the_state(client):
    user = UserFactory(roles=[Role.COORDINATOR])
    verified_login(client, user)
    two_factor.new_recovery_codes(user)
    body = client.get(SECURITY).content.decode()
    assert "Activée" in body and "10 sur 10" in body
    assert "Obtenir de nouveaux codes de secours" in body and "Changer de téléphone" in body
    assert 'id="id_renew-code"' in body and 'id="id_reset-code"' in body
    assert ACCOUNTS not in body  # admins only
    assert reverse("people:security") in client.get(reverse("people:account")).content.decode()


def test_new_recovery_codes_need_a_current_app_code(client, no_throttle):
    user = UserFactory(roles=[Role.FUNDER])
    device = verified_login(client, user)
    old = two_factor.new_recovery_codes(user)
    url = reverse("people:recovery_codes_renew")
    refused = client.post(url, {"renew-code": old[0]})  # a recovery code is not enough
    assert refused.status_code == 200 and "Saisissez les 6 chiffres" in refused.content.decode()
    wrong = client.post(url, {"renew-code": "000000" if totp_code(device) != "000000" else "1" * 6})
    assert "Ce code ne correspond pas" in wrong.content.decode()
    response = client.post(url, {"renew-code": totp_code(device)})
    assert response.url == f"{CODES}?next=%2Fcompte%2Fsecurite%2F"
    new = shown_codes(client.get(response.url))
    assert len(new) == 10 and not set(new) & set(old)
    assert not two_factor.check_code(user, old[1]).ok
    assert AuditAction.RECOVERY_CODES_RENEWED in actions(user)
    assert client.get(url).status_code == 405


def test_reset_of_the_authenticator_needs_the_password_and_a_code(client, no_throttle):
    user = UserFactory(password=PASSWORD, roles=[Role.COMMITTEE])
    device = verified_login(client, user)
    codes = two_factor.new_recovery_codes(user)
    url = reverse("people:two_factor_reset")
    wrong_password = client.post(url, {"reset-password": "faux", "reset-code": totp_code(device)})
    body = wrong_password.content.decode()
    assert "pas votre mot de passe : retapez-le" in body
    assert 'value="faux"' not in body
    assert TOTPDevice.objects.filter(user=user).exists()
    response = client.post(url, {"reset-password": PASSWORD, "reset-code": codes[0]})
    assert response.url == ENROL
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    # This session must enrol again before anything else.
    assert client.get(reverse("core:dashboard_committee")).url.startswith(VERIFY)
    event = AuditEvent.objects.get(action=AuditAction.TWO_FACTOR_RESET)
    assert event.details == {"by_admin": False}


# --------------------------------------------------------------------------------------------
# Admins: lost phone
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "method"),
    [
        ("people:two_factor_verify", "get"),
        ("people:two_factor_enrol", "get"),
        ("people:security", "get"),
        ("people:recovery_codes", "get"),
        ("people:recovery_codes_renew", "post"),
        ("people:two_factor_reset", "post"),
    ],
)
def test_account_security_pages_send_anonymous_visitors_to_login(client, url_name, method):
    response = getattr(client, method)(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("people:login"))


def test_admin_pages_permissions(client):
    person = UserFactory(roles=[Role.COORDINATOR])
    reset_url = reverse("people:two_factor_account_reset", args=[person.pk])
    for url in [ACCOUNTS, reset_url]:
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("people:login"))
    for role in [
        Role.APPLICANT,
        Role.RESOURCE_PERSON,
        Role.COORDINATOR,
        Role.COMMITTEE,
        Role.FUNDER,
    ]:
        other = Client()
        verified_login(other, UserFactory(roles=[role]))
        assert other.get(ACCOUNTS).status_code == 403, role
        assert other.post(reset_url).status_code == 403, role
    admin = UserFactory(roles=[Role.ADMIN])
    verified_login(client, admin)
    assert client.get(ACCOUNTS).status_code == 200
    assert client.get(reset_url).status_code == 200
    missing = reverse("people:two_factor_account_reset", args=[999_999])
    own = reverse("people:two_factor_account_reset", args=[admin.pk])
    assert client.get(missing).status_code == 404
    assert client.post(own).status_code == 404  # their own: with a code, on their security page


def test_an_admin_resets_a_lost_phone_and_ends_the_persons_sessions(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    person = UserFactory(roles=[Role.COORDINATOR], first_name="Inès", last_name="Roux")
    person_client = Client()
    verified_login(person_client, person)
    two_factor.new_recovery_codes(person)
    admin = UserFactory(roles=[Role.ADMIN])
    verified_login(client, admin)
    url = reverse("people:two_factor_account_reset", args=[person.pk])
    assert (
        "Réinitialiser la double authentification de Inès Roux" in client.get(url).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, REMOTE_ADDR="192.0.2.77")
    assert response.url == ACCOUNTS
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert not StaticDevice.objects.filter(user=person).exists()
    assert get_user(person_client).is_anonymous
    event = AuditEvent.objects.get(action=AuditAction.TWO_FACTOR_RESET)
    assert (event.actor_id, event.object_id, event.ip) == (admin.pk, str(person.pk), "192.0.2.77")
    assert event.details == {"by_admin": True}
    (notice,) = mailoutbox
    assert notice.to == [person.email] and "administration de la plateforme" in notice.body
    listing = client.get(ACCOUNTS, follow=True).content.decode()
    assert "Pas encore activée" in listing


def test_the_admin_list_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    admin = UserFactory(roles=[Role.ADMIN])
    verified_login(client, admin)

    def page_queries() -> None:
        with django_assert_max_num_queries(12):
            response = client.get(ACCOUNTS)
        assert response.status_code == 200

    page_queries()
    for i in range(12):
        member = UserFactory(roles=[STAFF_ROLES[i % 4]])
        if i % 2:
            TOTPDeviceFactory(user=member)
            two_factor.new_recovery_codes(member)
    UserFactory(roles=[Role.APPLICANT], email="candidate@exemple.invalid")
    page_queries()
    body = client.get(ACCOUNTS).content.decode()
    assert "candidate@exemple.invalid" not in body
    assert body.count("Pas encore activée") == 6
    assert "13 comptes" in body
    searched = client.get(ACCOUNTS, {"q": admin.email}).content.decode()
    assert "1 compte" in searched


# --------------------------------------------------------------------------------------------
# Demo
# --------------------------------------------------------------------------------------------


def test_demo_totp_prints_the_current_code_in_debug_only(settings, capsys):
    from io import StringIO

    user = UserFactory(email="coordination@maillage.demo", roles=[Role.COORDINATOR])
    settings.DEBUG = False
    with pytest.raises(CommandError, match="développement"):
        call_command("demo_totp", user.email)
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_totp", user.email, stdout=out, stderr=StringIO())
    device = TOTPDevice.objects.get(user=user)
    assert device.key == DEMO_TOTP_KEY_HEX and device.confirmed
    code = out.getvalue().strip()
    assert code in {totp_code(device, at=time.time() + delta) for delta in (-30, 0, 30)}
    assert DEMO_TOTP_SECRET.replace(" ", "") == two_factor.secret_for_manual_entry(device).replace(
        " ", ""
    )
    with pytest.raises(CommandError):
        call_command("demo_totp", "quelquun@exemple.invalid")
    UserFactory(email="candidate@maillage.demo", roles=[Role.APPLICANT])
    with pytest.raises(CommandError):
        call_command("demo_totp", "candidate@maillage.demo")


def test_demo_staff_accounts_get_the_demo_device_once(settings):
    from io import StringIO

    from maillage.core.demo import enrol_demo_second_factor

    funder = UserFactory(email="financeur@maillage.demo", roles=[Role.FUNDER])
    committee = UserFactory(email="comite7@maillage.demo", roles=[Role.COMMITTEE])
    own = TOTPDeviceFactory(user=committee)  # enrolled with their own phone: kept
    applicant = UserFactory(email="candidate@maillage.demo", roles=[Role.APPLICANT])
    outsider = UserFactory(email="coordination@exemple.invalid", roles=[Role.COORDINATOR])
    settings.DEBUG = True
    call_command("demo_accounts", stdout=StringIO())
    assert TOTPDevice.objects.get(user=funder).key == DEMO_TOTP_KEY_HEX
    assert list(TOTPDevice.objects.filter(user=committee)) == [own]
    assert not TOTPDevice.objects.filter(user__in=[applicant, outsider]).exists()
    assert enrol_demo_second_factor() == 0
