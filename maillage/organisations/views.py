from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from maillage.core.permissions import role_required, signed_in
from maillage.geography.models import Departement
from maillage.people.models import Role

from .models import ActivityType
from .selectors import organisations_for_staff, search_organisations

PAGE_SIZE = 25


@role_required(Role.COORDINATOR, Role.ADMIN)
def organisation_list(request: HttpRequest) -> HttpResponse:
    filters = {
        "departement": request.GET.get("departement", ""),
        "activity": request.GET.get("activite", ""),
        "query": request.GET.get("q", "").strip(),
    }
    if filters["activity"] not in ActivityType.values:
        filters["activity"] = ""
    page = Paginator(organisations_for_staff(**filters).order_by("name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "organisations/organisation_list.html",
        {
            "page": page,
            "filters": filters,
            "departements": Departement.objects.all(),
            "activities": ActivityType.choices,
        },
    )


@role_required(Role.COORDINATOR, Role.ADMIN)
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(organisations_for_staff(), pk=pk)
    people = organisation.people.order_by("last_name", "first_name").select_related(
        "resource_profile"
    )
    return render(
        request,
        "organisations/organisation_detail.html",
        {"organisation": organisation, "people": people},
    )


@signed_in
def organisation_search(request: HttpRequest) -> HttpResponse:
    """htmx: structures matching a name or SIRET, to pick one instead of creating a duplicate."""
    return render(
        request,
        "organisations/organisation_search_results.html",
        {
            "results": search_organisations(request.GET.get("q", "")),
            "query": request.GET.get("q", ""),
            "field_name": request.GET.get("field", "organisation"),
        },
    )
