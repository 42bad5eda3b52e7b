"""Second factor for the staff roles: TOTP (django-otp's ``otp_totp``) and single-use recovery
codes (``otp_static``).

Who: coordinators, committee members, funders and admins, and any account that can open the
Django admin (``is_staff``/``is_superuser``), when ``MAILLAGE_REQUIRE_2FA`` is on (default).

How a session gets through: password (``people:login``) → ``people:two_factor_verify`` (six
digits or a recovery code) or, without a device yet, ``people:two_factor_enrol`` (QR code,
confirmation code, then ten recovery codes shown once). Until then ``SecondFactorMiddleware``
answers every page that is not public with a redirect to the verification page (htmx requests:
403 with ``HX-Redirect``).

Recovery codes carry about 119 bits (24 characters from a 31-letter alphabet), and only a
keyed digest of each is stored (``StaticToken.token``), so a copy of the database does not
reveal them (OWASP ASVS 5.0, V6.5).
"""

import re
import secrets
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.i18n import set_language
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.core.permissions import rule_of
from maillage.privacy.audit import client_ip, record
from maillage.privacy.models import AuditAction

from . import auth
from .models import Role, User

SECOND_FACTOR_ROLES = frozenset({Role.COORDINATOR, Role.COMMITTEE, Role.FUNDER, Role.ADMIN})
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery-codes"
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read from paper. 31 ** 24 ≈ 2 ** 119.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 24
RECOVERY_GROUP = 4
RECOVERY_DIGEST_SALT = "maillage.people.two_factor.recovery_code"
TOTP_PATTERN = re.compile(r"[0-9]{6}")
RECOVERY_PATTERN = re.compile(f"[{RECOVERY_ALPHABET}]{{{RECOVERY_CODE_LENGTH}}}")
# Session key holding freshly made recovery codes until the page that shows them once.
NEW_CODES_SESSION_KEY = "maillage_new_recovery_codes"
STEP_ATTRIBUTE = "second_factor_step"


def normalise_code(value: str) -> str:
    """Spaces and dashes are for reading only; recovery codes are case-insensitive."""
    return re.sub(r"[\s\-]+", "", value or "").lower()


def looks_like_recovery_code(code: str) -> bool:
    return bool(RECOVERY_PATTERN.fullmatch(code))


# --------------------------------------------------------------------------------------------
# Who needs it, and has this session passed it
# --------------------------------------------------------------------------------------------


def enforced() -> bool:
    return bool(getattr(settings, "MAILLAGE_REQUIRE_2FA", True))


def requires_second_factor(user: Any) -> bool:
    if not enforced() or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser or user.has_role(*SECOND_FACTOR_ROLES))


def session_verified(request: HttpRequest) -> bool:
    """django-otp's OTPMiddleware puts ``is_verified`` on the user of each request."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


def pending_second_factor(request: HttpRequest) -> bool:
    # Cheap checks first: most requests are anonymous or already verified.
    if not enforced() or not request.user.is_authenticated or session_verified(request):
        return False
    return requires_second_factor(request.user)


def safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def verification_url(next_url: str = "") -> str:
    url = reverse("people:two_factor_verify")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def second_factor_step(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Marks the views a session may use before passing the second factor."""
    setattr(view, STEP_ATTRIBUTE, True)
    return view


class SecondFactorMiddleware:
    """Refuses every non-public page to a staff session that has not passed the second factor.

    Public views (``maillage.core.permissions.public``) stay open: they are made for anonymous
    visitors. The verification and enrolment pages carry ``second_factor_step``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponseBase | None:
        if view_func is set_language or rule_of(view_func) == "public":
            return None
        if getattr(view_func, STEP_ATTRIBUTE, False):
            return None
        if not pending_second_factor(request):
            return None
        target = verification_url(request.get_full_path() if request.method == "GET" else "")
        if request.headers.get("HX-Request"):
            # htmx would swap a redirect's page into a fragment: ask for a full navigation.
            response = HttpResponse(status=403)
            response["HX-Redirect"] = target
            return response
        return redirect(target)


# --------------------------------------------------------------------------------------------
# Devices
# --------------------------------------------------------------------------------------------


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def pending_totp(user: User) -> TOTPDevice:
    """The device being enrolled: one per person, kept until confirmed so that reloading the
    page does not change the secret already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def secret_for_manual_entry(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, as authenticator apps expect it typed."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> SafeString:
    """Inline SVG without any style attribute or XML declaration: the CSP forbids inline
    styles, so colours are presentation attributes and the size comes from the stylesheet."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=1,
        border=4,
        dark="#000",
        light="#fff",
        svgclass="qr-code",
        lineclass="qr-code-line",
        omitsize=True,
    )
    return mark_safe(svg)  # noqa: S308 - generated by segno from our own URL, no user markup


def format_recovery_code(code: str) -> str:
    return "-".join(code[i : i + RECOVERY_GROUP] for i in range(0, len(code), RECOVERY_GROUP))


def _recovery_digests(code: str) -> list[str]:
    """Digest under the current key and every fallback key (SECRET_KEY rotation)."""
    secrets_to_try: list[str | None] = [None, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        salted_hmac(RECOVERY_DIGEST_SALT, code, secret=secret, algorithm="sha256").hexdigest()[:16]
        for secret in secrets_to_try
    ]


def new_recovery_codes(user: User) -> list[str]:
    """Replace the person's recovery codes with ten new ones; returns them in clear, once."""
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        StaticToken.objects.bulk_create(
            [StaticToken(device=device, token=_recovery_digests(code)[0]) for code in codes]
        )
    return [format_recovery_code(code) for code in codes]


# --------------------------------------------------------------------------------------------
# Checking a code
# --------------------------------------------------------------------------------------------


TOTP = "totp"
RECOVERY = "recovery"


@dataclass
class Check:
    device: Device | None = None
    method: str = TOTP
    # Set when the device refuses to check anything for a while after repeated failures.
    retry_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.device is not None


def _throttled_until(device: Any) -> datetime | None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    until = (info or {}).get("locked_until")
    return until if isinstance(until, datetime) else None


def _check_totp(user: User, code: str) -> Check:
    # Locked row: two requests with the same code cannot both pass (django-otp also refuses a
    # code of a time step already used).
    device = (
        TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk")
    ).first()
    if device is None:
        return Check(method=TOTP)
    retry_at = _throttled_until(device)
    if retry_at is not None:
        return Check(method=TOTP, retry_at=retry_at)
    return Check(device=device if device.verify_token(code) else None, method=TOTP)


def _check_recovery(user: User, code: str) -> Check:
    device = (
        StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk")
    ).first()
    if device is None:
        return Check(method=RECOVERY)
    retry_at = _throttled_until(device)
    if retry_at is not None:
        return Check(method=RECOVERY, retry_at=retry_at)
    # As StaticDevice.verify_token, but against the digests: the code itself is not stored.
    match = device.token_set.filter(token__in=_recovery_digests(code)).first()
    if match is None:
        device.throttle_increment()
        return Check(method=RECOVERY)
    match.delete()
    device.throttle_reset(commit=False)
    device.set_last_used_timestamp(commit=False)
    device.save()
    return Check(device=device, method=RECOVERY)


def check_code(user: User, code: str, *, allow_recovery: bool = True) -> Check:
    code = normalise_code(code)
    with transaction.atomic():
        if TOTP_PATTERN.fullmatch(code):
            return _check_totp(user, code)
        if allow_recovery and looks_like_recovery_code(code):
            return _check_recovery(user, code)
    return Check()


# --------------------------------------------------------------------------------------------
# Flows (each one audited; changes to how a person signs in are e-mailed to them)
# --------------------------------------------------------------------------------------------


def mark_session_verified(request: HttpRequest, device: Device) -> None:
    """This session passed the second factor: remember the device, renew the session key."""
    otp_login(request, device)
    # A new session identifier whenever the level of authentication changes (ASVS V7.2.4).
    request.session.cycle_key()


def verify(request: HttpRequest, user: User, code: str) -> Check:
    """The sign-in step: a TOTP code or a recovery code."""
    result = check_code(user, code)
    ip = client_ip(request)
    if not result.ok:
        record(
            AuditAction.TWO_FACTOR_FAILED,
            user,
            user,
            ip=ip,
            method=result.method,
            throttled=result.retry_at is not None,
        )
        return result
    assert result.device is not None
    mark_session_verified(request, result.device)
    if result.method == RECOVERY:
        left = recovery_codes_left(user)
        record(AuditAction.RECOVERY_CODE_USED, user, user, ip=ip, codes_left=left)
        auth.notify_security_event(user, auth.RECOVERY_CODE_USED, site_url=_site(request))
    else:
        record(AuditAction.TWO_FACTOR_VERIFIED, user, user, ip=ip, method=TOTP)
    return result


@dataclass
class Renewal:
    """Outcome of an enrolment or of new recovery codes: the codes to show once, or why not."""

    codes: list[str] | None = None
    retry_at: datetime | None = None


def confirm_enrolment(request: HttpRequest, user: User, code: str) -> Renewal:
    """Confirm the pending device with a code from the app; returns the new recovery codes."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            return Renewal()
        retry_at = _throttled_until(device)
        if retry_at is not None or not device.verify_token(normalise_code(code)):
            record(
                AuditAction.TWO_FACTOR_FAILED,
                user,
                user,
                ip=client_ip(request),
                method="enrolment",
                throttled=retry_at is not None,
            )
            return Renewal(retry_at=retry_at)
        # One authenticator per person: any other device goes with the new one's arrival.
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(user)
        record(AuditAction.TWO_FACTOR_ENROLLED, user, user, ip=client_ip(request))
        auth.notify_security_event(user, auth.TWO_FACTOR_ENABLED, site_url=_site(request))
    mark_session_verified(request, device)
    return Renewal(codes=codes)


def renew_recovery_codes(request: HttpRequest, user: User, code: str) -> Renewal:
    """New recovery codes against a current TOTP code (not a recovery code)."""
    result = check_code(user, code, allow_recovery=False)
    if not result.ok:
        record(
            AuditAction.TWO_FACTOR_FAILED,
            user,
            user,
            ip=client_ip(request),
            method=TOTP,
            throttled=result.retry_at is not None,
        )
        return Renewal(retry_at=result.retry_at)
    with transaction.atomic():
        codes = new_recovery_codes(user)
        record(AuditAction.RECOVERY_CODES_RENEWED, user, user, ip=client_ip(request))
        auth.notify_security_event(user, auth.RECOVERY_CODES_RENEWED, site_url=_site(request))
    return Renewal(codes=codes)


def reset_second_factor(user: User, *, actor: User, ip: str | None, site_url: str = "") -> None:
    """Remove the authenticator and the recovery codes; the person enrols again next time.

    By an admin (lost phone), every session of the person is closed too: whoever holds the
    phone may hold a session.
    """
    by_admin = actor.pk != user.pk
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        if by_admin:
            auth.bump_session_epoch(user)
        record(AuditAction.TWO_FACTOR_RESET, actor, user, ip=ip, by_admin=by_admin)
        auth.notify_security_event(
            user,
            auth.TWO_FACTOR_RESET_BY_ADMIN if by_admin else auth.TWO_FACTOR_RESET_BY_SELF,
            site_url=site_url,
        )


def reset_own(request: HttpRequest, user: User, code: str) -> Check:
    """The person starts again (new phone): needs a current code, TOTP or recovery."""
    result = check_code(user, code)
    if not result.ok:
        record(
            AuditAction.TWO_FACTOR_FAILED,
            user,
            user,
            ip=client_ip(request),
            method=result.method,
            throttled=result.retry_at is not None,
        )
        return result
    reset_second_factor(user, actor=user, ip=client_ip(request), site_url=_site(request))
    forget_verification(request)
    return result


def forget_verification(request: HttpRequest) -> None:
    request.session.pop(DEVICE_ID_SESSION_KEY, None)


def keep_new_codes(request: HttpRequest, codes: list[str]) -> None:
    request.session[NEW_CODES_SESSION_KEY] = codes


def take_new_codes(request: HttpRequest) -> list[str]:
    """The codes are shown once: reading them removes them from the session."""
    codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    return [str(code) for code in codes] if isinstance(codes, list) else []


def _site(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")
