"""Fit score of a (need, resource person) pair, and fast candidate generation for a whole call.

Pure Python + NumPy: this module never imports Django, so it can be tested and benchmarked
alone. ``score_pair`` is the reference definition of the score (with its components, used for
explanations); ``Scorer.candidates`` computes the same totals vectorised over all mentors of a
need, keeps the compatible pairs and returns each need's ``top_k`` best. See docs/matching.md,
section "Scoring".
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Transfer formats (values of calls.models.TransferFormat).
IMMERSION = "immersion"
ON_SITE = "sur_site"
REMOTE = "distance"
MIXED = "mixte"
FORMATS = (IMMERSION, ON_SITE, REMOTE, MIXED)
_FORMAT_BIT = {code: 1 << i for i, code in enumerate(FORMATS)}
_ALL_FORMATS = (1 << len(FORMATS)) - 1
_ALL_MONTHS = (1 << 12) - 1
# Below this radius the distance decay would be too steep to mean anything.
MIN_DECAY_KM = 10.0
EARTH_RADIUS_KM = 6371.0088
# Totals are rounded to 4 decimals: the assignment engine is fastest on such scores.
DECIMALS = 4
# Largest dense BM25 matrix (terms x persons) kept in memory: 8 M floats, 64 MB.
DENSE_LIMIT = 8_000_000

# Why a need has no candidate at all (first filter that empties the list wins).
NO_COMPETENCE = "no_competence"
SAME_ORGANISATION = "same_organisation"
CAPACITY = "capacity"
NO_FORMAT = "no_format"


@dataclass(frozen=True, slots=True)
class NeedProfile:
    id: int
    organisation_id: int | None
    latitude: float | None
    longitude: float | None
    departement: str
    # (competence id, domain id) of each wanted competence.
    competences: tuple[tuple[int, int], ...]
    stems: tuple[str, ...]
    formats: frozenset[str]
    # Months (1-12) of the desired period; empty means no preference.
    months: frozenset[int]
    days: int
    proposed_mentor_id: int | None = None


@dataclass(frozen=True, slots=True)
class MentorProfile:
    id: int
    organisation_id: int | None
    latitude: float | None
    longitude: float | None
    departement: str
    # competence id -> (domain id, level 1-3)
    competences: Mapping[int, tuple[int, int]]
    stems: tuple[str, ...]
    formats: frozenset[str]
    # Months (1-12) of availability; empty means all year.
    months: frozenset[int]
    travel_radius_km: float
    remaining_transfers: int
    remaining_days: int


@dataclass(frozen=True, slots=True)
class Weights:
    """Points of each component; see docs/matching.md for the defaults' rationale."""

    competence_exact: float = 40.0
    competence_domain: float = 15.0
    level: float = 5.0
    text: float = 15.0
    formats: float = 5.0
    distance: float = 10.0
    availability: float = 10.0
    proposed: float = 50.0
    rural: float = 5.0
    other_territory: float = 3.0
    rural_departements: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Component:
    code: str
    points: float
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Score:
    total: float
    components: tuple[Component, ...]

    def component(self, code: str) -> Component | None:
        return next((c for c in self.components if c.code == code), None)


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def format_mask(formats: Iterable[str]) -> int:
    mask = 0
    for code in formats:
        mask |= _FORMAT_BIT.get(code, 0)
    return mask


def _common_mask(need_mask: int, mentor_mask: int) -> int:
    # No stated format means any; "mixte" (part on site, part remote) fits every format.
    need_mask = need_mask or _ALL_FORMATS
    mentor_mask = mentor_mask or _ALL_FORMATS
    common = need_mask & mentor_mask
    if need_mask & _FORMAT_BIT[MIXED]:
        common |= mentor_mask
    if mentor_mask & _FORMAT_BIT[MIXED]:
        common |= need_mask
    return common


def common_formats(need_formats: Iterable[str], mentor_formats: Iterable[str]) -> list[str]:
    """Formats both sides can do, in the canonical order (empty: incompatible)."""
    common = _common_mask(format_mask(need_formats), format_mask(mentor_formats))
    return [code for code in FORMATS if common & _FORMAT_BIT[code]]


def month_mask(months: Iterable[int]) -> int:
    mask = 0
    for month in months:
        if 1 <= month <= 12:
            mask |= 1 << (month - 1)
    return mask


def distance_points(weight: float, km: float | None, radius_km: float, remote: bool) -> float:
    """Full points when remote work is possible or within the radius, then a linear decrease
    to zero at twice the radius; nothing when the distance is unknown."""
    if remote:
        return weight
    if km is None:
        return 0.0
    if km <= radius_km:
        return weight
    span = max(radius_km, MIN_DECAY_KM)
    return weight * max(0.0, 1.0 - (km - radius_km) / span)


class TextIndex:
    """Okapi BM25 over the mentors' stems; ``relevance`` is normalised to [0, 1].

    Normalisation: the BM25 score divided by the sum of the IDF of the query's distinct
    known terms, i.e. by the score of a document of average length containing each query term
    once; capped at 1. It depends on the pair only, not on the other candidates.

    A query's term weights are added one by one in sorted term order, here and in the
    vectorised ``Scorer`` (a gather summed over its first axis), so both give the same float.
    """

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75):
        self.size = len(documents)
        lengths = np.array([len(doc) for doc in documents], dtype=np.float64)
        average = float(lengths.mean()) if self.size and lengths.sum() else 1.0
        # One entry per (document, distinct term), document by document: Counter counts in C.
        self.row: dict[str, int] = {}
        row_of = self.row.setdefault
        entry_terms: list[int] = []
        frequencies: list[int] = []
        entries_per_document: list[int] = []
        for doc in documents:
            counts = Counter(doc)
            entry_terms.extend([row_of(term, len(self.row)) for term in counts])
            frequencies.extend(counts.values())
            entries_per_document.append(len(counts))
        terms = np.array(entry_terms, dtype=np.int64)
        tf = np.array(frequencies, dtype=np.float64)
        self._document_start = np.concatenate([[0], np.cumsum(entries_per_document)]).astype(
            np.int64
        )
        docs = np.repeat(np.arange(self.size), entries_per_document)
        df = np.bincount(terms, minlength=len(self.row)).tolist()
        # math.log, term by term: the exact floats of the scalar definition.
        idf_values = [math.log(1.0 + (self.size - d + 0.5) / (d + 0.5)) for d in df]
        self.idf = dict(zip(self.row, idf_values, strict=True))
        norm = k1 * (1.0 - b + b * lengths / average)
        # Same operations, in the same order, as idf * tf * (k1 + 1) / (tf + norm) on scalars.
        self._entry_terms = terms
        self._entry_weights = np.array(idf_values)[terms] * tf * (k1 + 1.0) / (tf + norm[docs])
        self._documents: dict[int, dict[int, float]] = {}
        self._postings: dict[int, tuple[np.ndarray, np.ndarray]] | None = None
        # A dense (term x document) matrix turns a query into one gather and one sum; kept
        # for the sizes of a call (a few thousand terms x a few thousand persons).
        self.dense: np.ndarray | None = None
        if len(self.row) * self.size <= DENSE_LIMIT:
            self.dense = np.zeros((len(self.row) + 1, self.size), dtype=np.float64)
            self.dense[terms, docs] = self._entry_weights

    def _query(self, query: Iterable[str]) -> tuple[list[str], float]:
        # The query's distinct known terms, sorted: set operations and maps run in C.
        terms = sorted(self.idf.keys() & set(query))
        return terms, math.fsum(map(self.idf.__getitem__, terms))

    def _document(self, position: int) -> dict[int, float]:
        """Term row -> weight of one document (built on demand: explanations need a few)."""
        weights = self._documents.get(position)
        if weights is None:
            start, end = self._document_start[position], self._document_start[position + 1]
            weights = dict(
                zip(
                    self._entry_terms[start:end].tolist(),
                    self._entry_weights[start:end].tolist(),
                    strict=True,
                )
            )
            self._documents[position] = weights
        return weights

    def postings(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Term row -> (documents, weights), for indexes too large for the dense matrix."""
        if self._postings is None:
            order = np.argsort(self._entry_terms, kind="stable")
            docs = np.repeat(np.arange(self.size), np.diff(self._document_start))[order]
            bounds = np.searchsorted(self._entry_terms[order], np.arange(len(self.row) + 1))
            weights = self._entry_weights[order]
            self._postings = {
                row: (docs[bounds[row] : bounds[row + 1]], weights[bounds[row] : bounds[row + 1]])
                for row in range(len(self.row))
            }
        return self._postings

    def relevance(self, query: Iterable[str], position: int) -> float:
        terms, ideal = self._query(query)
        if not ideal:
            return 0.0
        weights = self._document(position)
        total = 0.0
        for term in terms:
            total += weights.get(self.row[term], 0.0)
        return min(1.0, total / ideal)

    def relevance_all(self, query: Iterable[str]) -> np.ndarray:
        scores = np.zeros(self.size, dtype=np.float64)
        terms, ideal = self._query(query)
        if not ideal:
            return scores
        rows = [self.row[term] for term in terms]
        if self.dense is not None:
            scores = self.dense[rows].sum(axis=0)
        else:
            postings = self.postings()
            for row in rows:
                ids, weights = postings[row]
                scores[ids] += weights
        return np.minimum(1.0, scores / ideal)


# --------------------------------------------------------------------------------------------
# The reference definition: one pair, with its components
# --------------------------------------------------------------------------------------------


def excluded(need: NeedProfile, mentor: MentorProfile) -> str | None:
    """The hard rule that forbids the pair, if any."""
    if need.organisation_id is not None and need.organisation_id == mentor.organisation_id:
        return SAME_ORGANISATION
    if mentor.remaining_transfers <= 0 or need.days > mentor.remaining_days:
        return CAPACITY
    if not common_formats(need.formats, mentor.formats):
        return NO_FORMAT
    return None


def score_pair(
    need: NeedProfile, mentor: MentorProfile, weights: Weights, text_relevance: float
) -> Score | None:
    """The pair's score with its components, or None when a hard rule excludes it."""
    if excluded(need, mentor) is not None:
        return None
    components: list[Component] = []

    wanted = len(need.competences)
    exact = domain_only = level_sum = best_level = 0
    mentor_domains = {domain for domain, _ in mentor.competences.values()}
    for competence, domain in need.competences:
        if competence in mentor.competences:
            level = mentor.competences[competence][1]
            exact += 1
            level_sum += level
            best_level = max(best_level, level)
        elif domain in mentor_domains:
            domain_only += 1
    competence_points = (
        (weights.competence_exact * exact + weights.competence_domain * domain_only) / wanted
        if wanted
        else 0.0
    )
    components.append(
        Component(
            "competence",
            competence_points,
            {"wanted": wanted, "exact": exact, "domain": domain_only, "level": best_level},
        )
    )
    level_points = weights.level * level_sum / wanted if wanted else 0.0
    components.append(Component("level", level_points, {"level": best_level}))

    relevance = min(1.0, max(0.0, text_relevance))
    components.append(
        Component("text", weights.text * relevance, {"relevance": round(relevance * 100)})
    )

    common = common_formats(need.formats, mentor.formats)
    remote = REMOTE in common
    km: float | None = None
    if None not in (need.latitude, need.longitude, mentor.latitude, mentor.longitude):
        km = haversine_km(need.latitude, need.longitude, mentor.latitude, mentor.longitude)  # type: ignore[arg-type]
    components.append(
        Component(
            "distance",
            distance_points(weights.distance, km, mentor.travel_radius_km, remote),
            {
                "km": None if km is None else round(km),
                "radius": round(mentor.travel_radius_km),
                "remote": remote,
                "remote_only": common == [REMOTE],
            },
        )
    )
    components.append(Component("formats", weights.formats, {"formats": common}))

    desired = month_mask(need.months)
    available = month_mask(mentor.months) or _ALL_MONTHS
    if desired:
        wanted_months = desired.bit_count()
        covered = (desired & available).bit_count()
        availability = weights.availability * covered / wanted_months
    else:
        wanted_months = covered = 0
        availability = weights.availability
    components.append(
        Component("availability", availability, {"covered": covered, "wanted": wanted_months})
    )

    if need.proposed_mentor_id is not None and need.proposed_mentor_id == mentor.id:
        components.append(Component("proposed", weights.proposed, {}))
    if need.departement and need.departement in weights.rural_departements:
        components.append(Component("rural", weights.rural, {"departement": need.departement}))
    if need.departement and mentor.departement and need.departement != mentor.departement:
        components.append(
            Component(
                "other_territory",
                weights.other_territory,
                {"from": mentor.departement, "to": need.departement},
            )
        )
    total = round(math.fsum(c.points for c in components), DECIMALS)
    return Score(max(0.0, total), tuple(components))


# --------------------------------------------------------------------------------------------
# A whole call at once
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class NeedCandidates:
    need_id: int
    # (mentor id, total score), best first (ties: smaller mentor id first).
    mentors: list[tuple[int, float]]
    # Set when ``mentors`` is empty: NO_COMPETENCE, SAME_ORGANISATION, CAPACITY or NO_FORMAT.
    reason: str | None = None


_POPCOUNT12 = np.array([bin(i).count("1") for i in range(1 << 12)], dtype=np.float64)
# Needs scored together: (chunk x persons) arrays stay a few MB.
CHUNK = 256
_REMOTE_BIT = _FORMAT_BIT[REMOTE]
_FORMATS_JSON = [
    json.dumps([code for code in FORMATS if mask & _FORMAT_BIT[code]])
    for mask in range(_ALL_FORMATS + 1)
]


def component_dicts(components: Iterable[Component]) -> list[dict[str, Any]]:
    """Components as stored (JSON): points rounded to 2 decimals, parameters as they are."""
    return [
        {"code": c.code, "points": round(c.points, 2), "params": dict(c.params)} for c in components
    ]


@dataclass(slots=True)
class _Details:
    """Component columns of the pairs an ``all_candidates`` call kept, to explain them
    without scoring them again. Row ``key[(need id, mentor id)]``."""

    key: dict[tuple[int, int], int]
    columns: dict[str, np.ndarray]
    needs: list[NeedProfile]


_DETAIL_COLUMNS = (
    "need",
    "mentor",
    "total",
    "wanted",
    "exact",
    "domain",
    "level",
    "competence_points",
    "level_points",
    "relevance",
    "text_points",
    "km",
    "common",
    "distance_points",
    "covered",
    "months",
    "availability_points",
    "proposed",
    "rural",
    "other_territory",
)


class Scorer:
    """Precomputed mentor side, then whole blocks of needs scored with array operations.

    The competence fit is a gather over the wanted competences, text relevance a gather of
    the BM25 matrix summed over the query's terms; the rest are broadcast comparisons. Totals
    equal ``score_pair``'s (tested), up to float rounding at 1e-4. Assumes a competence
    belongs to one domain, as in the taxonomy.
    """

    def __init__(self, mentors: Sequence[MentorProfile], weights: Weights):
        # Sorted by id: ties between equal scores then go to the smaller id.
        self.mentors = sorted(mentors, key=lambda m: m.id)
        self.weights = weights
        self.position = {m.id: i for i, m in enumerate(self.mentors)}
        self.text = TextIndex([m.stems for m in self.mentors])
        count = len(self.mentors)
        self.size = count
        self.ids = np.array([m.id for m in self.mentors], dtype=np.int64)
        self.organisation = np.array(
            [-1 if m.organisation_id is None else m.organisation_id for m in self.mentors],
            dtype=np.int64,
        )
        self.has_coordinates = np.array(
            [m.latitude is not None and m.longitude is not None for m in self.mentors], dtype=bool
        )
        self.lat = np.radians([m.latitude or 0.0 for m in self.mentors])
        self.lon = np.radians([m.longitude or 0.0 for m in self.mentors])
        self.cos_lat = np.cos(self.lat)
        self.formats = np.array([format_mask(m.formats) for m in self.mentors], dtype=np.int64)
        self.formats[self.formats == 0] = _ALL_FORMATS
        self.months = np.array(
            [month_mask(m.months) or _ALL_MONTHS for m in self.mentors], dtype=np.int64
        )
        self.radius = np.array([m.travel_radius_km for m in self.mentors], dtype=np.float64)
        self.remaining_transfers = np.array(
            [m.remaining_transfers for m in self.mentors], dtype=np.int64
        )
        self.remaining_days = np.array([m.remaining_days for m in self.mentors], dtype=np.int64)
        competence_ids = sorted({c for m in self.mentors for c in m.competences})
        domain_ids = sorted({d for m in self.mentors for d, _level in m.competences.values()})
        self.competence_row = {c: i for i, c in enumerate(competence_ids)}
        self.domain_row = {d: i for i, d in enumerate(domain_ids)}
        self.levels = np.zeros((len(competence_ids) + 1, count), dtype=np.float64)
        self.in_domain = np.zeros((len(domain_ids) + 1, count), dtype=bool)
        for i, mentor in enumerate(self.mentors):
            for competence, (domain, level) in mentor.competences.items():
                self.levels[self.competence_row[competence], i] = level
                self.in_domain[self.domain_row[domain], i] = True
        self.held = self.levels > 0
        codes = sorted({m.departement for m in self.mentors if m.departement})
        self.departement_code = {code: i + 1 for i, code in enumerate(codes)}
        self.departement_index = np.array(
            [self.departement_code.get(m.departement, 0) for m in self.mentors], dtype=np.int64
        )
        self._details: _Details | None = None

    def score(self, need: NeedProfile, mentor_id: int) -> Score | None:
        """The reference score of one pair, with components (for explanations)."""
        position = self.position.get(mentor_id)
        if position is None:
            return None
        relevance = self.text.relevance(need.stems, position)
        return score_pair(need, self.mentors[position], self.weights, relevance)

    def candidates(self, need: NeedProfile, top_k: int = 20) -> NeedCandidates:
        return self.all_candidates([need], top_k)[need.id]

    def all_candidates(
        self, needs: Sequence[NeedProfile], top_k: int = 20
    ) -> dict[int, NeedCandidates]:
        """Each need's ``top_k`` best compatible mentors, plus the proposed one if compatible.

        Prefilter: a mentor is a candidate when they hold one of the wanted competences or a
        competence of the same domain; the mentor proposed by the applicant always is. A need
        without candidates gets the reason of the first filter that emptied its list. The
        components of the pairs kept are remembered for ``explained``.
        """
        result: dict[int, NeedCandidates] = {}
        parts: list[dict[str, np.ndarray]] = []
        for start in range(0, len(needs), CHUNK):
            part = self._chunk(needs[start : start + CHUNK], top_k, result)
            part["need"] += start
            parts.append(part)
        columns = {
            name: np.concatenate([part[name] for part in parts]) if parts else np.zeros(0)
            for name in _DETAIL_COLUMNS
        }
        need_ids = np.array([n.id for n in needs], dtype=np.int64)
        keys = zip(
            need_ids[columns["need"].astype(np.int64)].tolist(),
            self.ids[columns["mentor"].astype(np.int64)].tolist(),
            strict=True,
        )
        self._details = _Details(
            dict(zip(keys, range(columns["total"].size), strict=True)), columns, list(needs)
        )
        return result

    def _chunk(
        self, needs: Sequence[NeedProfile], top_k: int, result: dict[int, NeedCandidates]
    ) -> dict[str, np.ndarray]:
        w = self.weights
        size, rows = self.size, len(needs)
        if size == 0:
            for need in needs:
                result[need.id] = NeedCandidates(need.id, [], NO_COMPETENCE)
            return {name: np.zeros(0) for name in _DETAIL_COLUMNS}
        # Wanted competences and domains as padded row indexes into the person matrices;
        # the extra last row of each matrix is all zeros (padding, or nobody holds it).
        width = max((len(n.competences) for n in needs), default=0) or 1
        wanted_c = np.full((rows, width), len(self.competence_row), dtype=np.int64)
        wanted_d = np.full((rows, width), len(self.domain_row), dtype=np.int64)
        wanted = np.zeros(rows)
        proposed = np.full(rows, -1, dtype=np.int64)
        for r, need in enumerate(needs):
            wanted[r] = len(need.competences)
            for j, (competence, domain) in enumerate(need.competences):
                wanted_c[r, j] = self.competence_row.get(competence, len(self.competence_row))
                wanted_d[r, j] = self.domain_row.get(domain, len(self.domain_row))
            if need.proposed_mentor_id in self.position:
                proposed[r] = self.position[need.proposed_mentor_id]
        # Counts in bytes (a tenth of the memory traffic of floats); exact in float64 later.
        held = self.held[wanted_c]
        exact = held.sum(axis=1, dtype=np.int64)
        domain_only = (self.in_domain[wanted_d] & ~held).sum(axis=1, dtype=np.int64)
        is_proposed = np.zeros((rows, size), dtype=bool)
        has_proposed = proposed >= 0
        is_proposed[np.flatnonzero(has_proposed), proposed[has_proposed]] = True

        # Filters, in the order that names the reason of an empty list.
        related = (exact + domain_only > 0) | is_proposed
        organisation = np.array(
            [-2 if n.organisation_id is None else n.organisation_id for n in needs]
        )
        other_organisation = related & (self.organisation[None, :] != organisation[:, None])
        days = np.array([n.days for n in needs])
        with_capacity = (
            other_organisation
            & (self.remaining_transfers[None, :] > 0)
            & (self.remaining_days[None, :] >= days[:, None])
        )
        need_formats = np.array([format_mask(n.formats) or _ALL_FORMATS for n in needs])[:, None]
        mentor_formats = self.formats[None, :]
        common = need_formats & mentor_formats
        common |= np.where(mentor_formats & _FORMAT_BIT[MIXED], need_formats, 0)
        common |= np.where(need_formats & _FORMAT_BIT[MIXED], mentor_formats, 0)
        feasible = with_capacity & (common != 0)

        # The costly terms only on the feasible pairs, as flat arrays; each component with
        # the operations of ``score_pair``, in its order, so that the floats are the same.
        r_idx, p_idx = np.nonzero(feasible)
        safe_wanted = np.maximum(wanted, 1)[r_idx]
        exact_f = exact[r_idx, p_idx].astype(np.float64)
        domain_f = domain_only[r_idx, p_idx].astype(np.float64)
        competence_points = (
            w.competence_exact * exact_f + w.competence_domain * domain_f
        ) / safe_wanted
        levels = self.levels[wanted_c]
        level_points = w.level * levels.sum(axis=1)[r_idx, p_idx] / safe_wanted
        segments = np.searchsorted(r_idx, np.arange(rows + 1))
        relevance = self._relevance(needs, p_idx, segments)
        text_points = w.text * relevance
        common_f = common[r_idx, p_idx]
        remote = (common_f & _REMOTE_BIT) != 0
        located = np.array([n.latitude is not None and n.longitude is not None for n in needs])
        lat = np.radians([n.latitude if n.latitude is not None else 0.0 for n in needs])[r_idx]
        lon = np.radians([n.longitude if n.longitude is not None else 0.0 for n in needs])[r_idx]
        a = (
            np.sin((self.lat[p_idx] - lat) / 2) ** 2
            + np.cos(lat) * self.cos_lat[p_idx] * np.sin((self.lon[p_idx] - lon) / 2) ** 2
        )
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
        radius = self.radius[p_idx]
        decay = np.clip(1.0 - (km - radius) / np.maximum(radius, MIN_DECAY_KM), 0.0, 1.0)
        distance = np.where(km <= radius, w.distance, w.distance * decay)
        known = located[r_idx] & self.has_coordinates[p_idx]
        distance_points = np.where(remote, w.distance, np.where(known, distance, 0.0))
        desired = np.array([month_mask(n.months) for n in needs])[r_idx]
        covered = _POPCOUNT12[self.months[p_idx] & desired]
        months = _POPCOUNT12[desired]
        availability_points = np.where(
            desired > 0, w.availability * covered / np.maximum(months, 1), w.availability
        )
        is_proposed_f = proposed[r_idx] == p_idx
        rural = np.array(
            [bool(n.departement) and n.departement in w.rural_departements for n in needs]
        )[r_idx]
        code = np.array(
            [self.departement_code.get(n.departement, -1) if n.departement else 0 for n in needs]
        )[r_idx]
        mentor_code = self.departement_index[p_idx]
        other_territory = (code != 0) & (mentor_code != 0) & (mentor_code != code)
        total = competence_points + level_points
        total += text_points
        total += distance_points
        total += w.formats
        total += availability_points
        total += np.where(is_proposed_f, w.proposed, 0.0)
        total += np.where(rural, w.rural, 0.0)
        total += np.where(other_territory, w.other_territory, 0.0)
        total = np.maximum(0.0, np.round(total, DECIMALS))

        # Best first within each need (r_idx is sorted), ties to the smaller position (= id):
        # one stable sort on an integer key (need, then decreasing total). The ``top_k`` first
        # of each need are kept, and the proposed person wherever they rank.
        points = np.rint(total * 10**DECIMALS).astype(np.int64)
        order = np.argsort(r_idx.astype(np.int64) * (1 << 40) - points, kind="stable")
        rank = np.arange(order.size) - segments[r_idx[order]]
        kept = order[(rank < top_k) | is_proposed_f[order]]
        kept_need = r_idx[kept]
        pairs = list(zip(self.ids[p_idx[kept]].tolist(), total[kept].tolist(), strict=True))
        bounds = np.searchsorted(kept_need, np.arange(rows + 1)).tolist()
        any_related = related.any(axis=1)
        any_other = other_organisation.any(axis=1)
        any_capacity = with_capacity.any(axis=1)
        for r, need in enumerate(needs):
            if bounds[r] == bounds[r + 1]:
                reason = (
                    NO_COMPETENCE
                    if not any_related[r]
                    else SAME_ORGANISATION
                    if not any_other[r]
                    else CAPACITY
                    if not any_capacity[r]
                    else NO_FORMAT
                )
                result[need.id] = NeedCandidates(need.id, [], reason)
            else:
                result[need.id] = NeedCandidates(need.id, pairs[bounds[r] : bounds[r + 1]])
        return {
            "need": kept_need,
            "mentor": p_idx[kept],
            "total": total[kept],
            "wanted": wanted[r_idx[kept]],
            "exact": exact_f[kept],
            "domain": domain_f[kept],
            "level": levels.max(axis=1)[r_idx[kept], p_idx[kept]],
            "competence_points": competence_points[kept],
            "level_points": level_points[kept],
            "relevance": relevance[kept],
            "text_points": text_points[kept],
            "km": np.where(known, km, np.nan)[kept],
            "common": common_f[kept],
            "distance_points": distance_points[kept],
            "covered": covered[kept],
            "months": months[kept],
            "availability_points": availability_points[kept],
            "proposed": is_proposed_f[kept],
            "rural": rural[kept],
            "other_territory": other_territory[kept],
        }

    def _relevance(
        self, needs: Sequence[NeedProfile], p_idx: np.ndarray, segments: np.ndarray
    ) -> np.ndarray:
        """Text relevance of each feasible pair (flat, in ``p_idx`` order)."""
        text = self.text
        values = np.zeros(p_idx.size)
        bounds = segments.tolist()
        for r, need in enumerate(needs):
            start, end = bounds[r], bounds[r + 1]
            if start == end:
                continue
            pool = p_idx[start:end]
            if text.dense is None:
                values[start:end] = text.relevance_all(need.stems)[pool]
                continue
            terms, ideal = text._query(need.stems)
            if ideal:
                rows = list(map(text.row.__getitem__, terms))
                # Summed over the first axis: term by term, in sorted term order.
                gathered = text.dense.take(rows, axis=0).take(pool, axis=1)
                values[start:end] = gathered.sum(axis=0) / ideal
        return np.minimum(1.0, values)

    def explained(self, pairs: Sequence[tuple[NeedProfile, int]]) -> list[tuple[float, str] | None]:
        """(total, components as JSON text) of each pair; None when a hard rule excludes it.

        Pairs kept by the last ``all_candidates`` call are written from its columns (a few
        microseconds each); others go through ``score`` and ``component_dicts``. Either way
        the text is ``json.dumps(component_dicts(score(need, mentor).components))``.
        """
        details = self._details
        found: list[int] = []
        where: list[int] = []
        out: list[tuple[float, str] | None] = [None] * len(pairs)
        for i, (need, mentor_id) in enumerate(pairs):
            row = details.key.get((need.id, mentor_id)) if details is not None else None
            if row is not None:
                found.append(row)
                where.append(i)
                continue
            score = self.score(need, mentor_id)
            if score is not None:
                out[i] = (score.total, json.dumps(component_dicts(score.components)))
        if found and details is not None:
            for i, written in zip(where, self._written(details, found), strict=True):
                out[i] = written
        return out

    def _written(self, details: _Details, rows: list[int]) -> list[tuple[float, str]]:
        w = self.weights
        take = np.asarray(rows, dtype=np.int64)
        c = {name: values[take] for name, values in details.columns.items()}
        # Each value as it appears in the JSON, rendered once per distinct value: points as
        # round(points, 2) gives them (json.dumps writes float's repr), counts as integers.
        points = [
            _rendered(c[name], _points_text)
            for name in (
                "competence_points",
                "level_points",
                "text_points",
                "distance_points",
                "availability_points",
            )
        ]
        counts = [
            _rendered(c[name].astype(np.int64), str)
            for name in ("wanted", "exact", "domain", "level", "covered", "months")
        ]
        relevance = _rendered(c["relevance"], lambda value: str(round(value * 100)))
        km = _rendered(np.where(np.isnan(c["km"]), -1.0, c["km"]), _km_text)
        need_departement = [json.dumps(need.departement) for need in details.needs]
        mentor_departement = [json.dumps(mentor.departement) for mentor in self.mentors]
        radius = [str(round(mentor.travel_radius_km)) for mentor in self.mentors]
        remote = ["true" if mask & _REMOTE_BIT else "false" for mask in range(_ALL_FORMATS + 1)]
        remote_only = [
            "true" if mask == _REMOTE_BIT else "false" for mask in range(_ALL_FORMATS + 1)
        ]
        formats = f'{{"code": "formats", "points": {round(w.formats, 2)!r}, "params": {{"formats": '
        proposed = f', {{"code": "proposed", "points": {round(w.proposed, 2)!r}, "params": {{}}}}'
        rural = f', {{"code": "rural", "points": {round(w.rural, 2)!r}, "params": {{"departement": '
        other = f', {{"code": "other_territory", "points": {round(w.other_territory, 2)!r}, '
        written = []
        # The literal JSON of component_dicts(), key for key (json.dumps' separators), so the
        # text is the one ``json.dumps`` gives, without building ~100,000 small dicts.
        for (
            need_row,
            position,
            total,
            common,
            is_proposed,
            is_rural,
            is_other,
            competence_points,
            level_points,
            text_points,
            distance_points,
            availability_points,
            wanted,
            exact,
            domain,
            level,
            covered,
            months,
            relevance_text,
            km_text,
        ) in zip(
            c["need"].astype(np.int64).tolist(),
            c["mentor"].astype(np.int64).tolist(),
            c["total"].tolist(),
            c["common"].astype(np.int64).tolist(),
            c["proposed"].tolist(),
            c["rural"].tolist(),
            c["other_territory"].tolist(),
            *points,
            *counts,
            relevance,
            km,
            strict=True,
        ):
            text = (
                f'[{{"code": "competence", "points": {competence_points}, '
                f'"params": {{"wanted": {wanted}, "exact": {exact}, "domain": {domain}, '
                f'"level": {level}}}}}, '
                f'{{"code": "level", "points": {level_points}, "params": {{"level": {level}}}}}, '
                f'{{"code": "text", "points": {text_points}, '
                f'"params": {{"relevance": {relevance_text}}}}}, '
                f'{{"code": "distance", "points": {distance_points}, '
                f'"params": {{"km": {km_text}, "radius": {radius[position]}, '
                f'"remote": {remote[common]}, "remote_only": {remote_only[common]}}}}}, '
                f"{formats}{_FORMATS_JSON[common]}}}}}, "
                f'{{"code": "availability", "points": {availability_points}, '
                f'"params": {{"covered": {covered}, "wanted": {months}}}}}'
            )
            if is_proposed:
                text += proposed
            if is_rural:
                text += f"{rural}{need_departement[need_row]}}}}}"
            if is_other:
                text += (
                    f'{other}"params": {{"from": {mentor_departement[position]}, '
                    f'"to": {need_departement[need_row]}}}}}'
                )
            written.append((total, text + "]"))
        return written


def _rendered(values: np.ndarray, render: Callable[[Any], str]) -> list[str]:
    """``render(value)`` for each value, computed once per distinct value."""
    distinct, inverse = np.unique(values, return_inverse=True)
    texts = [render(value) for value in distinct.tolist()]
    return list(map(texts.__getitem__, inverse.tolist()))


def _points_text(value: float) -> str:
    return repr(round(value, 2))


def _km_text(value: float) -> str:
    return "null" if value < 0 else str(round(value))
