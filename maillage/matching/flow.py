"""Maximum-weight b-matching (needs x mentors, transfer caps) by min-cost flow.

Optimality is certified by LP duality rather than trusted: from the flow we
derive mentor prices `p`, and for any prices `p >= 0` (and day prices
`lam >= 0`)

    sum_i max(0, max_j s_ij - p_j - lam_j d_i) + sum_j T_j p_j + D_j lam_j

bounds every feasible total from above (it is the LP dual objective with the
need duals set to their smallest feasible value). This lets us solve a
reduced graph (each need's best candidates only) and still prove optimality
on the full one, and it makes the bound independent of integer scaling.
"""

from __future__ import annotations

import math

import numpy as np
from ortools.graph.python import min_cost_flow

# OR-Tools multiplies costs by (num_nodes + 1) internally; keep well below 2**63.
_COST_HEADROOM = 2.0**60
_PRECISION_EXPONENT = 9


def integer_scale(weight: np.ndarray, num_nodes: int) -> float:
    """Power of ten K used to round weights to integer costs round(w * K).

    The smallest K >= 1 at which every weight is an integer multiple of 1/K
    (so the flow optimum is exactly the float optimum): fewer cost-scaling
    phases make the flow ~20 % faster than always using the finest scale.
    Otherwise the finest: 1e-9 of the largest weight, within what OR-Tools
    accepts without overflow.
    """
    max_weight = float(np.abs(weight).max()) if weight.size else 0.0
    if max_weight <= 0:
        return 1.0
    # Work with exponents: tiny or huge weights must not overflow a float.
    headroom_exponent = math.log10(_COST_HEADROOM / (num_nodes + 2)) - math.log10(max_weight)
    # Resolution: 1e-9 of the largest weight (1e-9 absolute for scores near 1).
    precision_exponent = _PRECISION_EXPONENT - math.floor(math.log10(max_weight))
    largest = min(math.floor(headroom_exponent), precision_exponent, 300)
    sample = weight[:1000]
    for exponent in range(0, largest + 1):
        scale = 10.0**exponent
        if _is_integral(sample * scale) and _is_integral(weight * scale):
            return scale
    return 10.0**largest


def _is_integral(values: np.ndarray) -> bool:
    # Relative: with an absolute 1e-6, a score of 1e-6 passed as "integral" at K = 1 and
    # became a zero cost, so the flow never chose its pair (found by the property tests).
    return bool(np.all(np.abs(values - np.rint(values)) <= 1e-9 * np.maximum(1.0, np.abs(values))))


def max_weight_assignment(
    num_needs: int,
    num_mentors: int,
    pair_need: np.ndarray,
    pair_mentor: np.ndarray,
    weight: np.ndarray,
    transfers: np.ndarray,
) -> np.ndarray:
    """Boolean mask of the chosen pairs maximising the (integer-rounded) weight.

    Each need has supply 1 and may go unassigned through a zero-cost arc to
    the sink; each mentor reaches the sink with capacity `transfers`.
    Pairs with non-positive rounded weight are never chosen.
    """
    num_pairs = int(pair_need.size)
    if num_pairs == 0:
        return np.zeros(0, dtype=bool)
    num_nodes = num_needs + num_mentors + 1
    scale = integer_scale(weight, num_nodes)
    costs = -np.rint(weight * scale).astype(np.int64)
    sink = num_needs + num_mentors
    active_needs = np.flatnonzero(np.bincount(pair_need, minlength=num_needs))
    active_mentors = np.flatnonzero(np.bincount(pair_mentor, minlength=num_mentors))
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([pair_need, active_needs, num_needs + active_mentors]),
        np.concatenate(
            [
                num_needs + pair_mentor,
                np.full(active_needs.size, sink),
                np.full(active_mentors.size, sink),
            ]
        ),
        np.concatenate(
            [
                np.ones(num_pairs, dtype=np.int64),
                np.ones(active_needs.size, dtype=np.int64),
                transfers[active_mentors].astype(np.int64),
            ]
        ),
        np.concatenate([costs, np.zeros(active_needs.size + active_mentors.size, np.int64)]),
    )
    supplies = np.zeros(num_nodes, dtype=np.int64)
    supplies[active_needs] = 1
    supplies[sink] = -active_needs.size
    solver.set_nodes_supplies(np.arange(num_nodes), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    chosen = np.asarray(solver.flows(arcs[:num_pairs])) > 0
    return chosen & (costs < 0)


def mentor_prices(
    num_needs: int,
    num_mentors: int,
    pair_need: np.ndarray,
    pair_mentor: np.ndarray,
    weight: np.ndarray,
    transfers: np.ndarray,
    chosen: np.ndarray,
    max_rounds: int = 500,
) -> np.ndarray:
    """Smallest optimal mentor duals for an optimal `chosen` (longest paths).

    A mentor with spare transfers has price 0. A full mentor must be priced
    so that no unchosen pair (i, j) is worth more than what need i already
    gets: p_j >= w_ij - u_i, with u_i = w_i,a(i) - p_a(i) (0 if unassigned).
    Iterating this from p = 0 is Bellman-Ford on the residual graph; it
    converges in as many rounds as the longest alternating path. If it does
    not converge the prices are still valid input for `dual_bound`, just
    weaker.
    """
    prices = np.zeros(num_mentors)
    if pair_need.size == 0:
        return prices
    assigned_mentor = np.full(num_needs, -1, dtype=np.int64)
    assigned_weight = np.zeros(num_needs)
    assigned_mentor[pair_need[chosen]] = pair_mentor[chosen]
    assigned_weight[pair_need[chosen]] = weight[chosen]
    load = np.bincount(pair_mentor[chosen], minlength=num_mentors)
    full = load >= transfers
    relevant = ~chosen & full[pair_mentor] & (weight > 0)
    if not relevant.any():
        return prices
    mentors = pair_mentor[relevant]
    needs = pair_need[relevant]
    weights = weight[relevant]
    other_mentor = assigned_mentor[needs]
    has_other = other_mentor >= 0
    other_mentor_safe = np.where(has_other, other_mentor, 0)
    other_weight = assigned_weight[needs]
    # Prices only rise from round to round (a higher price lowers what its needs get,
    # which raises what they would pay elsewhere), so a round only has to look at the
    # pairs whose need's own mentor changed price in the previous one: the same
    # sequence of prices as recomputing every pair, for a fraction of the work.
    active = np.arange(mentors.size)
    for _ in range(max_rounds):
        if active.size == 0:
            break
        need_value = np.where(
            has_other[active], other_weight[active] - prices[other_mentor_safe[active]], 0.0
        )
        # Unbuffered maximum.at is fast in NumPy 2 and needs no sorting.
        updated = prices.copy()
        np.maximum.at(updated, mentors[active], weights[active] - need_value)
        changed = updated != prices
        prices = updated
        active = np.flatnonzero(has_other & changed[other_mentor_safe])
    return prices


def dual_bound(
    num_needs: int,
    pair_need: np.ndarray,
    pair_mentor: np.ndarray,
    score: np.ndarray,
    transfers: np.ndarray,
    prices: np.ndarray,
    need_days: np.ndarray | None = None,
    capacity_days: np.ndarray | None = None,
    day_prices: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """Rigorous upper bound for any prices >= 0, and the need duals it implies."""
    reduced = score - prices[pair_mentor]
    total = math.fsum((transfers * prices).tolist())
    if day_prices is not None:
        assert need_days is not None and capacity_days is not None
        reduced = reduced - day_prices[pair_mentor] * need_days[pair_need]
        total += math.fsum((capacity_days * day_prices).tolist())
    need_value = group_max(pair_need, reduced, num_needs)
    return total + math.fsum(need_value.tolist()), need_value


def group_max(keys: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """max(0, max of values per key)."""
    out = np.zeros(size)
    np.maximum.at(out, keys, values)
    return out
