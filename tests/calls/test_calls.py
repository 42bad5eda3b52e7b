import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from maillage.calls.costs import CostRules, estimate_transfer_cost
from maillage.calls.models import Call
from tests.factories import CallFactory

RULES = CostRules(
    daily_rate=Decimal("250"),
    travel_rate_per_km=Decimal("0.32"),
    accommodation_per_night=Decimal("90"),
    travel_cap_per_transfer=Decimal("600"),
    overnight_distance_km=60,
)


def test_cost_of_a_typical_transfer():
    estimate = estimate_transfer_cost(RULES, days=3, distance_km=120.0, travels=True)
    assert estimate.fee == Decimal("750.00")
    # 240 km x 0.32 + 2 nights x 90
    assert estimate.travel == Decimal("256.80")
    assert estimate.total == Decimal("1006.80")


def test_remote_transfers_cost_no_travel():
    assert estimate_transfer_cost(RULES, days=2, distance_km=300, travels=False).travel == 0


@given(
    days=st.integers(0, 30),
    distance=st.floats(0, 1200, allow_nan=False),
    travels=st.booleans(),
)
def test_costs_are_bounded_and_monotonic(days, distance, travels):
    estimate = estimate_transfer_cost(RULES, days=days, distance_km=distance, travels=travels)
    assert estimate.fee == RULES.daily_rate * days
    assert Decimal(0) <= estimate.travel <= RULES.travel_cap_per_transfer
    longer = estimate_transfer_cost(RULES, days=days + 1, distance_km=distance, travels=travels)
    farther = estimate_transfer_cost(RULES, days=days, distance_km=distance + 10, travels=travels)
    assert longer.total >= estimate.total
    assert farther.total >= estimate.total


def test_negative_inputs_are_refused():
    with pytest.raises(ValueError):
        estimate_transfer_cost(RULES, days=-1, distance_km=3, travels=True)


@pytest.mark.django_db
def test_call_opening_rules():
    today = datetime.date(2026, 11, 25)
    call = CallFactory(opens_on=today - datetime.timedelta(days=5), closes_on=today)
    assert call.is_open(today)
    assert not call.is_open(today + datetime.timedelta(days=1))
    rolling = CallFactory(opens_on=today, closes_on=None)
    assert rolling.is_rolling and rolling.is_open(today + datetime.timedelta(days=900))
    rolling.published = False
    rolling.save()
    assert not rolling.is_open(today)
    assert set(Call.objects.open_on(today)) == {call}


@pytest.mark.django_db
def test_call_cannot_close_before_it_opens_or_have_negative_budget():
    call = CallFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Call.objects.filter(pk=call.pk).update(closes_on=call.opens_on - datetime.timedelta(days=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Call.objects.filter(pk=call.pk).update(budget_envelope=Decimal("-1"))


@pytest.mark.django_db
def test_public_call_pages(client):
    open_call = CallFactory(title="Appel ouvert")
    closed = CallFactory(
        title="Appel clos",
        opens_on=datetime.date(2024, 1, 1),
        closes_on=datetime.date(2024, 3, 1),
    )
    draft = CallFactory(title="Brouillon d'appel", published=False)
    listing = client.get(reverse("calls:list")).content.decode()
    assert "Appel ouvert" in listing and "Appel clos" in listing
    assert "Brouillon" not in listing
    detail = client.get(reverse("calls:detail", args=[closed.slug])).content.decode()
    assert "il n'accepte plus de nouvelles candidatures" in detail
    assert client.get(reverse("calls:detail", args=[open_call.slug])).status_code == 200
    assert client.get(reverse("calls:detail", args=[draft.slug])).status_code == 404
