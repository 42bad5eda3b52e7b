"""Solve when day capacities bind: a generalized assignment problem (NP-hard).

1. Bound: LP relaxation (HiGHS dual simplex) on each need's best candidates;
   its duals are turned into a rigorous bound on the full candidate list by
   `flow.dual_bound` (exactly the LP bound when no left-out pair prices in).
2. Primal: keep the LP's integral assignments, fill the rest greedily by
   score, then improve by local search (insert, swap with ejection).
3. While time remains on small instances, HiGHS branch-and-bound warm
   started from that solution improves both the solution and the bound.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import highspy
import numpy as np

from .counts import best_per_need, is_proven, total_of
from .flow import dual_bound
from .model import Model

# LP column generation: initial columns (best candidates per need, at most
# LP_INITIAL_PER_NEED), columns added per round, rounds. Measured: the full LP
# at 100,000 needs takes ~60 s; at 2,000 needs x 20 candidates, starting from
# each need's 4 best and pricing the others in is ~25 % faster than all 40,000.
LP_INITIAL_COLUMNS = 400_000
LP_INITIAL_PER_NEED = 4
LP_MAX_ENTERING = 100_000
LP_MAX_ROUNDS = 20
# Column generation stops when the bound is this close (relative) to the LP optimum.
LP_BOUND_TOLERANCE = 5e-4
# Share of the time limit the LP may use before the primal steps start.
LP_TIME_SHARE = 0.9
# Residual MIP: each free need's pairs in the LP's support plus its best ones by
# reduced cost. Measured on a 2,000-need call: 5 per need keep a third of the
# columns, make HiGHS 3-4 times faster and lose ~0.2 % of the total, against
# all of them; the local search and the full MIP (small instances) follow.
RESIDUAL_PER_NEED = 5
# Branch-and-bound only on instances it handles well (measured: ~2,000 needs
# solve to optimality in seconds, 10,000 needs stall before the root LP).
MIP_MAX_COLUMNS = 60_000
MIP_MAX_NODES = 5_000
# The full MIP starts only if the time left is worth this many LP solves, and this long.
FULL_MIP_LP_SOLVES = 8
FULL_MIP_MIN_S = 1.0
RESIDUAL_MAX_COLUMNS = 150_000


def _day_rows(model: Model, binding: np.ndarray) -> np.ndarray:
    day_row = np.full(model.num_mentors, -1, dtype=np.int64)
    day_row[binding] = model.num_needs + model.num_mentors + np.arange(int(binding.sum()))
    return day_row


def _column_entries(
    model: Model, columns: np.ndarray, day_row: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise matrix: need row, transfer row, and day row if the mentor binds."""
    need = model.pair_need[columns]
    mentor = model.pair_mentor[columns]
    has_day = day_row[mentor] >= 0
    start = np.r_[0, np.cumsum(2 + has_day.astype(np.int64))]
    index = np.empty(int(start[-1]), dtype=np.int32)
    value = np.ones(int(start[-1]))
    index[start[:-1]] = need
    index[start[:-1] + 1] = model.num_needs + mentor
    day_slot = start[:-1][has_day] + 2
    index[day_slot] = day_row[mentor[has_day]]
    value[day_slot] = model.need_days[need[has_day]]
    return start.astype(np.int32), index, value


def _lp_model(model: Model, columns: np.ndarray, binding: np.ndarray, integer: bool):
    """Rows: one per need (<= 1), transfers per mentor, days per binding mentor."""
    num_cols = int(columns.size)
    num_rows = model.num_needs + model.num_mentors + int(binding.sum())
    start, index, value = _column_entries(model, columns, _day_rows(model, binding))
    lp = highspy.HighsLp()
    lp.num_col_ = num_cols
    lp.num_row_ = num_rows
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = model.pair_score[columns]
    lp.col_lower_ = np.zeros(num_cols)
    lp.col_upper_ = np.ones(num_cols)
    lp.row_lower_ = np.full(num_rows, -highspy.kHighsInf)
    lp.row_upper_ = np.concatenate(
        [
            np.ones(model.num_needs),
            model.mentor_transfers.astype(np.float64),
            model.mentor_days[binding].astype(np.float64),
        ]
    )
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * num_cols
    return lp


def _highs(time_limit_s: float) -> highspy.Highs:
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("time_limit", max(0.01, time_limit_s))
    solver.setOptionValue("random_seed", 0)
    solver.setOptionValue("threads", 1)
    return solver


@dataclass(slots=True)
class LpOutcome:
    """What the LP relaxation gives: a rigorous bound and, when an LP finished, its values
    and the reduced costs of all pairs under its duals (<= 0 when no column prices in)."""

    bound: float
    values: np.ndarray | None = None
    reduced: np.ndarray | None = None


def lp_relaxation(model: Model, binding: np.ndarray, deadline: float) -> LpOutcome:
    """Rigorous bound and LP values on all pairs (None if no LP finished).

    Column generation: solve the LP on each need's best candidates, then add
    the pairs whose reduced cost is positive under the current duals and
    re-solve from the previous basis, until none is left (the bound is then
    the LP bound) or time runs out. Whatever the duals, `dual_bound` makes
    the bound valid over all pairs; with no LP at all it falls back to zero
    prices (sum of each need's best score), still valid.
    """
    num_needs, num_mentors = model.num_needs, model.num_mentors
    per_need = max(1, min(LP_INITIAL_PER_NEED, LP_INITIAL_COLUMNS // max(1, num_needs)))
    in_lp = best_per_need(model, per_need)
    columns = np.flatnonzero(in_lp)
    day_row = _day_rows(model, binding)
    solver = _highs(deadline - time.perf_counter())
    solver.setOptionValue("presolve", "off")  # measured: reduces nothing here
    solver.setOptionValue("solver", "simplex")
    solver.passModel(_lp_model(model, columns, binding, integer=False))
    outcome = LpOutcome(math.inf)
    for _ in range(LP_MAX_ROUNDS):
        # HiGHS compares its limit with its cumulated run time, over all the rounds.
        remaining = max(0.01, deadline - time.perf_counter())
        solver.setOptionValue("time_limit", solver.getRunTime() + remaining)
        solver.run()
        if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        solution = solver.getSolution()
        row_dual = np.abs(np.asarray(solution.row_dual))
        prices = row_dual[num_needs : num_needs + num_mentors]
        day_prices = np.zeros(num_mentors)
        day_prices[binding] = row_dual[num_needs + num_mentors :]
        bound, _ = dual_bound(
            num_needs,
            model.pair_need,
            model.pair_mentor,
            model.pair_score,
            model.mentor_transfers,
            prices,
            model.need_days,
            model.mentor_days,
            day_prices,
        )
        outcome.bound = min(outcome.bound, bound)
        outcome.values = np.zeros(model.num_pairs)
        outcome.values[columns] = np.asarray(solution.col_value)
        outcome.reduced = (
            model.pair_score
            - prices[model.pair_mentor]
            - day_prices[model.pair_mentor] * model.need_days[model.pair_need]
            - row_dual[model.pair_need]
        )
        entering = np.flatnonzero(~in_lp & (outcome.reduced > 1e-9))
        # The bound holds whatever the columns; once within LP_BOUND_TOLERANCE of the
        # restricted LP's optimum (a lower bound on the full LP's), more rounds would
        # tighten it by less than that (measured: saves the last of four rounds).
        close = outcome.bound - solver.getInfo().objective_function_value
        if (
            entering.size == 0
            or close <= LP_BOUND_TOLERANCE * max(1.0, abs(outcome.bound))
            or time.perf_counter() >= deadline
        ):
            break
        if entering.size > LP_MAX_ENTERING:
            entering = np.sort(entering[np.argsort(-outcome.reduced[entering])[:LP_MAX_ENTERING]])
        start, index, value = _column_entries(model, entering, day_row)
        solver.addCols(
            int(entering.size),
            model.pair_score[entering],
            np.zeros(entering.size),
            np.ones(entering.size),
            int(index.size),
            start[:-1],
            index,
            value,
        )
        in_lp[entering] = True
        columns = np.concatenate([columns, entering])
    # Zero prices (each need's best score) bound it too: better than the duals of a
    # restricted LP that time cut short.
    trivial, _ = dual_bound(
        num_needs,
        model.pair_need,
        model.pair_mentor,
        model.pair_score,
        model.mentor_transfers,
        np.zeros(num_mentors),
    )
    outcome.bound = min(outcome.bound, trivial)
    return outcome


class _State:
    """Incumbent with residual capacities; plain lists for fast Python loops."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.assigned_pair = [-1] * model.num_needs
        self.transfers_left = model.mentor_transfers.tolist()
        self.days_left = model.mentor_days.tolist()
        self.need_days = model.need_days.tolist()
        self.pair_need = model.pair_need.tolist()
        self.pair_mentor = model.pair_mentor.tolist()
        self.pair_score = model.pair_score.tolist()
        self.mentor_pairs: list[list[int]] = [[] for _ in range(model.num_mentors)]

    def fits(self, pair: int) -> bool:
        mentor = self.pair_mentor[pair]
        return (
            self.transfers_left[mentor] >= 1
            and self.days_left[mentor] >= self.need_days[self.pair_need[pair]]
        )

    def add(self, pair: int) -> None:
        need, mentor = self.pair_need[pair], self.pair_mentor[pair]
        self.assigned_pair[need] = pair
        self.transfers_left[mentor] -= 1
        self.days_left[mentor] -= self.need_days[need]
        self.mentor_pairs[mentor].append(pair)

    def remove(self, pair: int) -> None:
        need, mentor = self.pair_need[pair], self.pair_mentor[pair]
        self.assigned_pair[need] = -1
        self.transfers_left[mentor] += 1
        self.days_left[mentor] += self.need_days[need]
        self.mentor_pairs[mentor].remove(pair)

    def chosen(self) -> np.ndarray:
        mask = np.zeros(self.model.num_pairs, dtype=bool)
        pairs = [p for p in self.assigned_pair if p >= 0]
        mask[pairs] = True
        return mask


def _pairs_by_need(model: Model, order_key: np.ndarray) -> list[list[int]]:
    """For each need, its pairs by decreasing key (ties by mentor id)."""
    order = np.lexsort((model.pair_mentor, -order_key, model.pair_need))
    starts = np.searchsorted(model.pair_need[order], np.arange(model.num_needs + 1))
    ordered = order.tolist()
    return [ordered[starts[i] : starts[i + 1]] for i in range(model.num_needs)]


def _greedy_fill(state: _State, candidates: list[list[int]], score_order: list[int]) -> None:
    for pair in score_order:
        need = state.pair_need[pair]
        if state.assigned_pair[need] < 0 and state.fits(pair):
            state.add(pair)


def _local_search(state: _State, candidates: list[list[int]], deadline: float) -> None:
    """First-improvement moves on unassigned needs: insert, or swap with ejection.

    Swap: put unassigned need i at mentor j in place of need k (if i then
    fits), and let k move to its best mentor with room; accept if the total
    strictly improves. Repeats until a pass makes no change.
    """
    score = state.pair_score
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for need in range(state.model.num_needs):
            if state.assigned_pair[need] >= 0:
                continue
            if time.perf_counter() >= deadline:
                return
            for pair in candidates[need]:
                if state.fits(pair):
                    state.add(pair)
                    improved = True
                    break
                if _try_swap(state, candidates, pair, score):
                    improved = True
                    break


def _try_swap(state: _State, candidates: list[list[int]], pair: int, score: list[float]) -> bool:
    mentor = state.pair_mentor[pair]
    need_days = state.need_days[state.pair_need[pair]]
    for victim in sorted(state.mentor_pairs[mentor], key=lambda p: (score[p], p)):
        gain = score[pair] - score[victim]
        if gain <= 0:
            return False
        victim_need = state.pair_need[victim]
        if state.days_left[mentor] + state.need_days[victim_need] < need_days:
            continue
        state.remove(victim)
        state.add(pair)
        for alternative in candidates[victim_need]:
            if alternative != victim and state.fits(alternative):
                state.add(alternative)
                break
        return True
    return False


def _solve_residual(state: _State, lp: LpOutcome, score_order: list[int], deadline: float) -> None:
    """Branch-and-bound on what the LP left fractional, the rest staying fixed.

    The LP-integral assignments are kept; the needs still free compete for
    the capacity they leave, on their pairs that the LP uses or prices best.
    This residual problem is much smaller than the whole, so HiGHS handles it
    where it stalls on the full model.
    """
    model = state.model
    free_need = np.asarray(state.assigned_pair) < 0
    transfers_left = np.asarray(state.transfers_left, dtype=np.int64)
    days_left = np.asarray(state.days_left, dtype=np.int64)
    keep = (
        free_need[model.pair_need]
        & (transfers_left[model.pair_mentor] > 0)
        & (model.need_days[model.pair_need] <= days_left[model.pair_mentor])
    )
    if lp.values is not None and lp.reduced is not None:
        promising = best_per_need(model, RESIDUAL_PER_NEED, np.where(keep, lp.reduced, -np.inf))
        keep &= promising | (lp.values > 1e-6)
    if not keep.any() or int(keep.sum()) > RESIDUAL_MAX_COLUMNS:
        return
    residual = Model(
        model.need_ids,
        model.mentor_ids,
        model.need_days,
        transfers_left,
        days_left,
        model.pair_need[keep],
        model.pair_mentor[keep],
        model.pair_score[keep],
    )
    # Greedy start so the MIP always has an incumbent to improve.
    start_state = _State(residual)
    rows = np.flatnonzero(keep)
    position = np.full(model.num_pairs, -1, dtype=np.int64)
    position[rows] = np.arange(rows.size)
    _greedy_fill(start_state, [], [int(position[p]) for p in score_order if keep[p]])
    incumbent = start_state.chosen()
    binding = residual.days_can_bind()
    if binding.any() and deadline - time.perf_counter() > 0.05:
        found, _ = _mip(residual, binding, incumbent, deadline - time.perf_counter())
        if (
            found is not None
            and is_feasible(residual, found)
            and total_of(residual, found) > total_of(residual, incumbent)
        ):
            incumbent = found
    for pair in rows[incumbent].tolist():
        if state.fits(pair):
            state.add(pair)


def _mip(
    model: Model,
    binding: np.ndarray,
    incumbent: np.ndarray,
    time_limit_s: float,
) -> tuple[np.ndarray | None, float]:
    """HiGHS branch-and-bound warm started from `incumbent`: (solution, bound)."""
    columns = np.arange(model.num_pairs)
    solver = _highs(time_limit_s)
    solver.setOptionValue("mip_max_nodes", MIP_MAX_NODES)
    solver.setOptionValue("mip_rel_gap", 1e-9)
    solver.passModel(_lp_model(model, columns, binding, integer=True))
    start = highspy.HighsSolution()
    start.col_value = incumbent.astype(np.float64)
    start.value_valid = True
    solver.setSolution(start)
    solver.run()
    info = solver.getInfo()
    bound = float(info.mip_dual_bound)
    if not math.isfinite(bound):
        bound = math.inf
    solution = solver.getSolution()
    if not solution.value_valid:
        return None, bound
    values = np.asarray(solution.col_value)
    return values > 0.5, bound


def is_feasible(model: Model, chosen: np.ndarray) -> bool:
    need = model.pair_need[chosen]
    mentor = model.pair_mentor[chosen]
    if np.bincount(need, minlength=model.num_needs).max(initial=0) > 1:
        return False
    load = np.bincount(mentor, minlength=model.num_mentors)
    days = np.bincount(mentor, weights=model.need_days[need], minlength=model.num_mentors)
    return bool(np.all(load <= model.mentor_transfers) and np.all(days <= model.mentor_days))


def solve_days(model: Model, binding: np.ndarray, deadline: float) -> tuple[np.ndarray, float, str]:
    """Best assignment found before `deadline` and a proven upper bound."""
    started = time.perf_counter()
    span = deadline - started
    lp = lp_relaxation(model, binding, started + LP_TIME_SHARE * span)
    lp_seconds = time.perf_counter() - started
    bound = lp.bound
    method = "LP bound + rounding + local search"

    state = _State(model)
    candidates = _pairs_by_need(model, model.pair_score)
    score_order = np.lexsort((model.pair_mentor, model.pair_need, -model.pair_score)).tolist()
    if lp.values is not None and lp.reduced is not None:
        # LP-integral assignments are jointly feasible (a subset of an LP
        # solution's support at value 1); they seed the incumbent.
        for pair in np.flatnonzero(lp.values > 1 - 1e-6).tolist():
            if state.assigned_pair[state.pair_need[pair]] < 0 and state.fits(pair):
                state.add(pair)
        # Then free needs take their pairs by LP value, then by reduced cost under the
        # LP's duals (what a pair is worth once capacities are priced), then by score.
        # Measured on a 2,000-need call: 7 % more total than filling by score alone.
        lp_order = np.lexsort(
            (
                model.pair_mentor,
                model.pair_need,
                -np.round(lp.reduced, 6),
                -np.round(lp.values, 6),
            )
        ).tolist()
        # Time kept for the local search: a few hundredths of a second at 2,000 needs.
        reserve = min(0.15 * span, 0.05 + 0.02 * model.num_needs / 1000)
        _solve_residual(state, lp, lp_order, deadline - reserve)
        _greedy_fill(state, candidates, lp_order)
        method = "LP bound + rounding + residual MIP + local search"
    _greedy_fill(state, candidates, score_order)
    _local_search(state, candidates, deadline)
    chosen = state.chosen()
    total = total_of(model, chosen)

    # HiGHS only looks at its clock between steps: its presolve, root LP and cuts on the
    # whole model take several LP solves (measured at 2,000 needs: a 1 s limit became
    # 2.9 s). Start it only with time for them.
    if (
        not is_proven(total, bound)
        and model.num_pairs <= MIP_MAX_COLUMNS
        and deadline - time.perf_counter() > max(FULL_MIP_MIN_S, FULL_MIP_LP_SOLVES * lp_seconds)
    ):
        mip_chosen, mip_bound = _mip(model, binding, chosen, deadline - time.perf_counter())
        if mip_chosen is not None and is_feasible(model, mip_chosen):
            mip_total = total_of(model, mip_chosen)
            if mip_total > total:
                chosen, total = mip_chosen, mip_total
        bound = min(bound, mip_bound)
        method = "LP bound + local search + HiGHS branch-and-bound"
    return chosen, max(bound, total), method
