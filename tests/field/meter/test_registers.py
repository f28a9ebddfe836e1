"""The energy register: exact cumulative energy, its inversion, the kWh display."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.field.meter.registers import EnergyCurve, floor_count, kwh_display


def test_200_w_for_180_s_is_exactly_10_wh() -> None:
    assert EnergyCurve.constant(200.0, 180.0).register_wh == 10.0
    curve = EnergyCurve(np.array([0.0, 60.0, 120.0, 180.0]), np.full(3, 200.0))
    assert curve.register_wh == 10.0
    assert curve.cum_ws.tolist() == [0.0, 12_000.0, 24_000.0, 36_000.0]


def test_energy_at_instants_is_piecewise_linear() -> None:
    curve = EnergyCurve(np.array([0.0, 100.0, 200.0, 300.0]), np.array([360.0, 0.0, 720.0]))
    e = curve.energy_ws_at([0.0, 50.0, 100.0, 150.0, 200.0, 250.0, 300.0, 400.0])
    assert e.tolist() == [0.0, 18_000.0, 36_000.0, 36_000.0, 36_000.0, 72_000.0, 108_000.0,
                          108_000.0]


def test_time_at_energy_never_lands_in_a_zero_power_step() -> None:
    curve = EnergyCurve(np.array([0.0, 100.0, 200.0, 300.0]), np.array([360.0, 0.0, 720.0]))
    t = curve.time_at_energy_ws([18_000.0, 36_000.0, 54_000.0, 108_000.0, 200_000.0])
    # 36,000 W·s is reached at the end of the first step, not inside the idle one
    assert t.tolist() == [50.0, 100.0, 225.0, 300.0, 300.0]


def test_instant_power_is_the_last_step() -> None:
    curve = EnergyCurve(np.array([0.0, 10.0, 20.0]), np.array([100.0, 250.0]))
    assert curve.last_power_w == 250.0
    assert curve.duration_s == 20.0


def test_curve_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        EnergyCurve(np.array([0.0, 1.0]), np.array([-1.0]))
    with pytest.raises(ValueError, match="increasing"):
        EnergyCurve(np.array([0.0, 0.0]), np.array([1.0]))
    with pytest.raises(ValueError, match="one more"):
        EnergyCurve(np.array([0.0, 1.0]), np.array([1.0, 2.0]))


def test_floor_count_is_exact_on_the_float() -> None:
    # 0.1 + 0.2 = 0.30000000000000004 > 0.3: one count of 0.3, and 10 × 0.1 summed < 1.0
    assert floor_count(0.1 + 0.2, 0.3) == 1
    total = sum([0.1] * 10)
    assert total < 1.0
    assert floor_count(total * 10.0, 10.0) == int(total * 10.0 // 10.0)
    values = np.array([9.999999999999998, 10.0, 19.999999999999996, 30.000000000000004])
    counts = floor_count(values, 10.0)
    assert counts.tolist() == [0, 1, 1, 3]
    assert np.all(counts * 10.0 <= values)
    assert np.all(values < (counts + 1) * 10.0)


@pytest.mark.parametrize(
    ("energy_wh", "shown"),
    [(0.0, "0.000"), (10.0, "0.010"), (2400.0, "2.400"), (2399.9999, "2.399"),
     (123_456.7891, "123.456")],
)
def test_kwh_display_truncates(energy_wh: float, shown: str) -> None:
    assert kwh_display(energy_wh) == shown


@pytest.mark.parametrize("steps", [1800, 1000, 7, 333])
def test_pul9_with_non_binary_step_lengths(steps: int) -> None:
    # 200 W for 180 s cut into steps whose lengths are not exact binary fractions
    t = np.linspace(0.0, 180.0, steps + 1) if steps != 1800 else np.arange(1801) * 0.1
    curve = EnergyCurve(t, np.full(steps, 200.0))
    assert curve.register_wh == 10.0
    assert floor_count(curve.register_wh, 10.0) == 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=-1e17, max_value=1e17, allow_nan=False), min_size=1,
                max_size=20),
       st.sampled_from([5.0, 10.0, 50.0, 100.0, 500.0, 1000.0, 0.3, 2.5]))
def test_floor_count_matches_python_floor_division(values: list[float], quantum: float) -> None:
    counts = floor_count(np.array(values), quantum)
    assert counts.tolist() == [int(v // quantum) for v in values]
    assert all(floor_count(v, quantum) == int(v // quantum) for v in values)
