from typing import Any

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.competences.models import Domain
from maillage.core.permissions import current_user, public, role_required, signed_in
from maillage.geography.models import Departement

from . import auth, services, two_factor
from .forms import (
    DUPLICATE_EMAIL,
    AccountForm,
    CompetenceFormSet,
    ConsentForm,
    EmailAuthenticationForm,
    InvitationForm,
    InvitationPasswordForm,
    JobForm,
    OrganisationChoiceForm,
    OrganisationMode,
    ProjectPasswordChangeForm,
    ProjectSetPasswordForm,
    QueuedPasswordResetForm,
    ResourcePersonForm,
    SignUpForm,
    SuspensionForm,
    kept_competence_rows,
)
from .models import ResourcePerson, Role, User, ValidationStatus
from .selectors import (
    grouped_competence_choices,
    postal_code_of,
    public_card,
    resource_person_for_staff,
    resource_persons_for_staff,
    with_profile_details,
)
from .services import CONSENT_FIELDS


class LoginView(auth_views.LoginView):
    """E-mail and password. Django's login() gives the session a new key; django-axes counts
    failures per (e-mail, IP address) through the ``request`` the form passes to
    ``authenticate``; staff roles continue to the second factor."""

    authentication_form = EmailAuthenticationForm
    template_name = "people/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        target = super().get_success_url()
        if two_factor.pending_second_factor(self.request):
            return two_factor.verification_url(target)
        return target


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ProjectPasswordChangeForm
    template_name = "people/password_change.html"
    success_url = reverse_lazy("people:password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Every other session closes; this one continues with a new key.
        auth.end_other_sessions(self.request, form.user)
        auth.notify_security_event(
            form.user, auth.PASSWORD_CHANGED, site_url=_site_url(self.request)
        )
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = ProjectSetPasswordForm
    template_name = "people/password_reset_confirm.html"
    success_url = reverse_lazy("people:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        # The new password hash already invalidates every session; the epoch says it plainly.
        auth.bump_session_epoch(user)
        auth.forget_login_failures(user.email)
        auth.notify_security_event(user, auth.PASSWORD_CHANGED, site_url=_site_url(self.request))
        return response


login = public(LoginView.as_view())
# Logging out ends every session of the account (auth.end_sessions_at_logout).
logout = public(auth_views.LogoutView.as_view())
password_reset = public(
    auth_views.PasswordResetView.as_view(
        form_class=QueuedPasswordResetForm,
        template_name="people/password_reset.html",
        email_template_name="people/email/password_reset_body.txt",
        subject_template_name="people/email/password_reset_subject.txt",
        success_url=reverse_lazy("people:password_reset_done"),
    )
)
password_reset_done = public(
    auth_views.PasswordResetDoneView.as_view(template_name="people/password_reset_done.html")
)
password_reset_confirm = public(PasswordResetConfirmView.as_view())
password_reset_complete = public(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="people/password_reset_complete.html"
    )
)
password_change = signed_in(PasswordChangeView.as_view())
password_change_done = signed_in(
    auth_views.PasswordChangeDoneView.as_view(template_name="people/password_change_done.html")
)

PAGE_SIZE = 25


@role_required(Role.COORDINATOR, Role.ADMIN)
def resource_person_list(request: HttpRequest) -> HttpResponse:
    filters = {
        "status": request.GET.get("statut", ""),
        "departement": request.GET.get("departement", ""),
        "domain": request.GET.get("domaine", ""),
        "query": request.GET.get("q", "").strip(),
    }
    if filters["status"] not in ValidationStatus.values:
        filters["status"] = ""
    page = Paginator(
        resource_persons_for_staff(**filters).order_by("user__last_name", "pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "people/resource_person_list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": ValidationStatus.choices,
            "departements": Departement.objects.all(),
            "domains": Domain.objects.all(),
        },
    )


@role_required(Role.COORDINATOR, Role.ADMIN)
def resource_person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, resource_person_for_staff(pk), SuspensionForm())


def _detail_page(
    request: HttpRequest, person: ResourcePerson, suspension_form: SuspensionForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "people/resource_person_detail.html",
        {"person": person, "suspension_form": suspension_form},
        status=status,
    )


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


# --------------------------------------------------------------------------------------------
# Sign-up and account
# --------------------------------------------------------------------------------------------


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@public
def signup(request: HttpRequest) -> HttpResponseBase:
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.register_user(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                roles=form.roles,
                site_url=_site_url(request),
            )
        except IntegrityError:
            # Two sign-ups with the same address at the same moment: same message as usual.
            form.add_error("email", DUPLICATE_EMAIL)
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Bienvenue %(name)s : votre compte est créé.") % {"name": user.first_name},
            )
            roles = form.roles
            target = _safe_next(request) if Role.APPLICANT in roles else ""
            if target:
                return redirect(target)
            if Role.RESOURCE_PERSON in roles:
                return redirect("people:profile")
            return redirect("core:dashboard")
    return render(request, "people/signup.html", {"form": form, "next": _safe_next(request)})


def _organisation_choice(
    request: HttpRequest, user: User, *, required: bool = False
) -> OrganisationChoiceForm:
    return OrganisationChoiceForm(
        request.POST if request.method == "POST" else None,
        current=user.organisation,
        required=required,
    )


def _page_forms(*forms: Any, formset: Any = None) -> dict[str, Any]:
    """Context for people/_errors_summary.html: the forms of a page and whether any failed.

    The creation fields of a structure count only when the person chose to create one.
    """
    shown = []
    for form in forms:
        shown.append(form)
        if isinstance(form, OrganisationChoiceForm) and form.wants_creation:
            shown.append(form.org_form)
    has_errors = any(form.errors for form in shown) or bool(
        formset is not None
        and formset.is_bound
        and (formset.non_form_errors() or any(formset.errors))
    )
    return {"forms": shown, "formset": formset, "has_errors": has_errors}


def _organisation_arguments(choice: OrganisationChoiceForm) -> dict[str, Any]:
    mode = choice.cleaned_data["mode"]
    return {
        "organisation": choice.cleaned_data["organisation"]
        if mode == OrganisationMode.SEARCH
        else None,
        "new_organisation": choice.org_form.cleaned_data
        if mode == OrganisationMode.CREATE
        else None,
    }


@signed_in
def account(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    # The form edits a copy, so that the page header keeps the saved name on errors.
    form = AccountForm(
        request.POST if request.method == "POST" else None,
        instance=User.objects.get(pk=user.pk),
    )
    choice = _organisation_choice(request, user)
    if request.method == "POST":
        valid = [form.is_valid(), choice.is_valid()]
        if all(valid):
            services.update_account(
                user,
                {name: form.cleaned_data[name] for name in AccountForm.Meta.fields},
                **_organisation_arguments(choice),
            )
            messages.success(request, _("Vos informations sont enregistrées."))
            return redirect("people:account")
    return render(
        request,
        "people/account.html",
        {"form": form, "choice": choice, **_page_forms(form, choice)},
    )


# --------------------------------------------------------------------------------------------
# Resource-person profile and consents (always the signed-in person's own: no id in URLs)
# --------------------------------------------------------------------------------------------

SHOWN_EMPTY_ROWS = 1
MIN_SHOWN_ROWS = 2


@role_required(Role.RESOURCE_PERSON)
def profile(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    existing = with_profile_details(ResourcePerson.objects.filter(user=user)).first()
    data = request.POST if request.method == "POST" else None
    form = ResourcePersonForm(
        data,
        instance=existing or ResourcePerson(user=user),
        initial={"postal_code": postal_code_of(existing.commune) if existing else ""},
    )
    job_form = JobForm(data, instance=User.objects.get(pk=user.pk), prefix="job")
    choice = _organisation_choice(request, user, required=True)
    initial_rows = [
        {"competence": link.competence_id, "level": link.level, "description": link.description}
        for link in (existing.competence_links.all() if existing else [])
    ]
    formset = CompetenceFormSet(
        data,
        initial=initial_rows,
        prefix="competences",
        form_kwargs={"competence_choices": grouped_competence_choices()},
    )
    # Eight rows are always there; the ones beyond the filled rows wait in a <details>.
    formset.extra = max(0, CompetenceFormSet.max_num - len(initial_rows))
    if request.method == "POST":
        valid = [form.is_valid(), job_form.is_valid(), choice.is_valid(), formset.is_valid()]
        if all(valid):
            cleaned = form.cleaned_data
            saved, created = services.save_resource_profile(
                user,
                commune=cleaned["commune"],
                years_of_experience=cleaned["years_of_experience"],
                summary=cleaned["summary"],
                days_per_year=cleaned["days_per_year"],
                travel_radius_km=cleaned["travel_radius_km"],
                accepts_matching=cleaned["accepts_matching"],
                formats=cleaned["formats"],
                available_months=cleaned["available_months"],
                competences=[
                    services.CompetenceRow(row["competence"], row["level"], row["description"])
                    for row in kept_competence_rows(formset)
                ],
                job={name: job_form.cleaned_data[name] for name in JobForm.Meta.fields},
                **_organisation_arguments(choice),
            )
            if created:
                messages.success(
                    request,
                    _(
                        "Votre profil est enregistré. L'équipe de coordination va le vérifier "
                        "avant qu'il apparaisse dans l'annuaire ; vous recevrez un e-mail."
                    ),
                )
            else:
                messages.success(request, _("Votre profil est mis à jour."))
            return redirect("core:dashboard_resource_person")
        used = [
            i
            for i, row in enumerate(formset.forms)
            if row.errors
            or row.data.get(row.add_prefix("competence"))
            or row.data.get(row.add_prefix("description"), "").strip()
        ]
        last_used = max(used, default=-1)
    else:
        last_used = len(initial_rows) - 1
    shown = min(CompetenceFormSet.max_num, max(last_used + 1 + SHOWN_EMPTY_ROWS, MIN_SHOWN_ROWS))
    return render(
        request,
        "people/profile_form.html",
        {
            "profile": existing,
            "form": form,
            "job_form": job_form,
            "choice": choice,
            "formset": formset,
            "shown_rows": formset.forms[:shown],
            "shown_count": shown,
            "more_rows": formset.forms[shown:],
            **_page_forms(job_form, choice, form, formset=formset),
        },
    )


@role_required(Role.RESOURCE_PERSON)
def consents(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    existing = with_profile_details(ResourcePerson.objects.filter(user=user)).first()
    if existing is None:
        messages.info(
            request, _("Complétez d'abord votre profil : vous choisirez ensuite votre visibilité.")
        )
        return redirect("people:profile")
    if request.method == "POST":
        # No instance: the service compares the stored choices with the new ones.
        form = ConsentForm(request.POST)
        if form.is_valid():
            changed = services.update_consents(existing, form.cleaned_data)
            messages.success(
                request,
                _("Vos choix sont enregistrés.")
                if changed
                else _("Vos choix n'ont pas changé : rien à enregistrer."),
            )
            return redirect("people:consents")
    preview = "apercu" in request.GET
    given = {name: request.GET.get(name) == "on" for name in CONSENT_FIELDS} if preview else None
    context = {"profile": existing, "card": public_card(existing, given)}
    if preview and request.htmx:  # type: ignore[attr-defined]
        return render(request, "people/_public_card.html", context)
    context["form"] = ConsentForm(instance=existing, initial=given if given is not None else None)
    return render(request, "people/consents.html", context)


# --------------------------------------------------------------------------------------------
# Coordination: validation and invitations
# --------------------------------------------------------------------------------------------


@role_required(Role.COORDINATOR, Role.ADMIN)
@require_POST
def resource_person_validate(request: HttpRequest, pk: int) -> HttpResponseBase:
    person = resource_person_for_staff(pk)
    services.validate_resource_person(person, current_user(request), site_url=_site_url(request))
    messages.success(
        request,
        _("%(name)s est validé·e : son profil peut apparaître dans l'annuaire.")
        % {"name": person.user.full_name},
    )
    return redirect("people:resource_person_detail", pk=pk)


@role_required(Role.COORDINATOR, Role.ADMIN)
@require_POST
def resource_person_suspend(request: HttpRequest, pk: int) -> HttpResponseBase:
    person = resource_person_for_staff(pk)
    form = SuspensionForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, person, form, status=400)
    services.suspend_resource_person(
        person,
        current_user(request),
        reason=form.cleaned_data["reason"],
        site_url=_site_url(request),
    )
    messages.success(
        request,
        _("Le profil de %(name)s est suspendu ; un e-mail lui indique le motif.")
        % {"name": person.user.full_name},
    )
    return redirect("people:resource_person_detail", pk=pk)


@role_required(Role.COORDINATOR, Role.ADMIN)
@require_POST
def resource_person_reopen(request: HttpRequest, pk: int) -> HttpResponseBase:
    person = resource_person_for_staff(pk)
    services.reopen_resource_person(person, current_user(request))
    messages.success(
        request,
        _("Le profil de %(name)s est de nouveau en attente de validation.")
        % {"name": person.user.full_name},
    )
    return redirect("people:resource_person_detail", pk=pk)


@role_required(Role.COORDINATOR, Role.ADMIN)
def resource_person_invite(request: HttpRequest) -> HttpResponseBase:
    data = request.POST if request.method == "POST" else None
    form = InvitationForm(data)
    choice = OrganisationChoiceForm(data, keep_label=_("Sans structure pour l'instant"))
    if request.method == "POST":
        valid = [form.is_valid(), choice.is_valid()]
        if all(valid):
            arguments = _organisation_arguments(choice)
            user, created = services.invite_resource_person(
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                organisation=services.pick_organisation(
                    arguments["organisation"], arguments["new_organisation"]
                ),
                invited_by=current_user(request),
                site_url=_site_url(request),
            )
            messages.success(
                request,
                (
                    _("Invitation envoyée à %(email)s.")
                    if created
                    else _(
                        "%(email)s avait déjà un compte : le rôle de personne-ressource y est "
                        "ajouté et un e-mail l'en informe."
                    )
                )
                % {"email": user.email},
            )
            return redirect("people:resource_person_invite")
    return render(
        request,
        "people/invite.html",
        {"form": form, "choice": choice, **_page_forms(form, choice)},
    )


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The invited person chooses a password, is signed in and lands on the profile form.

    Same signed, one-time token as the password reset: choosing a password invalidates it.
    """

    form_class = InvitationPasswordForm  # type: ignore[assignment]
    template_name = "people/invitation_accept.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("people:profile")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(
            self.request,
            _("Votre mot de passe est enregistré. Complétez maintenant votre profil."),
        )
        return response


invitation_accept = public(InvitationAcceptView.as_view())
