"""Demand: the meter's 15-min rolling window, the fill rule, the 24-h maximum, other methods."""

from __future__ import annotations

import math

import numpy as np
import pytest

from openamr.errors import InputError
from openamr.field.meter.demand import (
    DemandSettings,
    compute_demand,
    demand_series,
    displayed_max_demand_w,
)
from openamr.field.meter.registers import EnergyCurve

DAY_S = 86_400.0


def test_constant_2_kw_zero_fill() -> None:
    # reference §7.6: 0.667 kW at 5 min (zero fill), 2.0 kW from 15 min
    times, demand = demand_series(EnergyCurve.constant(2000.0, 1800.0))
    assert times.tolist() == [300.0, 600.0, 900.0, 1200.0, 1500.0, 1800.0]
    assert demand[0] == pytest.approx(666.6667, abs=1e-3)
    assert demand[1] == pytest.approx(1333.3333, abs=1e-3)
    assert demand[2:].tolist() == [2000.0] * 4


def test_constant_2_kw_available_fill() -> None:
    settings = DemandSettings(fill="available")
    _, demand = demand_series(EnergyCurve.constant(2000.0, 1800.0), settings)
    assert demand.tolist() == [2000.0] * 6


def test_default_is_rolling_3_by_5_min_zero_fill() -> None:
    settings = DemandSettings()
    assert (settings.method, settings.fill, settings.update_s) == ("rolling", "zero", 300.0)
    assert settings.tau_s == pytest.approx(900.0 / math.log(10.0))


def test_rolling_uses_exact_sub_interval_energies() -> None:
    # a 1-minute 6 kW spike inside the second sub-interval of an otherwise idle meter
    curve = EnergyCurve(np.array([0.0, 400.0, 460.0, 1800.0]), np.array([0.0, 6000.0, 0.0]))
    _, demand = demand_series(curve)
    spike = 6000.0 * 60.0 / 900.0  # 400 W over the 15-min window
    assert demand.tolist() == pytest.approx([0.0, spike, spike, spike, 0.0, 0.0])


def test_methods_differ_for_a_short_spike() -> None:
    curve = EnergyCurve(np.array([0.0, 400.0, 460.0, 3600.0]), np.array([0.0, 6000.0, 0.0]))
    peaks = {m: compute_demand(curve, DemandSettings(method=m)).max_demand_w
             for m in ("rolling", "block", "sliding", "thermal")}
    assert peaks["rolling"] == pytest.approx(400.0)
    assert peaks["block"] == pytest.approx(400.0)
    assert peaks["sliding"] == pytest.approx(400.0)
    # thermal: 6 kW for 60 s from 0 → 6000·(1 − e^{−60/τ})
    tau = 900.0 / math.log(10.0)
    assert peaks["thermal"] == pytest.approx(6000.0 * (1 - math.exp(-60.0 / tau)))


def test_block_demand_updates_at_interval_ends() -> None:
    curve = EnergyCurve(np.array([0.0, 450.0, 1800.0]), np.array([3600.0, 0.0]))
    times, demand = demand_series(curve, DemandSettings(method="block"))
    assert times.tolist() == [900.0, 1800.0]
    assert demand.tolist() == [1800.0, 0.0]


def test_sliding_window_updates_every_15_s() -> None:
    times, demand = demand_series(EnergyCurve.constant(900.0, 1800.0),
                                  DemandSettings(method="sliding"))
    assert times[:2].tolist() == [15.0, 30.0]
    assert demand[0] == pytest.approx(15.0)
    assert demand[-1] == 900.0
    times, demand = demand_series(EnergyCurve.constant(900.0, 1800.0),
                                  DemandSettings(method="sliding", fill="available"))
    assert demand.tolist() == pytest.approx([900.0] * times.shape[0])


def test_thermal_reaches_90_pct_in_one_interval() -> None:
    times, demand = demand_series(EnergyCurve.constant(2000.0, 1800.0),
                                  DemandSettings(method="thermal"))
    assert demand[times == 900.0][0] == pytest.approx(1800.0)
    assert demand[times == 1800.0][0] == pytest.approx(1980.0)


def test_thermal_is_stable_over_long_runs() -> None:
    curve = EnergyCurve(np.array([0.0, 3600.0, 10 * DAY_S]), np.array([5000.0, 1000.0]))
    result = compute_demand(curve, DemandSettings(method="thermal"))
    assert np.all(np.isfinite(result.demand_w))
    assert result.present_demand_w == pytest.approx(1000.0)


def test_max_demand_24_h_rule() -> None:
    # day 1: 5 kW for the first hour; day 2: 1 kW; day 3: 3 kW
    t = np.array([0.0, 3600.0, DAY_S, 2 * DAY_S, 3 * DAY_S])
    curve = EnergyCurve(t, np.array([5000.0, 0.0, 1000.0, 3000.0]))
    times, demand = demand_series(curve)
    shown = [displayed_max_demand_w(times, demand, at) for at in
             (1800.0, DAY_S - 1, DAY_S, DAY_S + 1, 2 * DAY_S - 1, 2 * DAY_S, 2.5 * DAY_S,
              3 * DAY_S)]
    # first 24 h: running maximum; then the previous 24-h window's maximum, updated once a day
    assert shown[0] == pytest.approx(5000.0)
    assert shown[1:5] == [5000.0] * 4
    # at 48 h the display switches to window (24 h, 48 h]: 1 kW; at 72 h to (48 h, 72 h]: 3 kW
    assert shown[5] == pytest.approx(1000.0)
    assert shown[6] == pytest.approx(1000.0)
    assert shown[7] == pytest.approx(3000.0)
    assert compute_demand(curve).max_demand_w == pytest.approx(3000.0)


def test_max_demand_running_during_first_day() -> None:
    curve = EnergyCurve(np.array([0.0, 1800.0, 7200.0]), np.array([1000.0, 4000.0]))
    times, demand = demand_series(curve)
    assert displayed_max_demand_w(times, demand, 1800.0) == pytest.approx(1000.0)
    assert displayed_max_demand_w(times, demand, 7200.0) == pytest.approx(4000.0)


def test_bad_settings_are_input_errors() -> None:
    with pytest.raises(InputError, match="demand method"):
        DemandSettings(method="magic")
    with pytest.raises(InputError, match="fill"):
        DemandSettings(fill="guess")
    with pytest.raises(InputError, match="interval_s"):
        DemandSettings(interval_s=0.0)


def test_run_shorter_than_a_sub_interval_has_no_demand() -> None:
    result = compute_demand(EnergyCurve.constant(2000.0, 299.0))
    assert result.update_times_s.size == 0
    assert result.max_demand_w == 0.0
    assert result.present_demand_w == 0.0
