"""The delivery-probability curve over link margin (mesh.md §4.6)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openamr.field.radio import RadioParams, delivery_probability, link_margin_db

P = RadioParams()
margins = st.floats(min_value=-200.0, max_value=200.0, allow_nan=False)


def test_half_of_the_reference_frames_arrive_at_s50() -> None:
    assert float(delivery_probability(1.0, P)[()]) == pytest.approx(0.5)
    assert float(delivery_probability(1.0, P, 50)[()]) == pytest.approx(0.5)
    assert float(delivery_probability(1.0, P, 100)[()]) == pytest.approx(0.25)
    assert float(delivery_probability(-np.inf, P)[()]) == 0.0
    assert float(delivery_probability(30.0, P)[()]) == pytest.approx(1.0)


def test_margin_is_rssi_minus_sensitivity() -> None:
    assert link_margin_db([-100.0, -110.0], P).tolist() == [10.0, 0.0]


@given(margins, margins, st.integers(min_value=1, max_value=255))
def test_delivery_is_monotone_in_margin(m1: float, m2: float, frame_bytes: int) -> None:
    lo, hi = min(m1, m2), max(m1, m2)
    p = delivery_probability(np.array([lo, hi]), P, frame_bytes)
    assert 0.0 <= p[0] <= p[1] <= 1.0


@given(margins, st.integers(min_value=1, max_value=255), st.integers(min_value=1, max_value=255))
def test_longer_frames_arrive_less_often(margin: float, l1: int, l2: int) -> None:
    short, long_ = min(l1, l2), max(l1, l2)
    assert (delivery_probability(margin, P, long_)[()]
            <= delivery_probability(margin, P, short)[()])


@given(st.floats(min_value=0.1, max_value=10.0))
def test_a_wider_curve_is_flatter_around_s50(width_db: float) -> None:
    params = dataclasses.replace(P, delivery_width_db=width_db)
    p = delivery_probability(np.array([0.0, 2.0]), params)
    assert p[0] < 0.5 < p[1]
