"""Roll-ups in local time: DST day lengths, repeated hours, gaps, energy conservation."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.headend.rollup import bucket_sums, rollup
from openamr.timeutil import (
    epoch_s,
    intervals_in_local_day,
    local_day_bounds_s,
    local_period_edges_s,
    site_zone,
    utc_offsets_s,
)

LA = site_zone("America/Los_Angeles")
ZONES = ["America/Los_Angeles", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu",
         "UTC", "America/St_Johns", "Pacific/Chatham"]


def _grid(start_s: int, end_s: int) -> np.ndarray:
    return np.arange(start_s, end_s, 900, dtype=np.int64)


@pytest.mark.parametrize(("day", "expected"), [(date(2026, 3, 8), 92), (date(2026, 3, 9), 96),
                                               (date(2026, 11, 1), 100)])
def test_daily_buckets_have_92_96_or_100_quarter_hours(day: date, expected: int) -> None:
    start_s, end_s = local_day_bounds_s(day, LA)
    starts = _grid(start_s, end_s)
    r = rollup(starts, np.ones(starts.size), start_s=start_s, end_s=end_s, period="daily",
               timezone="America/Los_Angeles")
    assert len(r) == 1
    assert r.intervals_expected.tolist() == r.intervals_present.tolist() == [expected]
    assert r.energy_wh.tolist() == [float(expected)]


def test_hourly_buckets_across_fall_back_repeat_the_hour() -> None:
    start_s, end_s = local_day_bounds_s(date(2026, 11, 1), LA)
    r = rollup(_grid(start_s, end_s), np.ones(100), start_s=start_s, end_s=end_s,
               period="hourly", timezone="America/Los_Angeles")
    assert len(r) == 25
    assert set(r.intervals_expected.tolist()) == {4}
    assert np.all(np.diff(r.start_s) == 3600)


def test_hourly_buckets_across_spring_forward_skip_the_hour() -> None:
    start_s, end_s = local_day_bounds_s(date(2026, 3, 8), LA)
    r = rollup(_grid(start_s, end_s), np.ones(92), start_s=start_s, end_s=end_s,
               period="hourly", timezone="America/Los_Angeles")
    assert len(r) == 23


def test_monthly_buckets_follow_the_local_calendar() -> None:
    start_s = epoch_s(datetime(2026, 1, 1, tzinfo=LA))
    end_s = epoch_s(datetime(2027, 1, 1, tzinfo=LA))
    r = rollup(_grid(start_s, end_s), np.ones((end_s - start_s) // 900), start_s=start_s,
               end_s=end_s, period="monthly", timezone="America/Los_Angeles")
    assert len(r) == 12
    assert r.intervals_expected[2] == 31 * 96 - 4
    assert r.intervals_expected[10] == 30 * 96 + 4
    assert int(r.intervals_expected.sum()) == 365 * 96


def test_a_range_inside_a_period_is_widened_to_the_whole_period() -> None:
    start_s = epoch_s(datetime(2026, 6, 15, 13, 7, tzinfo=LA))
    r = rollup(np.zeros(0, dtype=np.int64), np.zeros(0), start_s=start_s, end_s=start_s + 60,
               period="daily", timezone="America/Los_Angeles")
    assert r.start_s.tolist() == [epoch_s(datetime(2026, 6, 15, tzinfo=LA))]
    assert r.intervals_present.tolist() == [0]
    assert r.intervals_expected.tolist() == [96]


def test_gaps_and_nan_are_not_present_and_not_summed() -> None:
    start_s, end_s = local_day_bounds_s(date(2026, 6, 1), LA)
    starts = _grid(start_s, end_s)[:-10]
    energy = np.full(starts.size, 2.0)
    energy[0] = np.nan
    r = rollup(starts, energy, start_s=start_s, end_s=end_s, period="daily",
               timezone="America/Los_Angeles")
    assert r.intervals_present.tolist() == [85]
    assert r.energy_wh.tolist() == [170.0]


def test_bad_period_and_zone_are_input_errors() -> None:
    with pytest.raises(InputError, match="period"):
        rollup([], [], start_s=0, end_s=900, period="weekly", timezone="UTC")
    with pytest.raises(InputError, match="time zone"):
        rollup([], [], start_s=0, end_s=900, period="daily", timezone="Mars/Olympus")


def test_bucket_sums_ignore_outside_rows() -> None:
    sums, counts = bucket_sums([0, 900, 5000, -900], [1.0, 2.0, 4.0, 8.0], [0, 1800, 3600])
    assert sums.tolist() == [3.0, 0.0]
    assert counts.tolist() == [2, 0]


@settings(max_examples=60, deadline=None)
@given(zone_name=st.sampled_from(ZONES),
       day=st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31)),
       days=st.integers(1, 70), period=st.sampled_from(["hourly", "daily", "monthly"]),
       seed=st.integers(0, 2**31))
@example(zone_name="America/St_Johns", day=date(1998, 10, 23), days=3, period="daily",
         seed=0)  # midnight twice: the clock fell back at 00:01
def test_rollups_conserve_energy_and_tile_the_range(zone_name: str, day: date, days: int,
                                                    period: str, seed: int) -> None:
    zone = site_zone(zone_name)
    start_s = local_day_bounds_s(day, zone)[0]
    end_s = start_s + days * 86_400
    starts = _grid(start_s, end_s)
    rng = np.random.default_rng(seed)
    keep = rng.random(starts.size) < 0.9
    energy = rng.integers(0, 1000, starts.size).astype(np.float64)
    r = rollup(starts[keep], energy[keep], start_s=start_s, end_s=end_s, period=period,
               timezone=zone_name)
    assert r.start_s[0] <= start_s
    assert r.end_s[-1] >= end_s
    assert np.array_equal(r.start_s[1:], r.end_s[:-1])
    assert float(np.nansum(r.energy_wh)) == float(energy[keep].sum())
    assert np.array_equal(np.isnan(r.energy_wh), r.intervals_present == 0)
    assert int(r.intervals_present.sum()) == int(keep.sum())
    assert np.all(r.intervals_present <= r.intervals_expected)
    if period == "daily":
        for s, n in zip(r.start_s.tolist()[:3], r.intervals_expected.tolist()[:3], strict=True):
            local_day = datetime.fromtimestamp(s, zone).date()
            assert n == intervals_in_local_day(local_day, zone)


@settings(max_examples=40, deadline=None)
@given(zone_name=st.sampled_from(ZONES), t=st.integers(0, 4_000_000_000))
def test_vectorised_offsets_match_zoneinfo(zone_name: str, t: int) -> None:
    zone = site_zone(zone_name)
    instants = np.array([t + k * 3_611 for k in range(0, 2_000)], dtype=np.int64)
    expected = [int(datetime.fromtimestamp(int(s), zone).utcoffset().total_seconds())  # type: ignore[union-attr]
                for s in instants[::97]]
    assert utc_offsets_s(instants, zone)[::97].tolist() == expected


def test_edges_of_an_empty_range() -> None:
    assert local_period_edges_s(100, 100, LA, "daily").size == 0


def test_a_bucket_without_intervals_has_no_energy_not_zero() -> None:
    start_s, end_s = local_day_bounds_s(date(2026, 6, 1), LA)
    starts = _grid(start_s, start_s + 3600)
    r = rollup(starts, np.zeros(starts.size), start_s=start_s, end_s=end_s, period="hourly",
               timezone="America/Los_Angeles")
    assert r.energy_wh[0] == 0.0  # measured zero use is zero
    assert r.intervals_present[0] == 4
    assert np.isnan(r.energy_wh[1:]).all()  # no data is not zero use
    assert (r.intervals_present[1:] == 0).all()
