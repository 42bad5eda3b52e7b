"""Entry point: `solve(problem)` chooses the exact flow or the GAP pipeline."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

import numpy as np

from .counts import is_proven, solve_counts
from .gap import solve_days
from .model import build_model
from .problem import Assignment, Problem, Result

# Only the day-capacity (NP-hard) case uses it: the count-only case always
# runs to proven optimality.
DEFAULT_TIME_LIMIT_S = 20.0


def solve(
    problem: Problem,
    *,
    time_limit_s: float | None = None,
    locked: Iterable[tuple[str, str]] = (),
    forbidden: Iterable[tuple[str, str]] = (),
) -> Result:
    """Assign needs to mentors maximising the total score.

    `locked` pairs are imposed (ValueError if they cannot hold together or a
    pair could never be assigned); `forbidden` pairs never appear. The
    result's `upper_bound` is proven for the problem with these constraints.
    """
    started = time.perf_counter()
    limit = time_limit_s if time_limit_s is not None else problem.time_limit_s
    if limit is None:
        limit = DEFAULT_TIME_LIMIT_S
    deadline = started + limit

    model, locked_assignments = build_model(problem, locked=locked, forbidden=forbidden)
    binding = model.days_can_bind()
    if binding.any():
        chosen, bound, method = solve_days(model, binding, deadline)
    else:
        solution = solve_counts(model)
        chosen, bound, method = solution.chosen, solution.upper_bound, solution.method

    # Only the chosen pairs become Python objects. Pairs are sorted by need index, i.e. by
    # need id, so the assignments come out sorted; locked ones are merged in when present.
    pairs = np.flatnonzero(chosen)
    need_ids, mentor_ids = model.need_ids, model.mentor_ids
    assignments = [
        Assignment(need_ids[n], mentor_ids[m], s)
        for n, m, s in zip(
            model.pair_need[pairs].tolist(),
            model.pair_mentor[pairs].tolist(),
            model.pair_score[pairs].tolist(),
            strict=True,
        )
    ]
    if locked_assignments:
        assignments.extend(Assignment(n, m, s) for n, m, s in locked_assignments)
        assignments.sort(key=lambda a: a.need)
    total = math.fsum(a.score for a in assignments)
    locked_total = math.fsum(s for _, _, s in locked_assignments)
    upper_bound = max(bound + locked_total, total)
    return Result(
        assignments=assignments,
        total_score=total,
        upper_bound=upper_bound,
        optimal=is_proven(total, upper_bound),
        seconds=time.perf_counter() - started,
        method=method,
    )
