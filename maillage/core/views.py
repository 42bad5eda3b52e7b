"""Home page and the dashboard of each role. Thin: data comes from selectors."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from maillage.applications.selectors import applications_of
from maillage.calls.selectors import current_call
from maillage.people.models import Role
from maillage.people.selectors import pending_resource_persons, resource_profile_of

from . import selectors
from .permissions import current_user, public, role_required, signed_in

# The order in which a user holding several roles lands on their dashboards.
DASHBOARD_ORDER = [
    (Role.COORDINATOR, "core:dashboard_coordinator"),
    (Role.ADMIN, "core:dashboard_admin"),
    (Role.COMMITTEE, "core:dashboard_committee"),
    (Role.FUNDER, "core:dashboard_funder"),
    (Role.RESOURCE_PERSON, "core:dashboard_resource_person"),
    (Role.APPLICANT, "core:dashboard_applicant"),
]


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/home.html",
        {"figures": selectors.key_figures(), "open_calls": selectors.open_calls()},
    )


@signed_in
def dashboard(request: HttpRequest) -> HttpResponse:
    """Send each user to the dashboard of their main role; list the others in the menu."""
    for role, url_name in DASHBOARD_ORDER:
        if current_user(request).has_role(role):
            return redirect(url_name)
    return render(request, "core/dashboard_no_role.html", status=200)


@role_required(Role.APPLICANT)
def dashboard_applicant(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/dashboard_applicant.html",
        {
            "applications": applications_of(current_user(request)),
            "open_calls": selectors.open_calls(),
            "title": _("Mes candidatures"),
        },
    )


@role_required(Role.RESOURCE_PERSON)
def dashboard_resource_person(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/dashboard_resource_person.html",
        {"profile": resource_profile_of(current_user(request))},
    )


@role_required(Role.COORDINATOR, Role.ADMIN)
def dashboard_coordinator(request: HttpRequest) -> HttpResponse:
    call = current_call()
    return render(
        request,
        "core/dashboard_coordinator.html",
        {
            "call": call,
            "by_state": selectors.applications_by_state(call),
            "pending": pending_resource_persons()[:10],
            "departements": selectors.departement_table(),
            "domains": selectors.domain_coverage(),
        },
    )


@role_required(Role.COMMITTEE)
def dashboard_committee(request: HttpRequest) -> HttpResponse:
    call = current_call()
    return render(
        request,
        "core/dashboard_committee.html",
        {"call": call, "by_state": selectors.applications_by_state(call)},
    )


@role_required(Role.FUNDER)
def dashboard_funder(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/dashboard_funder.html",
        {
            "figures": selectors.key_figures(),
            "by_state": selectors.applications_by_state(),
            "departements": selectors.departement_table(),
            "domains": selectors.domain_coverage(),
            "budgets": selectors.budget_overview(),
            "total_envelope": selectors.total_envelope(),
        },
    )


@role_required(Role.ADMIN)
def dashboard_admin(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/dashboard_admin.html",
        {
            "accounts": selectors.accounts_by_role(),
            "tasks": selectors.task_queue_status(),
            "emails": selectors.email_outbox_status(),
        },
    )
