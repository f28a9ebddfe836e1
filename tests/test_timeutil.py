from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.timeutil import (
    align_down_s,
    epoch_s,
    format_utc,
    intervals_in_local_day,
    local_date,
    local_day_bounds_s,
    local_grid,
    parse_utc,
    site_zone,
)

LA = site_zone("America/Los_Angeles")


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2026, 3, 8), 92), (date(2026, 3, 9), 96), (date(2026, 11, 1), 100)],
)
def test_a_local_day_has_92_96_or_100_quarter_hours(day: date, expected: int) -> None:
    assert intervals_in_local_day(day, LA) == expected


def test_utc_zone_days_are_always_96() -> None:
    assert intervals_in_local_day(date(2026, 3, 8), site_zone("UTC")) == 96


def test_local_day_bounds_start_at_local_midnight() -> None:
    start_s, end_s = local_day_bounds_s(date(2026, 11, 1), LA)
    assert format_utc(start_s) == "2026-11-01T07:00:00Z"
    assert format_utc(end_s) == "2026-11-02T08:00:00Z"
    assert local_date(start_s, LA) == date(2026, 11, 1)
    assert local_date(end_s - 1, LA) == date(2026, 11, 1)


def test_parse_utc_requires_an_offset_and_names_the_place() -> None:
    assert parse_utc("2026-01-01T00:15:00Z") == datetime(2026, 1, 1, 0, 15, tzinfo=UTC)
    assert parse_utc("2026-01-01T01:15:00+01:00") == datetime(2026, 1, 1, 0, 15, tzinfo=UTC)
    with pytest.raises(InputError, match=r"f\.csv:3.*no UTC offset"):
        parse_utc("2026-01-01T00:15:00", where="f.csv:3")
    with pytest.raises(InputError, match="not an ISO 8601"):
        parse_utc("yesterday")


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(InputError):
        epoch_s(naive)
    with pytest.raises(InputError):
        format_utc(naive)


def test_unknown_zone_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown time zone"):
        site_zone("Mars/Olympus_Mons")


@given(st.integers(min_value=0, max_value=4_102_444_800))
def test_alignment_is_to_the_quarter_hour_and_idempotent(t_s: int) -> None:
    start = align_down_s(t_s)
    assert start % 900 == 0
    assert 0 <= t_s - start < 900
    assert align_down_s(start) == start


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
        max_value=datetime(2200, 1, 1),  # noqa: DTZ001
        timezones=st.just(timezone(timedelta(hours=-5))),
    )
)
def test_format_parse_round_trip(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    assert parse_utc(format_utc(moment)) == moment


def test_daily_edges_where_the_clock_falls_back_across_midnight() -> None:
    """St John's fell back at 00:01 local until 2011: midnight happened twice on 1998-10-25."""
    from openamr.timeutil import local_period_edges_s

    zone = site_zone("America/St_Johns")
    start_s = local_day_bounds_s(date(1998, 10, 23), zone)[0]
    edges = local_period_edges_s(start_s, start_s + 3 * 86_400, zone, "daily")
    days = [date(1998, 10, 23), date(1998, 10, 24), date(1998, 10, 25)]
    assert (np.diff(edges) // 900).tolist() == [intervals_in_local_day(d, zone) for d in days]
    assert intervals_in_local_day(date(1998, 10, 25), zone) == 100


@pytest.mark.parametrize(("day", "slots", "repeated", "skipped"),
                         [(date(2026, 3, 8), 92, [], [8, 9, 10, 11]),
                          (date(2026, 3, 9), 96, [], []),
                          (date(2026, 11, 1), 100, [4, 5, 6, 7], [])])
def test_local_grid_of_a_dst_day(day: date, slots: int, repeated: list[int],
                                 skipped: list[int]) -> None:
    start_s, end_s = local_day_bounds_s(day, LA)
    grid = local_grid(start_s, end_s, "America/Los_Angeles")
    assert len(grid) == slots
    assert grid.days == 1
    assert grid.dates == [day]
    assert grid.day_edges_s.tolist() == [start_s, end_s]
    counts = np.bincount(grid.wall_slot, minlength=96)
    assert np.flatnonzero(counts == 2).tolist() == repeated
    assert np.flatnonzero(counts == 0).tolist() == skipped
    assert set(grid.weekday.tolist()) == {day.weekday()}
    assert set(grid.month.tolist()) == {day.month - 1}
    assert set(grid.month_key.tolist()) == {(day.year - 1970) * 12 + day.month - 1}
    assert set(grid.day.tolist()) == {(day - date(1970, 1, 1)).days}


def test_local_grid_days_in_odd_zones() -> None:
    """Samoa skipped 30 December 2011; St John's fell back at 00:01 (midnight twice)."""
    apia = site_zone("Pacific/Apia")
    start_s = local_day_bounds_s(date(2011, 12, 29), apia)[0]
    end_s = local_day_bounds_s(date(2012, 1, 1), apia)[0]
    grid = local_grid(start_s, end_s, "Pacific/Apia")
    assert grid.dates == [date(2011, 12, 29), date(2011, 12, 31)]
    assert np.bincount(grid.day_index).tolist() == [96, 96]
    johns = site_zone("America/St_Johns")
    start_s = local_day_bounds_s(date(1998, 10, 24), johns)[0]
    end_s = local_day_bounds_s(date(1998, 10, 26), johns)[0]
    grid = local_grid(start_s, end_s, "America/St_Johns")
    assert grid.dates == [date(1998, 10, 24), date(1998, 10, 25)]
    assert np.bincount(grid.day_index).tolist() == [
        intervals_in_local_day(date(1998, 10, 24), johns),
        intervals_in_local_day(date(1998, 10, 25), johns)]


def test_local_grid_clips_partial_days_and_refuses_bad_ranges() -> None:
    start_s = local_day_bounds_s(date(2026, 1, 31), LA)[0] + 12 * 3600
    grid = local_grid(start_s, start_s + 86_400, "America/Los_Angeles")
    assert grid.dates == [date(2026, 1, 31), date(2026, 2, 1)]
    assert grid.day_edges_s.tolist() == [start_s, start_s + 43_200, start_s + 86_400]
    assert grid.month.tolist() == [0] * 48 + [1] * 48
    for bad in ((start_s, start_s), (start_s + 1, start_s + 900), (start_s + 900, start_s)):
        with pytest.raises(InputError, match="whole 15-minute"):
            local_grid(*bad, "America/Los_Angeles")
