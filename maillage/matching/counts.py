"""Exact solve when only transfer counts can bind: min-cost flow + dual certificate."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .flow import dual_bound, max_weight_assignment, mentor_prices
from .model import Model

# Below this many pairs the whole graph goes to the flow solver at once.
REDUCE_FROM_PAIRS = 300_000
# Candidates kept per need in the first reduced solve (best scores first). Measured on the
# benchmark family (20 candidates per need, 100,000 needs, seeds 1-4): 10 is enough for
# the certificate in one round, 9 needs a pricing round (a second flow, +60 %).
REDUCED_CANDIDATES_PER_NEED = 10
MAX_PRICING_ROUNDS = 3


@dataclass(slots=True)
class Solution:
    chosen: np.ndarray  # bool mask over model pairs
    upper_bound: float
    method: str


def total_of(model: Model, chosen: np.ndarray) -> float:
    return math.fsum(model.pair_score[chosen].tolist())


def is_proven(total: float, bound: float) -> bool:
    """`total` equals `bound` up to OPTIMALITY_TOLERANCE (see docs/matching.md)."""
    return bound - total <= OPTIMALITY_TOLERANCE * max(1.0, abs(bound))


OPTIMALITY_TOLERANCE = 1e-9


def best_per_need(model: Model, keep_per_need: int, weight: np.ndarray | None = None) -> np.ndarray:
    """Mask keeping, for every need, its `keep_per_need` best pairs (ties kept)."""
    weight = model.pair_score if weight is None else weight
    num_pairs = model.num_pairs
    if num_pairs == 0:
        return np.zeros(0, dtype=bool)
    needs = model.pair_need
    start = np.flatnonzero(np.r_[True, needs[1:] != needs[:-1]])
    degree = np.diff(np.r_[start, num_pairs])
    if degree.max() <= keep_per_need:
        return np.ones(num_pairs, dtype=bool)
    # Pad pairs into a (needs x max degree) matrix so one np.partition finds
    # each need's k-th best weight; only when padding stays cheap.
    width = int(degree.max())
    if start.size * width <= 4 * num_pairs:
        row = np.repeat(np.arange(start.size), degree)
        column = np.arange(num_pairs) - np.repeat(start, degree)
        padded = np.full((start.size, width), -np.inf)
        padded[row, column] = weight
        kth = keep_per_need - 1
        threshold = -np.partition(-padded, kth, axis=1)[:, kth]
        return weight >= np.repeat(threshold, degree)
    order = np.lexsort((-weight, needs))
    rank = np.empty(num_pairs, dtype=np.int64)
    rank[order] = np.arange(num_pairs) - np.repeat(start, degree)
    return rank < keep_per_need


def solve_counts(model: Model) -> Solution:
    """Optimal assignment ignoring day capacities (they cannot bind here).

    Large instances are first solved on each need's best candidates; the
    mentor prices of that solution either certify it on the full candidate
    list or name the pairs to add (column generation).
    """
    num_pairs = model.num_pairs
    if num_pairs == 0:
        return Solution(np.zeros(0, dtype=bool), 0.0, "empty")
    if num_pairs >= REDUCE_FROM_PAIRS:
        keep = best_per_need(model, REDUCED_CANDIDATES_PER_NEED)
    else:
        keep = np.ones(num_pairs, dtype=bool)
    for round_number in range(MAX_PRICING_ROUNDS + 1):
        sub = model.subset(keep)
        chosen_sub = max_weight_assignment(
            model.num_needs,
            model.num_mentors,
            sub.pair_need,
            sub.pair_mentor,
            sub.pair_score,
            model.mentor_transfers,
        )
        prices = mentor_prices(
            model.num_needs,
            model.num_mentors,
            sub.pair_need,
            sub.pair_mentor,
            sub.pair_score,
            model.mentor_transfers,
            chosen_sub,
        )
        bound, _ = dual_bound(
            model.num_needs,
            model.pair_need,
            model.pair_mentor,
            model.pair_score,
            model.mentor_transfers,
            prices,
        )
        chosen = np.zeros(num_pairs, dtype=bool)
        chosen[np.flatnonzero(keep)[chosen_sub]] = True
        method = "min-cost flow" if round_number == 0 else "min-cost flow + pricing"
        if keep.all() or is_proven(total_of(model, chosen), bound):
            return Solution(chosen, bound, method)
        # Pairs left out of the restricted graph that are worth more than what
        # their need gets there: add them and solve again.
        _, restricted_value = dual_bound(
            model.num_needs,
            sub.pair_need,
            sub.pair_mentor,
            sub.pair_score,
            model.mentor_transfers,
            prices,
        )
        violated = ~keep & (
            model.pair_score - prices[model.pair_mentor] > restricted_value[model.pair_need]
        )
        if violated.any() and round_number < MAX_PRICING_ROUNDS - 1:
            keep |= violated
        else:
            keep[:] = True
    raise AssertionError("unreachable: the last round solves the full graph")
