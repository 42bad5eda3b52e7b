from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from maillage.core.permissions import role_required
from maillage.geography.models import Departement
from maillage.people.models import Role

from . import selectors
from .models import TransferStatus

PAGE_SIZE = 25


@role_required(Role.COORDINATOR, Role.ADMIN)
@require_GET
@never_cache
def transfer_list(request: HttpRequest) -> HttpResponse:
    filters = selectors.parse_filters(
        request.GET.get("annee", ""),
        request.GET.get("departement", ""),
        request.GET.get("statut", ""),
    )
    page = Paginator(selectors.transfers_for_staff(filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "transfers/transfer_list.html",
        {
            "page": page,
            "filters": filters,
            "years": selectors.transfer_years(),
            "departements": Departement.objects.all(),
            "statuses": TransferStatus.choices,
        },
    )


@role_required(Role.COORDINATOR, Role.ADMIN)
@require_GET
@never_cache
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request, "transfers/transfer_detail.html", {"transfer": selectors.transfer_for_staff(pk)}
    )
