"""Read-side queries for the home page and the dashboards (aggregates, no personal data)."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from maillage.applications.models import Application, ApplicationState
from maillage.calls.models import Call
from maillage.competences.models import Domain
from maillage.geography.models import Departement
from maillage.organisations.models import Organisation
from maillage.people.models import ResourcePerson, Role, RoleGrant, ValidationStatus

from .models import EmailStatus, OutgoingEmail


@dataclass(frozen=True)
class KeyFigures:
    resource_persons: int
    organisations: int
    departements_covered: int
    competences_offered: int


def key_figures() -> KeyFigures:
    listed = ResourcePerson.objects.filter(status=ValidationStatus.VALIDATED)
    return KeyFigures(
        resource_persons=listed.count(),
        organisations=Organisation.objects.count(),
        departements_covered=listed.values("commune__departement").distinct().count(),
        competences_offered=listed.values("competences").distinct().count(),
    )


def open_calls(day: datetime.date | None = None) -> list[Call]:
    day = day or timezone.localdate()
    return list(Call.objects.open_on(day).select_related("programme").order_by("closes_on"))


def applications_by_state(call: Call | None = None) -> list[dict[str, Any]]:
    """Counts per state, in the order of the state machine, zeros included."""
    qs = Application.objects.all()
    if call is not None:
        qs = qs.filter(call=call)
    counts = dict(qs.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    return [
        {"state": state, "label": state.label, "count": counts.get(state.value, 0)}
        for state in ApplicationState
    ]


def departement_table() -> list[dict[str, Any]]:
    """Per département: organisations, validated resource persons and submitted applications."""
    rows = Departement.objects.annotate(
        organisation_count=Count("communes__organisations", distinct=True),
        resource_person_count=Count(
            "communes__resource_persons",
            filter=Q(communes__resource_persons__status=ValidationStatus.VALIDATED),
            distinct=True,
        ),
    ).order_by("code")
    submitted = dict(
        Application.objects.filter(state=ApplicationState.SUBMITTED)
        .values_list("organisation__commune__departement")
        .annotate(n=Count("pk"))
        .values_list("organisation__commune__departement", "n")
    )
    return [
        {
            "departement": row,
            "organisations": row.organisation_count,
            "resource_persons": row.resource_person_count,
            "submitted_applications": submitted.get(row.code, 0),
            "resource_persons_per_100k": (
                round(row.resource_person_count * 100_000 / row.population, 1)
                if row.population
                else 0
            ),
        }
        for row in rows
    ]


def domain_coverage() -> list[dict[str, Any]]:
    """Per competence domain: validated resource persons offering it and applications asking it."""
    domains = Domain.objects.annotate(
        resource_person_count=Count(
            "competences__resource_person_links__resource_person",
            filter=Q(
                competences__resource_person_links__resource_person__status=(
                    ValidationStatus.VALIDATED
                )
            ),
            distinct=True,
        ),
        demand_count=Count(
            "competences__applications",
            filter=~Q(competences__applications__state=ApplicationState.DRAFT),
            distinct=True,
        ),
    ).order_by("position")
    return [
        {
            "domain": domain,
            "resource_persons": domain.resource_person_count,
            "demand": domain.demand_count,
        }
        for domain in domains
    ]


def budget_overview() -> list[dict[str, Any]]:
    calls = Call.objects.published().select_related("programme").order_by("-opens_on")
    return [{"call": call, "envelope": call.budget_envelope} for call in calls]


def accounts_by_role() -> list[dict[str, Any]]:
    counts = dict(
        RoleGrant.objects.filter(user__is_active=True)
        .values_list("role")
        .annotate(n=Count("pk"))
        .values_list("role", "n")
    )
    return [{"role": role, "count": counts.get(role.value, 0)} for role in Role]


def total_envelope() -> Any:
    return Call.objects.published().aggregate(total=Sum("budget_envelope"))["total"] or 0


def task_queue_status() -> list[dict[str, Any]]:
    """Background tasks per status, so an admin sees a stuck or failing queue."""
    from django_tasks_db.models import DBTaskResult

    counts = dict(
        DBTaskResult.objects.values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [{"status": status, "count": count} for status, count in sorted(counts.items())]


def email_outbox_status() -> list[dict[str, Any]]:
    """Outbox e-mails per status, zeros included: failed ones need an admin's look."""
    counts = dict(
        OutgoingEmail.objects.values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [
        {"status": status, "label": status.label, "count": counts.get(status.value, 0)}
        for status in EmailStatus
    ]
