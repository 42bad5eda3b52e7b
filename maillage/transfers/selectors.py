"""Read queries of the transfers pages: a constant number of queries whatever the row count."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from maillage.competences.models import Competence

from .models import Transfer, TransferStatus


@dataclass(frozen=True)
class TransferFilters:
    year: int | None = None
    departement: str = ""
    status: str = ""


def parse_filters(year: str, departement: str, status: str) -> TransferFilters:
    """Filters from the query string; anything malformed is ignored rather than an error."""
    parsed_year = int(year) if year.isdigit() and 1900 < int(year) < 3000 else None
    return TransferFilters(
        year=parsed_year,
        departement=departement if departement.isalnum() and len(departement) <= 3 else "",
        status=status if status in TransferStatus.values else "",
    )


def _with_details(qs: QuerySet[Transfer]) -> QuerySet[Transfer]:
    return qs.select_related(
        "mentee",
        "mentee_organisation__commune__departement",
        "resource_person__user",
        "mentor_organisation__commune",
        "application",
    ).prefetch_related(
        Prefetch("competences", queryset=Competence.objects.select_related("domain"))
    )


def transfers_for_staff(filters: TransferFilters | None = None) -> QuerySet[Transfer]:
    filters = filters or TransferFilters()
    qs = Transfer.objects.all()
    if filters.year:
        qs = qs.filter(start_date__year=filters.year)
    if filters.departement:
        qs = qs.filter(mentee_organisation__commune__departement_id=filters.departement)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return _with_details(qs).order_by("-start_date", "-pk")


def transfer_years() -> list[int]:
    """The years that have transfers, most recent first (for the year filter)."""
    return sorted({day.year for day in Transfer.objects.dates("start_date", "year")}, reverse=True)


def transfer_for_staff(pk: int) -> Transfer:
    return get_object_or_404(_with_details(Transfer.objects.all()), pk=pk)
