"""Seeded random instances, shared by the benchmark and the tests."""

from __future__ import annotations

import numpy as np

from .problem import CandidateColumns, Mentor, Need, Problem


def random_problem(
    num_needs: int,
    *,
    seed: int = 0,
    days_binding: bool = False,
    candidates_per_need: int = 20,
    mentors_per_need: float = 1 / 3,
    num_organisations: int | None = None,
) -> Problem:
    """The benchmark family: mentors = needs/3, 20 candidates per need,
    1-3 transfers and 3-15 days per mentor; needs last 1 day (only counts bind)
    or 1-5 days (day capacities bind)."""
    rng = np.random.default_rng(seed)
    num_mentors = max(1, round(num_needs * mentors_per_need))
    if num_organisations is None:
        num_organisations = max(2, num_needs // 20)
    width = len(str(max(num_needs, num_mentors)))
    need_org = rng.integers(0, num_organisations, num_needs)
    mentor_org = rng.integers(0, num_organisations, num_mentors)
    if days_binding:
        need_days = rng.integers(1, 6, num_needs)
    else:
        need_days = np.ones(num_needs, dtype=np.int64)
    transfers = rng.integers(1, 4, num_mentors)
    capacity = rng.integers(3, 16, num_mentors)
    per_need = min(candidates_per_need, num_mentors)
    # Distinct mentors per need: argpartition of random keys is a cheap sample
    # without replacement that stays vectorised for 100,000 needs.
    if per_need == num_mentors:
        chosen = np.tile(np.arange(num_mentors), (num_needs, 1))
    else:
        keys = rng.random((num_needs, num_mentors)) if num_mentors <= 2000 else None
        if keys is not None:
            chosen = np.argpartition(keys, per_need, axis=1)[:, :per_need]
        else:
            chosen = _sample_distinct(rng, num_needs, num_mentors, per_need)
    scores = np.round(rng.uniform(0.01, 1.0, (num_needs, per_need)), 4)

    needs = [
        Need(f"n{i:0{width}d}", int(need_days[i]), f"o{need_org[i]}") for i in range(num_needs)
    ]
    mentors = [
        Mentor(f"m{j:0{width}d}", f"o{mentor_org[j]}", int(transfers[j]), int(capacity[j]))
        for j in range(num_mentors)
    ]
    # Candidates as columns (the form the Django side passes): no object per pair.
    need_ids = [n.id for n in needs]
    mentor_ids = [m.id for m in mentors]
    candidates = CandidateColumns(
        [need_ids[i] for i in range(num_needs) for _ in range(per_need)],
        list(map(mentor_ids.__getitem__, chosen.ravel().tolist())),
        scores.ravel().tolist(),
    )
    return Problem(needs, mentors, candidates)


def _sample_distinct(rng: np.random.Generator, rows: int, population: int, size: int) -> np.ndarray:
    # Oversample then keep the first `size` distinct values of each row;
    # collisions are rare because size << population.
    draws = rng.integers(0, population, (rows, size * 2))
    out = np.empty((rows, size), dtype=np.int64)
    for row in range(rows):
        _, first = np.unique(draws[row], return_index=True)
        distinct = draws[row][np.sort(first)]
        while distinct.size < size:
            extra = rng.integers(0, population, size)
            merged = np.concatenate([distinct, extra])
            _, first = np.unique(merged, return_index=True)
            distinct = merged[np.sort(first)]
        out[row] = distinct[:size]
    return out
