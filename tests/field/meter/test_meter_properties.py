"""Invariants for any piecewise-constant profile (reference §7.2 energy conservation)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.field.meter.catalogue import get_model
from openamr.field.meter.demand import DemandSettings, demand_series
from openamr.field.meter.meter import Meter
from openamr.field.meter.outputs import pulse_counts_per_interval
from openamr.field.meter.profile import LoadProfile
from openamr.field.meter.registers import EnergyCurve
from openamr.field.meter.wiring import Wiring

MODEL = get_model("6PSMT-C02")

power = st.one_of(
    st.just(0.0),
    st.integers(-3000, 30_000).map(float),
    st.floats(min_value=-5000.0, max_value=50_000.0, allow_nan=False, allow_infinity=False),
)
lengths = st.one_of(st.integers(1, 4000).map(float),
                    st.floats(min_value=0.001, max_value=5000.0, allow_nan=False))


@st.composite
def profiles(draw: st.DrawFn) -> tuple[LoadProfile, float]:
    n = draw(st.integers(1, 12))
    steps = draw(st.lists(lengths, min_size=n, max_size=n))
    starts = np.concatenate(([0.0], np.cumsum(steps[:-1])))
    # strictly increasing even after float rounding
    starts = np.maximum.accumulate(starts)
    keep = np.concatenate(([True], np.diff(starts) > 0))
    starts = starts[keep]
    l1 = np.array(draw(st.lists(power, min_size=n, max_size=n)))[keep]
    l2 = np.array(draw(st.lists(power, min_size=n, max_size=n)))[keep]
    pf = st.one_of(st.just(1.0), st.floats(0.5, 1.0), st.floats(-1.0, -0.5))
    pf1 = np.array(draw(st.lists(pf, min_size=n, max_size=n)))[keep]
    pf2 = np.array(draw(st.lists(pf, min_size=n, max_size=n)))[keep]
    extra = draw(st.one_of(st.just(0.0), lengths))
    duration = float(starts[-1] + steps[-1] + extra)
    return LoadProfile.from_steps(starts, l1, l2, pf1, pf2), duration


meters = st.builds(
    Meter,
    st.just(MODEL),
    service=st.sampled_from(["split", "network", "network-ac", "single"]),
    wiring=st.builds(Wiring, ct1=st.sampled_from(["normal", "reversed", "L2"]),
                     ct2=st.sampled_from(["normal", "reversed", "L1"]),
                     v2=st.sampled_from(["connected", "open"])),
    register_mode=st.sampled_from(["net", "element"]),
)


@settings(max_examples=300, deadline=None)
@given(profiles(), meters)
def test_pulses_bracket_the_register(case: tuple[LoadProfile, float], meter: Meter) -> None:
    profile, duration_s = case
    result = meter.run(profile, duration_s)
    data = result.to_json_dict()
    energy = data["register_wh"]
    pulses = data["pulses"]
    for kh in (10, 100, 1000):
        n = pulses[f"kh{kh}"]
        assert n * kh <= energy < (n + 1) * kh
    # mutual consistency of the three outputs
    assert pulses["kh100"] == (pulses["kh10"] * 10) // 100
    assert pulses["kh1000"] == (pulses["kh10"] * 10) // 1000
    assert pulses["kh1000"] == (pulses["kh100"] * 100) // 1000
    assert data["counter_counts"] == pulses["kh100"]
    # LED: one toggle per 5 Wh, in time order, never while the registered power is zero
    toggles = np.array(data["led_toggle_times_s"])
    assert toggles.shape[0] == data["led_toggles"] == int(energy // 5)
    assert np.all(np.diff(toggles) >= 0)
    curve = result.curve
    # the step whose open interval holds each toggle (a toggle on a boundary is at an instant
    # of change: the step it closes must have had power)
    right = np.searchsorted(curve.t_s, toggles, side="left")  # first boundary >= t
    closing = np.clip(right - 1, 0, curve.power_w.shape[0] - 1)
    on_boundary = curve.t_s[np.clip(right, 0, curve.t_s.shape[0] - 1)] == toggles
    opening = np.clip(right, 0, curve.power_w.shape[0] - 1)
    powered = (curve.power_w[closing] > 0) | (on_boundary & (curve.power_w[opening] > 0))
    assert np.all(powered)
    assert np.all((toggles >= 0) & (toggles <= duration_s))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 20_000).map(float), min_size=1, max_size=8),
       st.integers(1, 900).map(float))
def test_integer_loads_are_exact(powers: list[float], step_s: float) -> None:
    # integer W for integer s: every boundary energy is an exact integer of W·s
    t = np.arange(len(powers) + 1) * step_s
    curve = EnergyCurve(t, np.array(powers))
    expected_ws = sum(p * step_s for p in powers)
    assert curve.cum_ws[-1] == expected_ws
    assert curve.register_wh == expected_ws / 3600


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 6000).map(float), min_size=30, max_size=30),
                min_size=1, max_size=4))
def test_interval_counts_sum_to_total(rows: list[list[float]]) -> None:
    power = np.array(rows)
    counts = pulse_counts_per_interval(power, 60.0, 900.0, 10.0)
    total_wh = power.sum(axis=1) * 60.0 / 3600.0
    assert counts.shape == (power.shape[0], 2)
    assert np.all(counts >= 0)
    assert counts.sum(axis=1).tolist() == (total_wh // 10).astype(int).tolist()


@settings(max_examples=100, deadline=None)
@given(profiles())
def test_demand_never_exceeds_peak_power(case: tuple[LoadProfile, float]) -> None:
    profile, duration_s = case
    result = Meter(MODEL).run(profile, duration_s)
    peak = float(result.curve.power_w.max())
    for method in ("rolling", "block", "sliding", "thermal"):
        for fill in ("zero", "available"):
            _, demand = demand_series(result.curve, DemandSettings(method=method, fill=fill))
            assert np.all(demand >= -1e-9)
            assert np.all(demand <= peak * (1 + 1e-9) + 1e-9)
