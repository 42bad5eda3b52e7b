"""Array form of a problem after preprocessing (valid pairs only).

Needs and mentors are indexed in id order and pairs are sorted by (need id,
mentor id), so every solver sees the same input whatever the order of the
JSON lists: this is what makes results deterministic and ties broken by ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from .problem import CandidateColumns, Problem, ProblemError, check_references


@dataclass(slots=True)
class Model:
    need_ids: list[str]
    mentor_ids: list[str]
    need_days: np.ndarray  # int64 per need
    mentor_transfers: np.ndarray  # int64 per mentor (remaining after locks)
    mentor_days: np.ndarray  # int64 per mentor (remaining after locks)
    pair_need: np.ndarray  # int64 need index per valid pair
    pair_mentor: np.ndarray  # int64 mentor index per valid pair
    pair_score: np.ndarray  # float64 original score per valid pair

    @property
    def num_needs(self) -> int:
        return len(self.need_ids)

    @property
    def num_mentors(self) -> int:
        return len(self.mentor_ids)

    @property
    def num_pairs(self) -> int:
        return int(self.pair_need.size)

    def subset(self, keep: np.ndarray) -> Model:
        return Model(
            self.need_ids,
            self.mentor_ids,
            self.need_days,
            self.mentor_transfers,
            self.mentor_days,
            self.pair_need[keep],
            self.pair_mentor[keep],
            self.pair_score[keep],
        )

    def days_can_bind(self) -> np.ndarray:
        """Per mentor: can its day capacity cut a solution that its transfer cap allows?

        A mentor cannot be overloaded in days if even its `max_transfers`
        longest candidate needs fit in `capacity_days`.
        """
        binding = np.zeros(self.num_mentors, dtype=bool)
        if self.num_pairs == 0:
            return binding
        days = self.need_days[self.pair_need]
        # Cheap sufficient test first: transfers x longest candidate need fits.
        longest = np.zeros(self.num_mentors, dtype=np.int64)
        np.maximum.at(longest, self.pair_mentor, days)
        if np.all(longest * self.mentor_transfers <= self.mentor_days):
            return binding
        # Sort pairs by mentor, then by decreasing days, and rank within mentor.
        order = np.lexsort((-days, self.pair_mentor))
        mentors = self.pair_mentor[order]
        sorted_days = days[order]
        group_start = np.flatnonzero(np.r_[True, mentors[1:] != mentors[:-1]])
        group_size = np.diff(np.r_[group_start, mentors.size])
        rank = np.arange(mentors.size) - np.repeat(group_start, group_size)
        within_cap = rank < self.mentor_transfers[mentors]
        worst_load = np.bincount(
            mentors[within_cap], weights=sorted_days[within_cap], minlength=self.num_mentors
        )
        binding = worst_load > self.mentor_days
        return binding


_ID = attrgetter("id")
_DAYS = attrgetter("days")
_TRANSFERS = attrgetter("max_transfers")
_CAPACITY = attrgetter("capacity_days")
_ORGANISATION = attrgetter("organisation")
_NEED = attrgetter("need")
_MENTOR = attrgetter("mentor")
_SCORE = attrgetter("score")


def build_model(
    problem: Problem,
    *,
    locked: Iterable[tuple[str, str]] = (),
    forbidden: Iterable[tuple[str, str]] = (),
) -> tuple[Model, list[tuple[str, str, float]]]:
    """Validate ids, drop pairs that can never be assigned, apply locks.

    Returns the model of what remains to decide and the locked assignments
    (need, mentor, score), whose needs and capacities are already removed.
    """
    # attrgetter and map keep the per-item work in C: at 100,000 needs and 2 million
    # candidates, this preprocessing is a fifth of the count-only solve.
    needs = sorted(problem.needs, key=_ID)
    mentors = sorted(problem.mentors, key=_ID)
    need_index = dict(zip(map(_ID, needs), range(len(needs)), strict=True))
    mentor_index = dict(zip(map(_ID, mentors), range(len(mentors)), strict=True))
    if len(need_index) != len(needs) or len(mentor_index) != len(mentors):
        check_references(problem)  # raises with the duplicate id named
    num_needs, num_mentors = len(needs), len(mentors)

    need_days = np.fromiter(map(_DAYS, needs), dtype=np.int64, count=num_needs)
    transfers = np.fromiter(map(_TRANSFERS, mentors), dtype=np.int64, count=num_mentors)
    capacity = np.fromiter(map(_CAPACITY, mentors), dtype=np.int64, count=num_mentors)
    # Organisations as small integers, in order of first appearance (needs, then mentors).
    organisation_code: dict[str, int] = {}
    for organisation in map(_ORGANISATION, needs):
        organisation_code.setdefault(organisation, len(organisation_code))
    for organisation in map(_ORGANISATION, mentors):
        organisation_code.setdefault(organisation, len(organisation_code))
    need_org = np.fromiter(
        map(organisation_code.__getitem__, map(_ORGANISATION, needs)), np.int64, num_needs
    )
    mentor_org = np.fromiter(
        map(organisation_code.__getitem__, map(_ORGANISATION, mentors)), np.int64, num_mentors
    )

    candidates = problem.candidates
    count = len(candidates)
    need_column: Iterable[str]
    mentor_column: Iterable[str]
    score_column: Iterable[float]
    if isinstance(candidates, CandidateColumns):
        need_column, mentor_column = candidates.need, candidates.mentor
        score_column = candidates.score
    else:
        need_column = map(_NEED, candidates)
        mentor_column = map(_MENTOR, candidates)
        score_column = map(_SCORE, candidates)
    try:
        # map() over bound dict lookups is the fastest pure-Python path for
        # millions of candidates; a KeyError means an unknown id.
        pair_need = np.fromiter(map(need_index.__getitem__, need_column), np.int64, count)
        pair_mentor = np.fromiter(map(mentor_index.__getitem__, mentor_column), np.int64, count)
    except KeyError:
        check_references(problem)  # raises with the unknown id named
        raise
    pair_score = np.fromiter(score_column, np.float64, count)
    if count and not np.all(np.isfinite(pair_score)):
        raise ProblemError("candidates: scores must be finite numbers")

    pair_key = pair_need * max(num_mentors, 1) + pair_mentor
    if count > 1 and not np.all(pair_key[1:] > pair_key[:-1]):
        # Duplicated pairs keep their best score: sort by (key, -score) and
        # keep the first copy of each key.
        order = np.argsort(pair_key, kind="stable")
        if np.any(np.diff(pair_key[order]) == 0):
            order = np.lexsort((-pair_score, pair_key))
        pair_key, pair_score = pair_key[order], pair_score[order]
        pair_need, pair_mentor = pair_need[order], pair_mentor[order]
    first_copy = np.r_[True, pair_key[1:] != pair_key[:-1]] if count else np.ones(0, bool)
    valid = (
        first_copy
        & (pair_score > 0)
        & (need_org[pair_need] != mentor_org[pair_mentor])
        & (need_days[pair_need] <= capacity[pair_mentor])
        & (transfers[pair_mentor] > 0)
    )

    forbidden_keys = _pair_keys(forbidden, need_index, mentor_index, "forbidden", num_mentors)
    if forbidden_keys.size:
        valid &= ~np.isin(pair_need * num_mentors + pair_mentor, forbidden_keys)

    locked_rows = _resolve_locks(
        list(locked), need_index, mentor_index, pair_need, pair_mentor, valid, num_mentors
    )
    locked_assignments: list[tuple[str, str, float]] = []
    if locked_rows.size:
        locked_need = pair_need[locked_rows]
        locked_mentor = pair_mentor[locked_rows]
        used_transfers = np.bincount(locked_mentor, minlength=num_mentors)
        used_days = np.bincount(
            locked_mentor, weights=need_days[locked_need], minlength=num_mentors
        ).astype(np.int64)
        over = np.flatnonzero((used_transfers > transfers) | (used_days > capacity))
        if over.size:
            mentor = mentors[int(over[0])]
            raise ValueError(
                f"locked pairs are infeasible together: mentor {mentor.id!r} would get "
                f"{int(used_transfers[over[0]])} needs and {int(used_days[over[0]])} days "
                f"(max_transfers={mentor.max_transfers}, capacity_days={mentor.capacity_days})"
            )
        transfers = transfers - used_transfers
        capacity = capacity - used_days
        for row in locked_rows.tolist():
            locked_assignments.append(
                (needs[pair_need[row]].id, mentors[pair_mentor[row]].id, float(pair_score[row]))
            )
        # Locked needs are decided; the rest must fit in what the locks leave.
        is_locked_need = np.zeros(num_needs, dtype=bool)
        is_locked_need[locked_need] = True
        valid &= ~is_locked_need[pair_need]
        valid &= (transfers[pair_mentor] > 0) & (need_days[pair_need] <= capacity[pair_mentor])

    model = Model(
        need_ids=[n.id for n in needs],
        mentor_ids=[m.id for m in mentors],
        need_days=need_days,
        mentor_transfers=transfers,
        mentor_days=capacity,
        pair_need=pair_need[valid],
        pair_mentor=pair_mentor[valid],
        pair_score=pair_score[valid],
    )
    return model, locked_assignments


def _pair_keys(
    pairs: Iterable[tuple[str, str]],
    need_index: dict[str, int],
    mentor_index: dict[str, int],
    what: str,
    num_mentors: int,
) -> np.ndarray:
    keys = []
    for need, mentor in pairs:
        if need not in need_index:
            raise ValueError(f"{what} pair ({need!r}, {mentor!r}): unknown need id {need!r}")
        if mentor not in mentor_index:
            raise ValueError(f"{what} pair ({need!r}, {mentor!r}): unknown mentor id {mentor!r}")
        keys.append(need_index[need] * num_mentors + mentor_index[mentor])
    return np.asarray(keys, dtype=np.int64)


def _resolve_locks(
    locked: list[tuple[str, str]],
    need_index: dict[str, int],
    mentor_index: dict[str, int],
    pair_need: np.ndarray,
    pair_mentor: np.ndarray,
    valid: np.ndarray,
    num_mentors: int,
) -> np.ndarray:
    """Row of each locked pair among the (sorted) pairs; ValueError if impossible."""
    if not locked:
        return np.zeros(0, dtype=np.int64)
    keys = _pair_keys(locked, need_index, mentor_index, "locked", num_mentors)
    pair_keys = pair_need * num_mentors + pair_mentor
    rows = []
    seen_needs: dict[int, tuple[str, str]] = {}
    for (need, mentor), key in zip(locked, keys.tolist(), strict=True):
        need_row = need_index[need]
        if need_row in seen_needs:
            if seen_needs[need_row] == (need, mentor):
                continue
            raise ValueError(
                f"locked pairs are infeasible together: need {need!r} is locked to both "
                f"{seen_needs[need_row][1]!r} and {mentor!r}"
            )
        seen_needs[need_row] = (need, mentor)
        # Pairs are sorted by key within valid duplicates; searchsorted finds the first copy.
        row = int(np.searchsorted(pair_keys, key))
        if row >= pair_keys.size or pair_keys[row] != key or not valid[row]:
            raise ValueError(
                f"locked pair ({need!r}, {mentor!r}) can never be assigned: it must be a "
                "listed candidate with a positive score, between different organisations, "
                "not forbidden, and fit the mentor's capacities"
            )
        rows.append(row)
    return np.asarray(rows, dtype=np.int64)
