"""Build the pure scoring profiles from the database, in a constant number of queries."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Count, Q, Sum
from django.utils import timezone

from maillage.applications.models import Application, ApplicationState
from maillage.calls.models import Call, FormatsMixin, Programme
from maillage.directory.text import stems
from maillage.geography.models import Departement
from maillage.people.models import ResourcePerson, ResourcePersonCompetence

from . import scoring
from .models import MatchingSettings, Proposal, ProposalStatus

# Statuses that hold a resource person's capacity and take the need out of matching.
COMMITTED = (ProposalStatus.PUBLISHED, ProposalStatus.ACCEPTED)

_FORMAT_VALUES = {field: str(fmt) for fmt, field in FormatsMixin.FORMAT_FIELDS.items()}


@dataclass
class CallProfiles:
    needs: list[scoring.NeedProfile]
    mentors: list[scoring.MentorProfile]
    weights: scoring.Weights


# Inclusive-writing suffixes ("chargé·e·s") and any character that is neither ASCII nor a
# Latin letter (guillemets, dashes, no-break spaces, emoji) are removed before ``stems``: this
# defines the matching's terms (an earlier workaround for a slow accent folding, kept so that
# scores do not change). The separator is matched first and the word character before it
# checked by a lookbehind after it: the regex engine then jumps from separator to separator.
_INCLUSIVE = re.compile(r"[·•‧∙⋅](?<=\w.)\w{1,6}(?:[·•‧∙⋅.]\w{1,3})?")
_NOT_LATIN = re.compile(r"[^\x00-\x7f\u00c0-\u024f\u2018\u2019\u02bc\u0153\u00e6]+")


# A call's texts (~2,700 for 2,000 needs) stay in memory between its runs: a coordinator
# re-runs the call after each lock, forbid or alternative chosen, and stemming them is
# half of reading the profiles. Bounded: some 5 MB.
@lru_cache(maxsize=4096)
def text_stems(text: str) -> tuple[str, ...]:
    """French stems of a need's or a person's text (see directory.text.stems)."""
    return tuple(stems(_NOT_LATIN.sub(" ", _INCLUSIVE.sub("", text))))


def settings_for(programme: Programme) -> MatchingSettings:
    matching_settings, _ = MatchingSettings.objects.get_or_create(programme=programme)
    return matching_settings


def reference_rural_departements() -> list[str]:
    return list(Departement.objects.filter(rural=True).values_list("code", flat=True))


def weights_for(programme: Programme) -> scoring.Weights:
    matching_settings = settings_for(programme)
    rural = matching_settings.rural_departements or reference_rural_departements()
    return scoring.Weights(
        **{
            name: float(getattr(matching_settings, name)) for name in MatchingSettings.WEIGHT_FIELDS
        },
        rural_departements=frozenset(str(code) for code in rural),
    )


def _formats(row: dict) -> frozenset[str]:
    return frozenset(value for field, value in _FORMAT_VALUES.items() if row[field])


def desired_months(start: datetime.date | None, end: datetime.date | None) -> frozenset[int]:
    """Months touched by the desired period (a whole year or more: no preference)."""
    if start is None:
        return frozenset()
    end = end or start
    span = (end.year - start.year) * 12 + end.month - start.month
    if span >= 11:
        return frozenset()
    return frozenset((start.month - 1 + i) % 12 + 1 for i in range(span + 1))


def eligible_applications(call: Call, application_ids: Iterable[int] | None = None) -> Q:
    """Accepted applications of the call with no published or accepted proposal."""
    condition = Q(call=call, state=ApplicationState.ACCEPTED) & ~Q(
        pk__in=Proposal.objects.filter(status__in=COMMITTED).values("application_id")
    )
    if application_ids is not None:
        condition &= Q(pk__in=list(application_ids))
    return condition


def build_needs(
    call: Call, application_ids: Iterable[int] | None = None
) -> list[scoring.NeedProfile]:
    condition = eligible_applications(call, application_ids)
    rows = Application.objects.filter(condition).values(
        "id",
        "organisation_id",
        "applicant__organisation_id",
        "organisation__commune__latitude",
        "organisation__commune__longitude",
        "organisation__commune__departement_id",
        "need",
        "expected_results",
        "desired_start",
        "desired_end",
        "days",
        "proposed_resource_person_id",
        *_FORMAT_VALUES,
    )
    competences: dict[int, list[tuple[int, int]]] = defaultdict(list)
    through = Application.competences.through
    for application_id, competence_id, domain_id in (
        through.objects.filter(application__in=Application.objects.filter(condition))
        .order_by("application_id", "competence_id")
        .values_list("application_id", "competence_id", "competence__domain_id")
    ):
        competences[application_id].append((competence_id, domain_id))
    default_days = call.programme.min_days_per_transfer
    needs = []
    for row in rows.order_by("id"):
        needs.append(
            scoring.NeedProfile(
                id=row["id"],
                organisation_id=row["organisation_id"] or row["applicant__organisation_id"],
                latitude=row["organisation__commune__latitude"],
                longitude=row["organisation__commune__longitude"],
                departement=row["organisation__commune__departement_id"] or "",
                competences=tuple(competences.get(row["id"], ())),
                stems=text_stems(f"{row['need']}\n{row['expected_results']}"),
                formats=_formats(row),
                months=desired_months(row["desired_start"], row["desired_end"]),
                days=row["days"] or default_days,
                proposed_mentor_id=row["proposed_resource_person_id"],
            )
        )
    return needs


def usage_this_year(year: int | None = None) -> dict[int, tuple[int, int]]:
    """Transfers and days already committed per resource person (published or accepted)."""
    year = year or timezone.localdate().year
    rows = (
        Proposal.objects.filter(status__in=COMMITTED, published_at__year=year)
        .values("resource_person_id")
        .annotate(transfers=Count("pk"), days=Sum("application__days"))
    )
    return {r["resource_person_id"]: (r["transfers"], r["days"] or 0) for r in rows}


def build_mentors(programme: Programme) -> list[scoring.MentorProfile]:
    matchable = ResourcePerson.objects.matchable()
    rows = matchable.values(
        "id",
        "user__organisation_id",
        "commune__latitude",
        "commune__longitude",
        "commune__departement_id",
        "summary",
        "days_per_year",
        "available_months",
        "travel_radius_km",
        *_FORMAT_VALUES,
    ).order_by("id")
    competences: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    texts: dict[int, list[str]] = defaultdict(list)
    for (
        person_id,
        competence_id,
        domain_id,
        level,
        description,
        label,
    ) in ResourcePersonCompetence.objects.filter(resource_person__in=matchable).values_list(
        "resource_person_id",
        "competence_id",
        "competence__domain_id",
        "level",
        "description",
        "competence__label_fr",
    ):
        competences[person_id][competence_id] = (domain_id, level)
        texts[person_id].append(f"{label} {description}")
    usage = usage_this_year()
    max_transfers = programme.max_transfers_per_resource_person_per_year
    mentors = []
    for row in rows:
        used_transfers, used_days = usage.get(row["id"], (0, 0))
        mentors.append(
            scoring.MentorProfile(
                id=row["id"],
                organisation_id=row["user__organisation_id"],
                latitude=row["commune__latitude"],
                longitude=row["commune__longitude"],
                departement=row["commune__departement_id"] or "",
                competences=competences.get(row["id"], {}),
                stems=text_stems(" ".join([row["summary"], *texts.get(row["id"], [])])),
                formats=_formats(row),
                months=frozenset(m for m in row["available_months"] or [] if isinstance(m, int)),
                travel_radius_km=float(row["travel_radius_km"]),
                remaining_transfers=max(0, max_transfers - used_transfers),
                remaining_days=max(0, row["days_per_year"] - used_days),
            )
        )
    return mentors


def build(call: Call, application_ids: Iterable[int] | None = None) -> CallProfiles:
    programme = call.programme
    return CallProfiles(
        needs=build_needs(call, application_ids),
        mentors=build_mentors(programme),
        weights=weights_for(programme),
    )
