"""Directory reads: ranked search over the inverted index, filters, cards for each audience.

A page of results costs a constant number of queries whatever the number of matches:
vocabulary (IDF and prefix completion), count, the page's ranked ids, the page's profiles and
their competences. See docs/directory.md for the ranking.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from maillage.calls.models import FormatsMixin, TransferFormat
from maillage.geography.models import Commune, Departement
from maillage.people.models import ResourcePerson, ResourcePersonCompetence, ValidationStatus
from maillage.people.selectors import with_profile_details

from .models import IndexTerm, Term
from .services import DOCUMENT_TERM
from .text import MAX_TERM_LENGTH, stem, tokens

PAGE_SIZE = 20
# Words of a query beyond this are ignored (a pasted paragraph is not a search).
MAX_QUERY_WORDS = 8
# Completion of the last typed word: its most frequent continuations, weighted down.
PREFIX_MIN_LENGTH = 3
PREFIX_EXPANSIONS = 12
PREFIX_FACTOR = 0.6
EARTH_RADIUS_KM = 6371.0
KM_PER_DEGREE_LATITUDE = 111.2


@dataclass(frozen=True)
class Criteria:
    text: str = ""
    competence_id: int | None = None
    domain_id: int | None = None
    departement: str = ""
    format: str = ""
    commune: Commune | None = None
    radius_km: int | None = None
    reachable: bool = False

    @property
    def has_filters(self) -> bool:
        return bool(
            self.competence_id or self.domain_id or self.departement or self.format or self.commune
        )


@dataclass
class QueryPlan:
    """The typed words as groups of index terms, with the weight of each term."""

    groups: list[list[str]] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def terms(self) -> list[str]:
        return sorted(self.weights)


@dataclass
class Card:
    """What one audience may see of a resource person (public: consented fields only)."""

    person: ResourcePerson
    name: str
    anonymous: bool
    job_title: str
    organisation: str
    commune: str
    departement: Departement
    summary: str
    links: list[ResourcePersonCompetence]
    formats: list[str]
    distance_km: float | None = None

    @property
    def pk(self) -> int:
        return self.person.pk


@dataclass
class SearchResult:
    page: Page
    # No profile holds every word: results hold at least one of them.
    partial: bool = False
    ignored_words: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------ terms


def _successor(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (ASCII)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def query_plan(text: str, *, member: bool, complete_last: bool = True) -> tuple[QueryPlan, int]:
    """Stems of the typed words with their IDF, in one vocabulary query; also returns N."""
    words = tokens(text)[:MAX_QUERY_WORDS]
    groups = [[stem(word)] for word in words]
    prefix = ""
    if complete_last and words and len(words[-1]) >= PREFIX_MIN_LENGTH:
        last = words[-1][:MAX_TERM_LENGTH]
        prefix = last
        # Stems are cut words, so a word typed halfway ("programmat") also meets the stems
        # it already extends ("programm"): its own prefixes are candidates too.
        shortest = max(PREFIX_MIN_LENGTH, len(last) - 5)
        groups[-1].extend(last[:n] for n in range(shortest, len(last) + 1))
    exact = {term for group in groups for term in group} | {DOCUMENT_TERM}
    df_field = "df_member" if member else "df_public"
    condition = Q(term__in=exact)
    if prefix:
        condition |= Q(term__gte=prefix, term__lt=_successor(prefix))
    frequencies = dict(Term.objects.filter(condition).values_list("term", df_field))
    total = max(frequencies.pop(DOCUMENT_TERM, 0), 0)
    plan = QueryPlan()
    for position, group in enumerate(groups):
        candidates = {t: 1.0 for t in group if frequencies.get(t, 0) > 0}
        if prefix and position == len(groups) - 1:
            continuations = sorted(
                (
                    (df, t)
                    for t, df in frequencies.items()
                    if t.startswith(prefix) and df > 0 and t not in candidates
                ),
                reverse=True,
            )[:PREFIX_EXPANSIONS]
            candidates.update({t: PREFIX_FACTOR for _df, t in continuations})
            # The word's own stem counts fully; shorter cut candidates are completions.
            for t in group[1:]:
                if t in candidates and t != group[0]:
                    candidates[t] = PREFIX_FACTOR
        plan.groups.append(sorted(candidates))
        for term, factor in candidates.items():
            df = frequencies[term]
            idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
            plan.weights[term] = max(plan.weights.get(term, 0.0), factor * idf)
    return plan, total


# ---------------------------------------------------------------------------------- filters


def _km_per_degree_longitude(latitude: float) -> float:
    return KM_PER_DEGREE_LATITUDE * math.cos(math.radians(latitude))


def _squared_distance(prefix: str, commune: Commune) -> ExpressionWrapper:
    """Squared distance (km²) from ``commune``, equirectangular: plain arithmetic that both
    databases evaluate, within 0.5 % of the great circle at the region's scale."""
    kx = _km_per_degree_longitude(commune.latitude)
    dx: Combinable = (F(f"{prefix}commune__longitude") - Value(commune.longitude)) * Value(kx)
    dy: Combinable = (F(f"{prefix}commune__latitude") - Value(commune.latitude)) * Value(
        KM_PER_DEGREE_LATITUDE
    )
    return ExpressionWrapper(dx * dx + dy * dy, output_field=FloatField())


def _person_filter(criteria: Criteria, prefix: str, *, member: bool, listed: bool) -> Q:
    p = prefix
    condition = Q()
    if listed:
        condition &= Q(
            **{
                f"{p}status": ValidationStatus.VALIDATED,
                f"{p}user__is_active": True,
                f"{p}consent_directory": True,
            }
        )
    if criteria.competence_id:
        condition &= Q(
            **{
                f"{p}pk__in": ResourcePersonCompetence.objects.filter(
                    competence_id=criteria.competence_id
                ).values("resource_person_id")
            }
        )
    if criteria.domain_id:
        condition &= Q(
            **{
                f"{p}pk__in": ResourcePersonCompetence.objects.filter(
                    competence__domain_id=criteria.domain_id
                ).values("resource_person_id")
            }
        )
    if criteria.departement:
        condition &= Q(**{f"{p}commune__departement_id": criteria.departement})
    if criteria.format in TransferFormat.values:
        format_field = FormatsMixin.FORMAT_FIELDS[TransferFormat(criteria.format)]
        condition &= Q(**{f"{p}{format_field}": True})
    if criteria.commune is not None and criteria.radius_km:
        commune, radius = criteria.commune, criteria.radius_km
        # A bounding box first, so that the coordinates' range narrows the rows cheaply.
        dlat = radius / KM_PER_DEGREE_LATITUDE
        dlon = radius / max(_km_per_degree_longitude(commune.latitude), 1e-6)
        condition &= Q(
            **{
                f"{p}commune__latitude__range": (commune.latitude - dlat, commune.latitude + dlat),
                f"{p}commune__longitude__range": (
                    commune.longitude - dlon,
                    commune.longitude + dlon,
                ),
            }
        )
        if not member:
            # A hidden commune must not be located by searching around it.
            condition &= Q(**{f"{p}consent_show_commune": True})
    return condition


def _with_distance(qs: QuerySet[Any], criteria: Criteria, prefix: str) -> QuerySet[Any]:
    if criteria.commune is None or not criteria.radius_km:
        return qs
    qs = qs.alias(distance2=_squared_distance(prefix, criteria.commune)).filter(
        distance2__lte=float(criteria.radius_km) ** 2
    )
    if criteria.reachable:
        # Cast first: the radius is a smallint and its square overflows it on PostgreSQL.
        travel = Cast(F(f"{prefix}travel_radius_km"), FloatField())
        qs = qs.filter(distance2__lte=ExpressionWrapper(travel * travel, output_field=FloatField()))
    return qs


# ----------------------------------------------------------------------------------- search


def _ranked(criteria: Criteria, plan: QueryPlan, *, member: bool, all_words: bool) -> QuerySet:
    weight_field = "weight_member" if member else "weight_public"
    prefix = "resource_person__"
    # The index only holds listed persons (signals keep it so), so the ranked query needs no
    # join for that: the planner then starts from the term's postings.
    qs = IndexTerm.objects.filter(
        _person_filter(criteria, prefix, member=member, listed=False),
        term__in=plan.terms,
        **{f"{weight_field}__gt": 0},
    )
    qs = _with_distance(qs, criteria, prefix)
    idf = Case(
        *[When(term=term, then=Value(weight)) for term, weight in plan.weights.items()],
        default=Value(0.0),
        output_field=FloatField(),
    )
    ranked: QuerySet[Any, Any] = qs.values("resource_person_id").annotate(
        score=Sum(F(weight_field) * idf, output_field=FloatField())
    )
    if all_words and len(plan.groups) > 1:
        matched = sum(
            (
                Max(
                    Case(
                        When(term__in=group, then=Value(1)),
                        default=Value(0),
                        output_field=IntegerField(),
                    )
                )
                for group in plan.groups
            ),
            start=Value(0),
        )
        ranked = ranked.annotate(matched=matched).filter(matched__gte=len(plan.groups))
    # The number of matching persons rides along each row (a window over the groups), so
    # the count costs no second aggregation.
    ranked = ranked.annotate(total=Window(expression=Count("resource_person_id")))
    return ranked.order_by("-score", "resource_person_id")


def _browse(criteria: Criteria, *, member: bool) -> QuerySet[ResourcePerson]:
    qs = _with_distance(
        ResourcePerson.objects.filter(_person_filter(criteria, "", member=member, listed=True)),
        criteria,
        "",
    )
    if criteria.commune is not None and criteria.radius_km:
        return qs.order_by("distance2", "pk")
    if member:
        return qs.order_by("user__last_name", "user__first_name", "pk")
    # Public pages never sort by a name the person may hide: oldest listed first.
    return qs.order_by("pk")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def card_for(person: ResourcePerson, *, member: bool, origin: Commune | None = None) -> Card:
    """The fields ``member`` (signed-in) or public visitors may see; e-mail and phone never."""
    user = person.user
    links = list(person.competence_links.all())
    departement = person.commune.departement
    show = {
        "name": member or person.consent_show_name,
        "job": member or person.consent_show_job,
        "organisation": member or person.consent_show_organisation,
        "summary": member or person.consent_show_summary,
        "commune": member or person.consent_show_commune,
    }
    if show["name"]:
        name = user.full_name
    else:
        name = _("Personne-ressource (%(competence)s, %(departement)s)") % {
            "competence": links[0].competence.label if links else _("compétences variées"),
            "departement": departement.name,
        }
    distance = None
    if origin is not None and show["commune"]:
        distance = haversine_km(
            origin.latitude, origin.longitude, person.commune.latitude, person.commune.longitude
        )
    return Card(
        person=person,
        name=name,
        anonymous=not show["name"],
        job_title=user.job_title if show["job"] else "",
        organisation=user.organisation.name if show["organisation"] and user.organisation else "",
        commune=person.commune.name if show["commune"] else "",
        departement=departement,
        summary=person.summary if show["summary"] else "",
        links=links,
        formats=person.format_labels(),
        distance_km=distance,
    )


def _page_with_total(ranked: QuerySet[Any, Any], page_number: Any) -> Page:
    """A Page of the ranked rows; the total comes from the rows' window column."""
    try:
        number = max(1, int(page_number or 1))
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * PAGE_SIZE
    rows = list(ranked[offset : offset + PAGE_SIZE])
    if not rows and number > 1:
        # Past the end (an old link): show the last page, as Paginator.get_page does.
        total = ranked.count()
        number = max(1, math.ceil(total / PAGE_SIZE))
        offset = (number - 1) * PAGE_SIZE
        rows = list(ranked[offset : offset + PAGE_SIZE])
    paginator = Paginator(rows, PAGE_SIZE)
    paginator.count = rows[0]["total"] if rows else 0
    return Page(rows, number, paginator)


def _empty_page() -> Page:
    return Paginator(ResourcePerson.objects.none(), PAGE_SIZE).get_page(1)


def search(criteria: Criteria, *, member: bool, page_number: Any = 1) -> SearchResult:
    """One page of listed resource persons matching ``criteria``, best first.

    Every typed word must match (in any field the audience may search); words found in no
    profile are reported and left out; if no profile holds all the remaining words, profiles
    holding at least one of them are shown, flagged as a partial match.
    """
    partial = False
    ignored: list[str] = []
    if criteria.text.strip():
        plan, _total = query_plan(criteria.text, member=member)
        words = tokens(criteria.text)[:MAX_QUERY_WORDS]
        ignored = [word for word, group in zip(words, plan.groups, strict=True) if not group]
        plan.groups = [group for group in plan.groups if group]
        if not plan.groups:
            return SearchResult(page=_empty_page(), ignored_words=ignored)
        ranked = _ranked(criteria, plan, member=member, all_words=True)
        page = _page_with_total(ranked, page_number)
        if not page.paginator.count and len(plan.groups) > 1:
            partial = True
            ranked = _ranked(criteria, plan, member=member, all_words=False)
            page = _page_with_total(ranked, page_number)
        ids = [row["resource_person_id"] for row in page.object_list]
    else:
        browse = _browse(criteria, member=member).values_list("pk", flat=True)
        page = Paginator(browse, PAGE_SIZE).get_page(page_number)
        ids = list(page.object_list)
    # Hydration goes through listed() again: a row left behind by a bulk write bypassing the
    # signals is never shown.
    people = with_profile_details(ResourcePerson.objects.listed()).in_bulk(ids)
    page.object_list = [
        card_for(people[pk], member=member, origin=criteria.commune) for pk in ids if pk in people
    ]
    return SearchResult(page=page, partial=partial, ignored_words=ignored)


def directory_card(pk: int, *, member: bool, origin: Commune | None = None) -> Card:
    """A listed resource person's card; 404 for anyone not listed (pending, suspended…)."""
    person = get_object_or_404(with_profile_details(ResourcePerson.objects.listed()), pk=pk)
    return card_for(person, member=member, origin=origin)
