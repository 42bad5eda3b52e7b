"""Index maintenance: per-person weights (BM25-like, field boosts) and the vocabulary.

Only listed resource persons (validated, active account, consenting) are indexed. Each row
carries two weights: ``weight_public`` from the fields the person consented to show, and
``weight_member`` from every field a signed-in user may see. See docs/directory.md.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, QuerySet

from maillage.competences.models import Competence
from maillage.geography.models import Commune
from maillage.people.models import ResourcePerson, ResourcePersonCompetence, User
from maillage.people.selectors import with_profile_details

from .models import IndexTerm, Term
from .text import stems

# BM25 term-frequency saturation and length normalisation.
K1 = 1.2
B = 0.75
# Every indexed person holds this pseudo-term: its document frequency is N (see Term).
DOCUMENT_TERM = ""
# Competence terms weigh more for a higher declared level (1, 2, 3).
LEVEL_FACTORS = {1: 1.0, 2: 1.15, 3: 1.3}
CHUNK_SIZE = 2000
INSERT_BATCH = 5000


@dataclass(frozen=True)
class FieldSpec:
    boost: float
    # Typical length in words, instead of a corpus average: a person's weights then never
    # depend on other people, so one profile is reindexed without touching the rest.
    typical_length: float


FIELDS: dict[str, FieldSpec] = {
    "name": FieldSpec(3.0, 2),
    "job": FieldSpec(2.5, 3),
    "competence": FieldSpec(2.0, 4),
    "organisation": FieldSpec(1.5, 3),
    "commune": FieldSpec(1.5, 1.5),
    "keywords": FieldSpec(1.0, 15),
    "practice": FieldSpec(1.0, 8),
    "domain": FieldSpec(1.0, 4),
    "departement": FieldSpec(1.0, 2),
    "summary": FieldSpec(1.0, 60),
}


@dataclass(frozen=True)
class CompetenceTerms:
    label: list[str]
    keywords: list[str]
    domain: list[str]


def competence_terms(competence: Competence) -> CompetenceTerms:
    domain = competence.domain
    return CompetenceTerms(
        label=stems(f"{competence.label_fr} {competence.label_en}"),
        keywords=stems(competence.keywords),
        domain=stems(f"{domain.label_fr} {domain.label_en}"),
    )


class _Weights:
    def __init__(self) -> None:
        self.public: defaultdict[str, float] = defaultdict(float)
        self.member: defaultdict[str, float] = defaultdict(float)

    def add(self, field: str, terms: list[str], public: bool, factor: float = 1.0) -> None:
        if not terms:
            return
        spec = FIELDS[field]
        norm = K1 * (1 - B + B * len(terms) / spec.typical_length)
        for term, tf in Counter(terms).items():
            weight = spec.boost * factor * tf * (K1 + 1) / (tf + norm)
            self.member[term] += weight
            if public:
                self.public[term] += weight


def person_weights(
    person: ResourcePerson, cache: dict[int, CompetenceTerms] | None = None
) -> dict[str, tuple[float, float]]:
    """term -> (public weight, member weight) for a person loaded with its profile details."""
    cache = {} if cache is None else cache
    user = person.user
    weights = _Weights()
    weights.add("name", stems(f"{user.first_name} {user.last_name}"), person.consent_show_name)
    weights.add("job", stems(user.job_title), person.consent_show_job)
    if user.organisation is not None:
        weights.add("organisation", stems(user.organisation.name), person.consent_show_organisation)
    weights.add("summary", stems(person.summary), person.consent_show_summary)
    weights.add("commune", stems(person.commune.name), person.consent_show_commune)
    departement = person.commune.departement
    weights.add("departement", stems(f"{departement.name} {departement.code}"), True)
    for link in person.competence_links.all():
        terms = cache.get(link.competence_id)
        if terms is None:
            terms = cache[link.competence_id] = competence_terms(link.competence)
        factor = LEVEL_FACTORS.get(link.level, 1.0)
        # Competences, their level and what the person says they pass on are the point of
        # the directory: always public.
        weights.add("competence", terms.label, True, factor)
        weights.add("keywords", terms.keywords, True, factor)
        weights.add("domain", terms.domain, True, factor)
        weights.add("practice", stems(link.description), True, factor)
    result = {
        term: (weights.public.get(term, 0.0), member)
        for term, member in weights.member.items()
        if term
    }
    result[DOCUMENT_TERM] = (1.0, 1.0)
    return result


def _rows(person_id: int, weights: dict[str, tuple[float, float]]) -> Iterator[IndexTerm]:
    for term, (public, member) in weights.items():
        if term == DOCUMENT_TERM:
            continue
        yield IndexTerm(
            term=term,
            resource_person_id=person_id,
            weight_public=round(public, 4),
            weight_member=round(member, 4),
        )


def _listed_with_details() -> QuerySet[ResourcePerson]:
    return with_profile_details(ResourcePerson.objects.listed())


def _term_sets(weights: dict[str, tuple[float, float]]) -> tuple[set[str], set[str]]:
    public = {term for term, (p, _m) in weights.items() if p > 0}
    member = set(weights)
    return public, member


@transaction.atomic
def index_resource_persons(person_ids: Iterable[int]) -> None:
    """Reindex these persons now (removing those no longer listed); cheap per person."""
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        old: dict[int, tuple[set[str], set[str]]] = {pk: (set(), set()) for pk in chunk}
        for pk, term, public in IndexTerm.objects.filter(resource_person_id__in=chunk).values_list(
            "resource_person_id", "term", "weight_public"
        ):
            old[pk][1].add(term)
            if public > 0:
                old[pk][0].add(term)
        for pk in {pk for pk, (_p, member) in old.items() if member}:
            old[pk][0].add(DOCUMENT_TERM)
            old[pk][1].add(DOCUMENT_TERM)
        cache: dict[int, CompetenceTerms] = {}
        new: dict[int, dict[str, tuple[float, float]]] = {
            person.pk: person_weights(person, cache)
            for person in _listed_with_details().filter(pk__in=chunk)
        }
        IndexTerm.objects.filter(resource_person_id__in=chunk).delete()
        IndexTerm.objects.bulk_create(
            [row for pk, weights in new.items() for row in _rows(pk, weights)],
            batch_size=INSERT_BATCH,
        )
        delta: dict[str, Counter[str]] = {
            "added_public": Counter(),
            "removed_public": Counter(),
            "added_member": Counter(),
            "removed_member": Counter(),
        }
        for pk in chunk:
            old_public, old_member = old[pk]
            new_public, new_member = _term_sets(new.get(pk, {}))
            delta["added_public"].update(new_public - old_public)
            delta["removed_public"].update(old_public - new_public)
            delta["added_member"].update(new_member - old_member)
            delta["removed_member"].update(old_member - new_member)
        _apply_frequency_delta(delta)


def _apply_frequency_delta(delta: dict[str, Counter[str]]) -> None:
    """Apply counted document-frequency changes, grouped by amount (one UPDATE per amount)."""
    all_new = set(delta["added_public"]) | set(delta["added_member"])
    if all_new:
        Term.objects.bulk_create([Term(term=t) for t in all_new], ignore_conflicts=True)
    for key, field, sign in [
        ("added_public", "df_public", 1),
        ("removed_public", "df_public", -1),
        ("added_member", "df_member", 1),
        ("removed_member", "df_member", -1),
    ]:
        by_amount: defaultdict[int, list[str]] = defaultdict(list)
        for term, amount in delta[key].items():
            by_amount[amount].append(term)
        for amount, terms in by_amount.items():
            for start in range(0, len(terms), 500):
                Term.objects.filter(term__in=terms[start : start + 500]).update(
                    **{field: F(field) + sign * amount}
                )


def _insert_rows(rows: list[tuple[str, int, float, float]]) -> None:
    """Plain multi-row INSERTs: bulk_create's per-object overhead dominates a full rebuild."""
    table = connection.ops.quote_name(IndexTerm._meta.db_table)
    # The table name comes from the model; values are bound parameters.
    sql = f"INSERT INTO {table} (term, resource_person_id, weight_public, weight_member) "  # noqa: S608
    sql += "VALUES (%s, %s, %s, %s)"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(sql, rows[start : start + INSERT_BATCH])


def index_resource_person(person_id: int) -> None:
    index_resource_persons([person_id])


@transaction.atomic
def rebuild_directory_index(*, analyze: bool = True) -> int:
    """Recompute the whole index and vocabulary from the listed resource persons.

    For bulk loads (``seed_demo`` writes with ``bulk_create``, which sends no signal) and
    after ``QuerySet.update()`` on indexed fields. Returns the number of persons indexed.
    """
    IndexTerm.objects.all().delete()
    Term.objects.all().delete()
    df_public: Counter[str] = Counter()
    df_member: Counter[str] = Counter()
    cache: dict[int, CompetenceTerms] = {}
    indexed = 0
    batch: list[tuple[str, int, float, float]] = []
    last_pk = 0
    while True:
        people = list(_listed_with_details().filter(pk__gt=last_pk).order_by("pk")[:CHUNK_SIZE])
        if not people:
            break
        last_pk = people[-1].pk
        for person in people:
            weights = person_weights(person, cache)
            public, member = _term_sets(weights)
            df_public.update(public)
            df_member.update(member)
            batch.extend(
                (row.term, person.pk, row.weight_public, row.weight_member)
                for row in _rows(person.pk, weights)
            )
            indexed += 1
        _insert_rows(batch)
        batch = []
    Term.objects.bulk_create(
        [Term(term=t, df_public=df_public[t], df_member=n) for t, n in df_member.items()],
        batch_size=INSERT_BATCH,
    )
    if analyze:
        # Fresh planner statistics for the tables a search reads, after a bulk load (same
        # statement on both databases; SQLite samples, so it takes well under a second).
        models = (IndexTerm, Term, ResourcePerson, ResourcePersonCompetence, User, Commune)
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return indexed


def persons_of_users(user_ids: Iterable[int]) -> list[int]:
    return list(
        ResourcePerson.objects.filter(user_id__in=list(user_ids)).values_list("pk", flat=True)
    )


def persons_of_organisation(organisation_id: int) -> list[int]:
    return list(
        ResourcePerson.objects.filter(user__organisation_id=organisation_id).values_list(
            "pk", flat=True
        )
    )


def persons_with_competences(competence_ids: Iterable[int]) -> list[int]:
    return list(
        ResourcePerson.objects.filter(competence_links__competence_id__in=list(competence_ids))
        .values_list("pk", flat=True)
        .distinct()
    )
