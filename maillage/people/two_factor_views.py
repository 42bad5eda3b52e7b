"""Pages of the second factor: verification at sign-in, enrolment, recovery codes shown once,
the "Sécurité du compte" page, and the admins' reset for a lost phone.

Every page here shows or accepts secrets: none may be cached (``never_cache``).
"""

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from maillage.core.permissions import current_user, role_required, signed_in
from maillage.privacy.audit import client_ip

from . import two_factor
from .forms import ResetSecondFactorForm, SecondFactorCodeForm, VerificationForm
from .models import Role, User
from .selectors import second_factor_account_for_admin, second_factor_accounts

PAGE_SIZE = 25


def _target(request: HttpRequest) -> str:
    return two_factor.safe_next(request) or resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, request: HttpRequest) -> str:
    url = reverse(url_name)
    next_url = two_factor.safe_next(request)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _retry_message(retry_at: datetime) -> str:
    return _(
        "Trop de codes erronés : patientez jusqu'à %(time)s avant de réessayer. Vérifiez que "
        "l'heure de votre téléphone est à jour."
    ) % {"time": formats.time_format(timezone.localtime(retry_at), "H:i:s")}


@two_factor.second_factor_step
@signed_in
@never_cache
def verify(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    if not two_factor.pending_second_factor(request):
        return redirect(_target(request))
    if two_factor.confirmed_totp(user) is None:
        return redirect(_with_next("people:two_factor_enrol", request))
    form = VerificationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.verify(request, user, form.cleaned_data["code"])
        if result.ok:
            if result.method == two_factor.RECOVERY:
                left = two_factor.recovery_codes_left(user)
                messages.warning(
                    request,
                    _(
                        "Vous vous êtes connecté·e avec un code de secours ; il vous en reste "
                        "%(count)s. Si vous avez perdu votre téléphone, réinitialisez votre "
                        "application d'authentification depuis « Sécurité du compte »."
                    )
                    % {"count": left},
                )
            return redirect(_target(request))
        form.add_error(
            "code",
            _retry_message(result.retry_at)
            if result.retry_at
            else _(
                "Ce code ne correspond pas. Tapez le code affiché en ce moment par votre "
                "application (il change toutes les 30 secondes), ou un code de secours inutilisé."
            ),
        )
    return render(
        request,
        "people/two_factor_verify.html",
        {"form": form, "next": two_factor.safe_next(request)},
    )


@two_factor.second_factor_step
@signed_in
@never_cache
def enrol(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    if two_factor.confirmed_totp(user) is not None:
        messages.info(request, _("La double authentification est déjà activée sur votre compte."))
        return redirect("people:security")
    if not two_factor.requires_second_factor(user):
        return redirect("people:security")
    device = two_factor.pending_totp(user)
    form = SecondFactorCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        renewal = two_factor.confirm_enrolment(request, user, form.cleaned_data["code"])
        if renewal.codes is not None:
            two_factor.keep_new_codes(request, renewal.codes)
            return redirect(_with_next("people:recovery_codes", request))
        form.add_error(
            "code",
            _retry_message(renewal.retry_at)
            if renewal.retry_at
            else _(
                "Ce code ne correspond pas. Vérifiez que vous avez scanné le QR code de cette "
                "page, puis tapez le code affiché en ce moment par l'application."
            ),
        )
    return render(
        request,
        "people/two_factor_enrol.html",
        {
            "form": form,
            "qr_code": two_factor.qr_code_svg(device),
            "secret": two_factor.secret_for_manual_entry(device),
            "next": two_factor.safe_next(request),
        },
    )


@signed_in
@never_cache
def recovery_codes(request: HttpRequest) -> HttpResponseBase:
    codes = two_factor.take_new_codes(request)
    if not codes:
        return redirect("people:security")
    return render(
        request,
        "people/recovery_codes.html",
        {"codes": codes, "target": _target(request)},
    )


def _security_page(
    request: HttpRequest,
    *,
    renew_form: SecondFactorCodeForm | None = None,
    reset_form: ResetSecondFactorForm | None = None,
) -> HttpResponse:
    user = current_user(request)
    device = two_factor.confirmed_totp(user)
    renew_form = renew_form or SecondFactorCodeForm(prefix="renew")
    reset_form = reset_form or ResetSecondFactorForm(user, prefix="reset")
    # Two forms on one page: neither takes the focus on arrival.
    for form in (renew_form, reset_form):
        form.fields["code"].widget.attrs.pop("autofocus", None)
    return render(
        request,
        "people/security.html",
        {
            "required": two_factor.requires_second_factor(user),
            "enforced": two_factor.enforced(),
            "device": device,
            "codes_left": two_factor.recovery_codes_left(user) if device else 0,
            "code_count": two_factor.RECOVERY_CODE_COUNT,
            "renew_form": renew_form,
            "reset_form": reset_form,
            "is_admin": user.has_role(Role.ADMIN),
        },
    )


@signed_in
@never_cache
def security(request: HttpRequest) -> HttpResponse:
    return _security_page(request)


@signed_in
@require_POST
@never_cache
def renew_recovery_codes(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    if two_factor.confirmed_totp(user) is None:
        return redirect("people:security")
    form = SecondFactorCodeForm(request.POST, prefix="renew")
    if form.is_valid():
        renewal = two_factor.renew_recovery_codes(request, user, form.cleaned_data["code"])
        if renewal.codes is not None:
            two_factor.keep_new_codes(request, renewal.codes)
            back = urlencode({"next": reverse("people:security")})
            return redirect(f"{reverse('people:recovery_codes')}?{back}")
        form.add_error(
            "code",
            _retry_message(renewal.retry_at)
            if renewal.retry_at
            else _(
                "Ce code ne correspond pas : tapez le code affiché en ce moment par l'application."
            ),
        )
    return _security_page(request, renew_form=form)


@signed_in
@require_POST
@never_cache
def reset(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    form = ResetSecondFactorForm(user, request.POST, prefix="reset")
    if form.is_valid():
        result = two_factor.reset_own(request, user, form.cleaned_data["code"])
        if result.ok:
            messages.success(
                request,
                _(
                    "Votre application d'authentification et vos codes de secours sont "
                    "supprimés. Activez maintenant la double authentification avec votre "
                    "nouveau téléphone."
                ),
            )
            if two_factor.requires_second_factor(user):
                return redirect("people:two_factor_enrol")
            return redirect("people:security")
        form.add_error(
            "code",
            _retry_message(result.retry_at)
            if result.retry_at
            else _(
                "Ce code ne correspond pas : tapez le code de l'application ou un code de secours."
            ),
        )
    return _security_page(request, reset_form=form)


def _site(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


# --------------------------------------------------------------------------------------------
# Admins: reset another person's second factor (lost or changed phone)
# --------------------------------------------------------------------------------------------


@role_required(Role.ADMIN)
@never_cache
def accounts(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(second_factor_accounts(query), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "people/two_factor_accounts.html",
        {"page": page, "query": query, "me": current_user(request)},
    )


@role_required(Role.ADMIN)
@never_cache
def account_reset(request: HttpRequest, pk: int) -> HttpResponseBase:
    admin = current_user(request)
    person: User = second_factor_account_for_admin(pk, admin)
    if request.method == "POST":
        two_factor.reset_second_factor(
            person, actor=admin, ip=client_ip(request), site_url=_site(request)
        )
        messages.success(
            request,
            _(
                "La double authentification de %(name)s est réinitialisée et ses sessions sont "
                "fermées ; un e-mail l'en informe. Elle ou il l'activera de nouveau à sa "
                "prochaine connexion."
            )
            % {"name": person.full_name or person.email},
        )
        return redirect("people:two_factor_accounts")
    return render(
        request,
        "people/two_factor_account_reset.html",
        {"person": person, "has_device": two_factor.confirmed_totp(person) is not None},
    )
