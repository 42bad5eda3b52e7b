"""What a decision would commit: fee + estimated travel (pure, no Django).

Travel uses the great-circle distance between the applicant organisation's commune and the
proposed resource person's commune. Without a known resource person (none proposed, or one
outside the directory) the distance is the median of the known distances of the same
session, else DEFAULT_DISTANCE_KM; remote-only transfers cost no travel.
"""

import math
import statistics
from collections.abc import Sequence
from decimal import Decimal

from maillage.calls.costs import CostEstimate, CostRules, estimate_transfer_cost

EARTH_RADIUS_KM = 6371.0
# A typical trip between two towns of the region when nothing better is known.
DEFAULT_DISTANCE_KM = 50.0


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def default_distance(known: Sequence[float]) -> float:
    return statistics.median(known) if known else DEFAULT_DISTANCE_KM


def estimate(
    rules: CostRules, *, days: int, distance: float | None, remote_only: bool, fallback: float
) -> CostEstimate:
    return estimate_transfer_cost(
        rules,
        days=max(days, 0),
        distance_km=fallback if distance is None else distance,
        travels=not remote_only,
    )


def remaining(envelope: Decimal, committed: Decimal) -> Decimal:
    return envelope - committed
