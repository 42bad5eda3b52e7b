"""Property tests of the pure modules: balanced assignment, score aggregation, budget."""

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.calls.costs import CostRules
from maillage.review import budget, stats
from maillage.review.assignment import Item, Reviewer, assign, eligible

reviewers_st = st.lists(
    st.builds(Reviewer, id=st.integers(1, 40), organisation_id=st.sampled_from([None, 1, 2, 3])),
    min_size=0,
    max_size=12,
    unique_by=lambda r: r.id,
)


@st.composite
def problems(draw):
    reviewers = draw(reviewers_st)
    ids = [r.id for r in reviewers] or [1]
    items = draw(
        st.lists(
            st.builds(
                Item,
                id=st.integers(1, 500),
                organisation_id=st.sampled_from([None, 1, 2, 3, 4]),
                excluded=st.frozensets(st.sampled_from(ids), max_size=3),
            ),
            max_size=30,
            unique_by=lambda i: i.id,
        )
    )
    return items, reviewers, draw(st.integers(1, 4))


@given(problems())
@settings(max_examples=200, deadline=None)
def test_never_a_conflict_or_a_colleague_and_quota_met(problem):
    items, reviewers, per_item = problem
    plan = assign(items, reviewers, per_item)
    by_id = {r.id: r for r in reviewers}
    for item in items:
        chosen = plan.get(item.id, [])
        assert len(chosen) == len(set(chosen))
        for reviewer_id in chosen:
            assert reviewer_id not in item.excluded
            reviewer = by_id[reviewer_id]
            assert item.organisation_id is None or reviewer.organisation_id != item.organisation_id
        possible = sum(1 for r in reviewers if eligible(item, r))
        assert len(chosen) == min(per_item, possible)


@given(
    st.integers(1, 15),
    st.integers(0, 60),
    st.integers(1, 5),
)
@settings(max_examples=200, deadline=None)
def test_loads_differ_by_at_most_one_without_constraints(n_reviewers, n_items, per_item):
    reviewers = [Reviewer(i) for i in range(1, n_reviewers + 1)]
    items = [Item(1000 + i) for i in range(n_items)]
    plan = assign(items, reviewers, per_item)
    loads = {r.id: 0 for r in reviewers}
    for chosen in plan.values():
        for reviewer_id in chosen:
            loads[reviewer_id] += 1
    assert max(loads.values()) - min(loads.values()) <= 1
    assert sum(loads.values()) == n_items * min(per_item, n_reviewers)


@given(problems())
@settings(max_examples=50, deadline=None)
def test_deterministic_whatever_the_input_order(problem):
    items, reviewers, per_item = problem
    assert assign(items, reviewers, per_item) == assign(
        list(reversed(items)), list(reversed(reviewers)), per_item
    )


def test_existing_assignments_count_towards_the_quota():
    reviewers = [Reviewer(1, load=1), Reviewer(2), Reviewer(3)]
    plan = assign([Item(10, assigned=frozenset({1}))], reviewers, 2)
    assert plan == {10: [2]}
    assert assign([Item(10, assigned=frozenset({1, 2}))], reviewers, 2) == {}
    with pytest.raises(ValueError):
        assign([], reviewers, 0)


criteria_st = st.lists(
    st.builds(
        stats.CriterionSpec,
        id=st.integers(1, 1000),
        weight=st.floats(0.1, 10),
        scale_max=st.integers(1, 20),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda c: c.id,
)


@st.composite
def reviews(draw):
    criteria = draw(criteria_st)
    count = draw(st.integers(0, 6))
    rows = [
        {c.id: float(draw(st.integers(0, c.scale_max))) for c in criteria} for _ in range(count)
    ]
    return criteria, rows


@given(reviews())
@settings(max_examples=200, deadline=None)
def test_aggregate_bounds(problem):
    criteria, rows = problem
    result = stats.aggregate(rows, criteria)
    assert result.count == len(rows)
    if not rows:
        assert result.mean_total is None and result.spread is None
        return
    assert result.spread is not None and result.mean_total is not None
    assert 0 <= result.spread.minimum <= result.mean_total + 1e-9
    assert result.mean_total <= result.spread.maximum + 1e-9 <= 20 + 1e-9
    # A population standard deviation never exceeds half the range.
    assert result.spread.std_dev <= result.spread.range / 2 + 1e-9
    for c in criteria:
        assert 0 <= result.criterion_means[c.id] <= c.scale_max


@given(criteria_st, st.floats(0.1, 50))
def test_total_extremes_and_weight_scaling(criteria, factor):
    best = {c.id: float(c.scale_max) for c in criteria}
    worst = {c.id: 0.0 for c in criteria}
    assert math.isclose(stats.weighted_total(best, criteria), 20)
    assert stats.weighted_total(worst, criteria) == 0
    middle = {c.id: c.scale_max / 2 for c in criteria}
    scaled = [stats.CriterionSpec(c.id, c.weight * factor, c.scale_max) for c in criteria]
    assert math.isclose(
        stats.weighted_total(middle, criteria), stats.weighted_total(middle, scaled)
    )


def test_weighted_total_example_and_disagreement():
    criteria = [stats.CriterionSpec(1, 2, 5), stats.CriterionSpec(2, 1, 10)]
    # 20 x (2 x 4/5 + 1 x 5/10) / 3 = 14
    assert math.isclose(stats.weighted_total({1: 4, 2: 5}, criteria), 14)
    agg = stats.aggregate([{1: 5, 2: 10}, {1: 1, 2: 2}], criteria)
    assert agg.disagreement and agg.spread is not None
    assert math.isclose(agg.spread.range, 20 - 20 * (2 * 0.2 + 0.2) / 3)
    assert not stats.aggregate([{1: 4, 2: 5}, {1: 4, 2: 6}], criteria).disagreement


def test_distance_and_costs():
    toulouse, montpellier = (43.6045, 1.4440), (43.6109, 3.8772)
    assert 190 < budget.distance_km(toulouse, montpellier) < 200
    assert budget.distance_km(toulouse, toulouse) == 0
    assert budget.default_distance([]) == budget.DEFAULT_DISTANCE_KM
    assert budget.default_distance([10, 30, 200]) == 30
    rules = CostRules(
        daily_rate=Decimal("250"),
        travel_rate_per_km=Decimal("0.32"),
        accommodation_per_night=Decimal("90"),
        travel_cap_per_transfer=Decimal("600"),
    )
    remote = budget.estimate(rules, days=3, distance=None, remote_only=True, fallback=50)
    assert remote.total == Decimal("750.00")
    near = budget.estimate(rules, days=2, distance=None, remote_only=False, fallback=50)
    assert near.travel == Decimal("32.00")
