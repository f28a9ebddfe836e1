"""The pure figures of a local grid: DST days, sums that must agree, heatmap, profile, peak."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from openamr.errors import InputError
from openamr.headend.energy import (
    change,
    energy_grid,
    floor_area_band,
    heatmap,
    load_profile,
    peak_demand,
    usage,
)
from openamr.headend.rollup import rollup
from openamr.timeutil import local_day_bounds_s, site_zone

ZONES = ["America/Los_Angeles", "Europe/London", "Australia/Lord_Howe", "UTC",
         "America/St_Johns", "Asia/Kathmandu"]


def _span(zone: str, first: date, end: date) -> np.ndarray:
    z = site_zone(zone)
    return np.arange(local_day_bounds_s(first, z)[0], local_day_bounds_s(end, z)[0], 900,
                     dtype=np.int64)


@pytest.mark.parametrize(("day", "slots"), [(date(2026, 3, 8), 92), (date(2026, 3, 9), 96),
                                            (date(2026, 11, 1), 100)])
def test_dst_days_have_92_96_100_slots(day: date, slots: int) -> None:
    grid = energy_grid("America/Los_Angeles", day, day + timedelta(days=1))
    assert len(grid) == slots
    assert grid.calendar.days == 1
    # the wall clock: the spring-forward day skips 02:00-02:45, the fall-back day repeats 01:xx
    counts = np.bincount(grid.calendar.wall_slot, minlength=96)
    if slots == 92:
        assert counts[8:12].tolist() == [0, 0, 0, 0]
    elif slots == 100:
        assert counts[4:8].tolist() == [2, 2, 2, 2]
    assert counts.sum() == slots


def test_grid_ignores_rows_outside_or_off_grid() -> None:
    starts = _span("UTC", date(2026, 1, 1), date(2026, 1, 2))
    rows = np.concatenate([starts, [starts[0] - 900, starts[-1] + 900, starts[3] + 1]])
    energy = np.concatenate([np.ones(starts.size), [5.0, 5.0, 5.0]])
    energy[0] = np.nan
    grid = energy_grid("UTC", date(2026, 1, 1), date(2026, 1, 2), interval_start_s=rows,
                      energy_wh=energy)
    assert np.isnan(grid.energy_wh[0])
    assert np.nansum(grid.energy_wh) == starts.size - 1
    with pytest.raises(InputError, match="before it starts"):
        energy_grid("UTC", date(2026, 1, 2), date(2026, 1, 2))


@settings(max_examples=40, deadline=None)
@given(zone=st.sampled_from(ZONES),
       first=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 1)),
       days=st.integers(min_value=1, max_value=80),
       seed=st.integers(min_value=0, max_value=2**31),
       meters=st.integers(min_value=1, max_value=3))
def test_daily_monthly_heatmap_and_profile_conserve_energy(zone: str, first: date, days: int,
                                                           seed: int, meters: int) -> None:
    """Whatever the zone, range, gaps and number of meters: daily sums, monthly sums and the
    heatmap all add up to the sum of the intervals, and they agree with the roll-ups."""
    end = first + timedelta(days=days)
    starts = _span(zone, first, end)
    rng = np.random.default_rng(seed)
    rows = np.tile(starts, meters)
    energy = rng.integers(0, 500, rows.size).astype(np.float64)
    keep = rng.random(rows.size) > 0.1
    rows, energy = rows[keep], energy[keep]
    grid = energy_grid(zone, first, end, interval_start_s=rows, energy_wh=energy, meters=meters)
    total = energy.sum()
    assert np.nansum(grid.energy_wh) == total
    daily, monthly = usage(grid, "daily"), usage(grid, "monthly")
    assert np.nansum(daily.energy_wh) == total
    assert np.nansum(monthly.energy_wh) == total
    assert np.nansum(heatmap(grid).energy_wh) == total
    assert daily.intervals_expected.sum() == len(grid) == monthly.intervals_expected.sum()
    assert len(daily) == days
    # the roll-ups' daily buckets are the same days with the same sums
    ref = rollup(rows, energy, start_s=int(starts[0]), end_s=int(starts[-1]) + 900,
                 period="daily", timezone=zone)
    assert ref.start_s.tolist() == daily.start_s.tolist()
    np.testing.assert_array_equal(np.nan_to_num(daily.energy_wh), ref.energy_wh)
    # every complete slot is counted once in intervals_present
    assert daily.intervals_present.sum() == int(np.sum(grid.meters_present == meters))
    # the load profile is a mean power: between the smallest and largest slot power
    prof = load_profile(grid)
    power = grid.energy_wh[np.isfinite(grid.energy_wh)] * 4
    finite = prof.all_power_w[np.isfinite(prof.all_power_w)]
    if power.size:
        assert finite.min() >= power.min() - 1e-9
        assert finite.max() <= power.max() + 1e-9


@given(hnp.arrays(np.float64, 96 * 3, elements=st.floats(0, 15_000, allow_nan=False)))
@settings(max_examples=50, deadline=None)
def test_peak_is_the_largest_interval(values: np.ndarray) -> None:
    starts = _span("UTC", date(2026, 1, 1), date(2026, 1, 4))
    grid = energy_grid("UTC", date(2026, 1, 1), date(2026, 1, 4), interval_start_s=starts,
                      energy_wh=values)
    peak = peak_demand(grid)
    assert peak is not None
    assert peak.demand_w == values.max() * 4
    assert peak.start_s == starts[int(np.argmax(values))]
    daily = usage(grid, "daily")
    np.testing.assert_array_equal(daily.peak_demand_w, values.reshape(3, 96).max(axis=1) * 4)
    assert np.all(values[(daily.peak_start_s - starts[0]) // 900] * 4 == daily.peak_demand_w)


def test_a_day_without_data_is_nan_not_zero() -> None:
    starts = _span("UTC", date(2026, 1, 1), date(2026, 1, 2))
    grid = energy_grid("UTC", date(2026, 1, 1), date(2026, 1, 3), interval_start_s=starts,
                      energy_wh=np.zeros(starts.size))
    daily = usage(grid, "daily")
    assert daily.energy_wh[0] == 0.0
    assert np.isnan(daily.energy_wh[1])
    assert daily.peak_start_s[1] == -1
    assert daily.intervals_present.tolist() == [96, 0]
    assert peak_demand(energy_grid("UTC", date(2026, 1, 1), date(2026, 1, 2))) is None


def test_weekday_and_weekend_profiles() -> None:
    # 2026-03-02 is a Monday: five weekdays at 400 W, a weekend at 1000 W
    first = date(2026, 3, 2)
    starts = _span("UTC", first, first + timedelta(days=7))
    energy = np.where(np.arange(starts.size) < 5 * 96, 100.0, 250.0)
    grid = energy_grid("UTC", first, first + timedelta(days=7), interval_start_s=starts,
                      energy_wh=energy)
    prof = load_profile(grid)
    assert prof.weekday_power_w.tolist() == [400.0] * 24
    assert prof.weekend_power_w.tolist() == [1000.0] * 24
    assert prof.all_power_w == pytest.approx([(5 * 400 + 2 * 1000) / 7] * 24)


def test_change_and_bands() -> None:
    assert change(110.0, 100.0).change_pct == pytest.approx(10.0)
    assert change(5.0, 0.0).change_pct is None
    assert change(5.0, float("nan")).change_pct is None
    assert floor_area_band(55.0) == (50.0, 100.0)
    assert floor_area_band(50.0) == (50.0, 100.0)
    assert floor_area_band(2000.0) == (1000.0, float("inf"))
    assert floor_area_band(None) is None
