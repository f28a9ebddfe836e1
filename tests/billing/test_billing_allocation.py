"""Common-area shares: whole cents that add up to the common cost exactly (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from openamr.billing.allocation import split_cents


@given(cents=st.integers(0, 10**9),
       raw=st.lists(st.integers(1, 10**6), min_size=1, max_size=40))
def test_shares_are_cents_that_add_up_to_the_cost(cents: int, raw: list[int]) -> None:
    cost = Decimal(cents).scaleb(-2)
    total = sum(raw)
    weights = [Decimal(w) / Decimal(total) for w in raw]
    shares = split_cents(cost, weights)
    assert sum(shares, Decimal(0)) == cost
    for share, weight in zip(shares, weights, strict=True):
        assert share == share.quantize(Decimal("0.01"))
        assert abs(share - cost * weight) < Decimal("0.01")  # within a cent of the exact share


def test_equal_weights_differ_by_at_most_a_cent() -> None:
    shares = split_cents(Decimal("100.00"), [Decimal(1) / 3] * 3)
    assert sorted(shares) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
