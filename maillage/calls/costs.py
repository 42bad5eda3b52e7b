"""What a transfer costs the fund: pure arithmetic, so it is testable without a database."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class CostRules:
    daily_rate: Decimal
    travel_rate_per_km: Decimal
    accommodation_per_night: Decimal
    travel_cap_per_transfer: Decimal
    # Beyond this one-way distance the person sleeps there instead of commuting every day.
    overnight_distance_km: int = 60


@dataclass(frozen=True)
class CostEstimate:
    fee: Decimal
    travel: Decimal

    @property
    def total(self) -> Decimal:
        return self.fee + self.travel


def estimate_transfer_cost(
    rules: CostRules, *, days: int, distance_km: float, travels: bool
) -> CostEstimate:
    """Fee = days x daily rate; travel = one round trip + nights between consecutive days, capped.

    ``travels`` is False for remote transfers: no travel cost at all.
    """
    if days < 0 or distance_km < 0:
        raise ValueError("days and distance must not be negative")
    fee = (rules.daily_rate * days).quantize(CENT, ROUND_HALF_UP)
    if not travels or days == 0:
        return CostEstimate(fee=fee, travel=Decimal("0.00"))
    round_trip = rules.travel_rate_per_km * Decimal(str(round(2 * distance_km, 1)))
    nights = (
        rules.accommodation_per_night * max(days - 1, 0)
        if distance_km > rules.overnight_distance_km
        else Decimal(0)
    )
    travel = min(round_trip + nights, rules.travel_cap_per_transfer).quantize(CENT, ROUND_HALF_UP)
    return CostEstimate(fee=fee, travel=travel)
