"""Aggregating reviewers' scores (pure, no Django).

A review gives each criterion a value between 0 and the criterion's ``scale_max``. Its total
is the weighted mean of the values normalised to 0-1, expressed **out of 20** (the French
marking scale every committee member reads at a glance):

    total = 20 x sum(weight_i x value_i / scale_max_i) / sum(weight_i)

The spread between reviewers is the population standard deviation and the min-max range of
their totals; reviewers "disagree" when the range reaches DISAGREEMENT_POINTS (a quarter of
the scale).
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SCALE = 20.0
DISAGREEMENT_POINTS = 5.0


@dataclass(frozen=True)
class CriterionSpec:
    id: int
    weight: float
    scale_max: int


@dataclass(frozen=True)
class Spread:
    std_dev: float
    minimum: float
    maximum: float

    @property
    def range(self) -> float:
        return self.maximum - self.minimum


@dataclass(frozen=True)
class Aggregate:
    count: int
    mean_total: float | None
    spread: Spread | None
    # Mean value per criterion id, on the criterion's own scale.
    criterion_means: dict[int, float]

    @property
    def disagreement(self) -> bool:
        return self.spread is not None and self.spread.range >= DISAGREEMENT_POINTS


def mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("mean of no values")
    return math.fsum(values) / len(values)


def spread(values: Sequence[float]) -> Spread:
    """Population standard deviation (the reviewers are the whole panel, not a sample)."""
    average = mean(values)
    variance = math.fsum((v - average) ** 2 for v in values) / len(values)
    return Spread(std_dev=math.sqrt(variance), minimum=min(values), maximum=max(values))


def weighted_total(values: Mapping[int, float], criteria: Sequence[CriterionSpec]) -> float:
    """One review's total out of 20; every criterion must have a value."""
    weights = math.fsum(c.weight for c in criteria)
    if not criteria or weights <= 0:
        raise ValueError("a grid needs criteria with positive weights")
    score = math.fsum(c.weight * values[c.id] / c.scale_max for c in criteria)
    return min(SCALE, max(0.0, SCALE * score / weights))


def aggregate(
    reviews: Sequence[Mapping[int, float]], criteria: Sequence[CriterionSpec]
) -> Aggregate:
    """Completed reviews only (each a {criterion id: value} mapping)."""
    if not reviews:
        return Aggregate(count=0, mean_total=None, spread=None, criterion_means={})
    totals = [weighted_total(review, criteria) for review in reviews]
    return Aggregate(
        count=len(reviews),
        mean_total=mean(totals),
        spread=spread(totals),
        criterion_means={c.id: mean([review[c.id] for review in reviews]) for c in criteria},
    )
