"""Fit score of a (need, resource person) pair, and fast candidate generation for a whole call.

Pure Python + NumPy: this module never imports Django, so it can be tested and benchmarked
alone. ``score_pair`` is the reference definition of the score (with its components, used for
explanations); ``Scorer.candidates`` computes the same totals vectorised over all mentors of a
need, keeps the compatible pairs and returns each need's ``top_k`` best. See docs/matching.md,
section "Scoring".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
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
    """

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75):
        self.size = len(documents)
        lengths = np.array([len(doc) for doc in documents], dtype=np.float64)
        average = float(lengths.mean()) if self.size and lengths.sum() else 1.0
        frequencies: list[dict[str, int]] = []
        document_frequency: dict[str, int] = defaultdict(int)
        for doc in documents:
            counts: dict[str, int] = defaultdict(int)
            for term in doc:
                counts[term] += 1
            frequencies.append(counts)
            for term in counts:
                document_frequency[term] += 1
        self.idf = {
            term: math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))
            for term, df in document_frequency.items()
        }
        postings: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        self.weights: list[dict[str, float]] = []
        for position, counts in enumerate(frequencies):
            norm = k1 * (1.0 - b + b * lengths[position] / average)
            doc_weights = {}
            for term, tf in counts.items():
                weight = self.idf[term] * tf * (k1 + 1.0) / (tf + norm)
                doc_weights[term] = weight
                postings[term][0].append(position)
                postings[term][1].append(weight)
            self.weights.append(doc_weights)
        self.postings = {
            term: (np.array(ids, dtype=np.int64), np.array(ws, dtype=np.float64))
            for term, (ids, ws) in postings.items()
        }
        # A dense (term x document) matrix turns a query into one gather and one sum; kept
        # for the sizes of a call (a few thousand terms x a few thousand persons).
        self.row = {term: i for i, term in enumerate(self.postings)}
        self.dense: np.ndarray | None = None
        if len(self.row) * self.size <= DENSE_LIMIT:
            self.dense = np.zeros((len(self.row) + 1, self.size), dtype=np.float64)
            for term, (ids, ws) in self.postings.items():
                self.dense[self.row[term], ids] = ws

    def _query(self, query: Iterable[str]) -> tuple[list[str], float]:
        terms = sorted({term for term in query if term in self.idf})
        return terms, math.fsum(self.idf[term] for term in terms)

    def relevance(self, query: Iterable[str], position: int) -> float:
        terms, ideal = self._query(query)
        if not ideal:
            return 0.0
        weights = self.weights[position]
        return min(1.0, math.fsum(weights.get(term, 0.0) for term in terms) / ideal)

    def relevance_all(self, query: Iterable[str]) -> np.ndarray:
        scores = np.zeros(self.size, dtype=np.float64)
        terms, ideal = self._query(query)
        if not ideal:
            return scores
        if self.dense is not None:
            scores = self.dense[[self.row[term] for term in terms]].sum(axis=0)
        else:
            for term in terms:
                ids, weights = self.postings[term]
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


class Scorer:
    """Precomputed mentor side, then whole blocks of needs scored with array operations.

    Competence fit and text relevance are matrix products (needs x competences by
    competences x persons, needs x terms by terms x persons); the rest are broadcast
    comparisons. Totals equal ``score_pair``'s (tested), up to float rounding at 1e-4.
    Assumes a competence belongs to one domain, as in the taxonomy.
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
        self.in_domain = np.zeros((len(domain_ids) + 1, count), dtype=np.float64)
        for i, mentor in enumerate(self.mentors):
            for competence, (domain, level) in mentor.competences.items():
                self.levels[self.competence_row[competence], i] = level
                self.in_domain[self.domain_row[domain], i] = 1.0
        self.held = (self.levels > 0).astype(np.float64)
        codes = sorted({m.departement for m in self.mentors if m.departement})
        self.departement_code = {code: i + 1 for i, code in enumerate(codes)}
        self.departement_index = np.array(
            [self.departement_code.get(m.departement, 0) for m in self.mentors], dtype=np.int64
        )

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
        without candidates gets the reason of the first filter that emptied its list.
        """
        result: dict[int, NeedCandidates] = {}
        for start in range(0, len(needs), CHUNK):
            self._chunk(needs[start : start + CHUNK], top_k, result)
        return result

    def _chunk(
        self, needs: Sequence[NeedProfile], top_k: int, result: dict[int, NeedCandidates]
    ) -> None:
        w = self.weights
        size, rows = self.size, len(needs)
        if size == 0:
            for need in needs:
                result[need.id] = NeedCandidates(need.id, [], NO_COMPETENCE)
            return
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
        held = self.held[wanted_c]
        exact = held.sum(axis=1)
        level_sum = self.levels[wanted_c].sum(axis=1)
        domain_only = (self.in_domain[wanted_d] * (1.0 - held)).sum(axis=1)
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

        # The costly terms only on the feasible pairs, as flat arrays.
        r_idx, p_idx = np.nonzero(feasible)
        safe_wanted = np.maximum(wanted, 1)[r_idx]
        total = (
            w.competence_exact * exact[r_idx, p_idx]
            + w.competence_domain * domain_only[r_idx, p_idx]
        ) / safe_wanted
        total += w.level * level_sum[r_idx, p_idx] / safe_wanted
        segments = np.searchsorted(r_idx, np.arange(rows + 1))
        total += w.text * self._relevance(needs, p_idx, segments)
        remote = (common[r_idx, p_idx] & _FORMAT_BIT[REMOTE]) != 0
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
        distance = np.where(located[r_idx] & self.has_coordinates[p_idx], distance, 0.0)
        total += np.where(remote, w.distance, distance)
        total += w.formats
        desired = np.array([month_mask(n.months) for n in needs])[r_idx]
        covered = _POPCOUNT12[self.months[p_idx] & desired]
        total += np.where(
            desired > 0,
            w.availability * covered / np.maximum(_POPCOUNT12[desired], 1),
            w.availability,
        )
        total += np.where(proposed[r_idx] == p_idx, w.proposed, 0.0)
        rural = np.array(
            [bool(n.departement) and n.departement in w.rural_departements for n in needs]
        )
        total += np.where(rural[r_idx], w.rural, 0.0)
        code = np.array(
            [self.departement_code.get(n.departement, -1) if n.departement else 0 for n in needs]
        )[r_idx]
        mentor_code = self.departement_index[p_idx]
        total += np.where(
            (code != 0) & (mentor_code != 0) & (mentor_code != code), w.other_territory, 0.0
        )
        total = np.maximum(0.0, np.round(total, DECIMALS))

        # Best first within each need (r_idx is sorted), ties to the smaller position (= id):
        # one stable sort on an integer key (need, then decreasing total).
        points = np.rint(total * 10**DECIMALS).astype(np.int64)
        order = np.argsort(r_idx.astype(np.int64) * (1 << 40) - points, kind="stable")
        starts, ends = segments[:-1], segments[1:]
        any_related = related.any(axis=1)
        any_other = other_organisation.any(axis=1)
        any_capacity = with_capacity.any(axis=1)
        for r, need in enumerate(needs):
            if starts[r] == ends[r]:
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
                continue
            segment = order[starts[r] : ends[r]]
            kept = segment[:top_k].tolist()
            p = int(proposed[r])
            if p >= 0 and feasible[r, p]:
                where = segment[p_idx[segment] == p]
                if where.size and int(where[0]) not in kept:
                    kept.append(int(where[0]))
            result[need.id] = NeedCandidates(
                need.id, [(int(self.ids[p_idx[i]]), float(total[i])) for i in kept]
            )

    def _relevance(
        self, needs: Sequence[NeedProfile], p_idx: np.ndarray, segments: np.ndarray
    ) -> np.ndarray:
        """Text relevance of each feasible pair (flat, in ``p_idx`` order)."""
        text = self.text
        values = np.zeros(p_idx.size)
        for r, need in enumerate(needs):
            start, end = segments[r], segments[r + 1]
            if start == end:
                continue
            pool = p_idx[start:end]
            if text.dense is None:
                values[start:end] = text.relevance_all(need.stems)[pool]
                continue
            terms, ideal = text._query(need.stems)
            if ideal:
                rows = np.array([text.row[t] for t in terms], dtype=np.int64)
                values[start:end] = text.dense[np.ix_(rows, pool)].sum(axis=0) / ideal
        return np.minimum(1.0, values)
