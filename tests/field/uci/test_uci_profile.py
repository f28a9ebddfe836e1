"""Each meter's slice of the measured household, on the site's wall clock
(openamr.field.uci.profile), on the small fixture file."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from uci_helpers import FIRST_DAY

from openamr.errors import InputError
from openamr.field.uci import (
    UciData,
    UciSlices,
    read_uci_csv,
    uci_data_days,
    uci_leg_power_w,
    uci_slices,
)
from openamr.timeutil import local_day_bounds_s, site_zone

EPOCH = date(1970, 1, 1)


def _day(d: date) -> int:
    return (d - EPOCH).days


def _slices(n: int, year: int = 2007, weeks: int = 0, minutes: int = 0) -> UciSlices:
    return UciSlices(np.full(n, year, dtype=np.int64), np.full(n, weeks, dtype=np.int64),
                     np.full(n, minutes, dtype=np.int64))


def _data_day_legs(data: UciData, d: date) -> np.ndarray:
    i = (_day(d) - data.first_local_day) * 1440
    return data.legs_w[:, i:i + 1440].astype(np.float64)


def _sim_day(data: UciData, d: date, zone: str, **kw: object) -> np.ndarray:
    """Legs [W] at 1-minute steps over the local day ``d`` of ``zone``: (2, minutes)."""
    start_s, end_s = local_day_bounds_s(d, site_zone(zone))
    defaults: dict[str, object] = {"years": [2007], "shift_weeks": [0], "shift_min": [0]}
    defaults.update(kw)
    return uci_leg_power_w(["M-1"], (end_s - start_s) // 60, 60, start_s, time_zone=zone,
                           data=data, dtype=np.float64, **defaults)[0]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def data(fixture_csv: Path) -> UciData:
    return read_uci_csv(fixture_csv)


def test_a_date_takes_the_same_calendar_date_moved_onto_its_weekday(data: UciData) -> None:
    sim = np.array([_day(date(2026, 3, 16)) + k for k in range(14)])   # Mon 16 .. Sun 29 March
    got = uci_data_days(sim, _slices(1), data)[0]
    for s, g in zip(sim.tolist(), got.tolist(), strict=True):
        sim_date, data_date = EPOCH + timedelta(days=s), EPOCH + timedelta(days=g)
        assert data_date.weekday() == sim_date.weekday()
        assert abs((data_date - sim_date.replace(year=2007)).days) <= 3
    # 2026-03-19 is a Thursday, 2007-03-19 a Monday: the Thursday 2007-03-22
    assert got[3] == _day(date(2007, 3, 22))


def test_the_week_shift_moves_whole_weeks(data: UciData) -> None:
    sim = np.array([_day(date(2026, 3, 19))])
    base = uci_data_days(sim, _slices(1), data)[0, 0]
    for w in (-1, 1, 2):
        assert uci_data_days(sim, _slices(1, weeks=w), data)[0, 0] == base + 7 * w


def test_a_day_mostly_missing_is_not_chosen_when_another_year_has_it(tmp_path: Path,
                                                                     data: UciData) -> None:
    # two years: March 2007 and March 2008 (the grid in between is empty: not chosen)
    text = tmp_path / "two.csv"
    lines = (Path(data.source).read_text().splitlines())
    extra = [line.replace("2007-03-", "2008-03-", 1) for line in lines[1:]
             if line.startswith(("2007-03-2", "2007-03-3"))]
    text.write_text("\n".join([*lines[:1], *[ln for ln in lines[1:]
                                              if ln.startswith("2007-03")], *extra]) + "\n")
    two = read_uci_csv(text)
    sim = np.array([_day(date(2026, 3, 24))])                          # a Tuesday
    # preferring 2008: its same-weekday date, 2008-03-25, is in the file
    assert uci_data_days(sim, _slices(1, 2008), two)[0, 0] == _day(date(2008, 3, 25))
    # preferring 2007: 2007-03-27
    assert uci_data_days(sim, _slices(1, 2007), two)[0, 0] == _day(date(2007, 3, 27))
    # a date whose 2008 day is empty (2008-03-11) gives way to the next year (cycling: 2007)
    early = np.array([_day(date(2026, 3, 10))])                        # Tue -> 2008-03-11
    assert uci_data_days(early, _slices(1, 2008), two)[0, 0] == _day(date(2007, 3, 13))


def test_dates_outside_the_data_are_refused(data: UciData) -> None:
    with pytest.raises(InputError, match="out of the data"):
        uci_data_days(np.array([_day(date(2026, 7, 1))]), _slices(1), data)


def test_an_ordinary_local_day_is_its_data_day_minute_for_minute(data: UciData) -> None:
    # 2026-03-22 (a Sunday) takes 2007-03-25, the data's spring-forward day, whole: its rows
    # stamped 02:00-02:59 included
    for zone in ("Europe/Paris", "America/Los_Angeles"):   # no DST change on 2026-03-22
        got = _sim_day(data, date(2026, 3, 22), zone)
        assert got.shape == (2, 1440)
        assert np.array_equal(got, _data_day_legs(data, date(2007, 3, 25)))


def test_the_sites_spring_forward_day_skips_the_hour_that_does_not_exist(data: UciData) -> None:
    # Europe/Paris 2026-03-29 (a Sunday, 23 h) takes 2007-04-01; 02:00-02:59 is not a local time
    got = _sim_day(data, date(2026, 3, 29), "Europe/Paris")
    want = _data_day_legs(data, date(2007, 4, 1))
    assert got.shape == (2, 1380)
    assert np.array_equal(got, np.concatenate([want[:, :120], want[:, 180:]], axis=1))


def test_the_sites_fall_back_day_repeats_the_hour_that_happens_twice(data: UciData) -> None:
    # Australia/Sydney 2026-04-05 (a Sunday, 25 h: 02:00-02:59 twice) takes 2007-04-08
    got = _sim_day(data, date(2026, 4, 5), "Australia/Sydney")
    want = _data_day_legs(data, date(2007, 4, 8))
    assert got.shape == (2, 1500)
    assert np.array_equal(got, np.concatenate([want[:, :180], want[:, 120:]], axis=1))


def test_the_minute_shift_moves_the_day_later(data: UciData) -> None:
    plain = _sim_day(data, date(2026, 3, 19), "UTC")
    later = _sim_day(data, date(2026, 3, 19), "UTC", shift_min=[10])
    assert np.array_equal(later[:, 10:], plain[:, :-10])
    # the first 10 minutes come from the end of the day before's data day (a Wednesday)
    assert np.array_equal(later[:, :10], _data_day_legs(data, date(2007, 3, 21))[:, -10:])


def test_scale_w_sets_the_mean_power_over_the_record(data: UciData) -> None:
    plain = _sim_day(data, date(2026, 3, 19), "UTC")
    scaled = _sim_day(data, date(2026, 3, 19), "UTC", scales_w=[2.0 * data.mean_w])
    assert np.allclose(scaled, 2.0 * plain, rtol=1e-9)


def test_longer_steps_average_the_minutes(data: UciData) -> None:
    start_s, _ = local_day_bounds_s(date(2026, 3, 19), site_zone("UTC"))
    kw = {"years": [2007, 2007], "shift_weeks": [0, 1], "shift_min": [0, -7], "data": data,
          "dtype": np.float64}
    minutes = uci_leg_power_w(["a", "b"], 1440, 60, start_s, **kw)  # type: ignore[arg-type]
    five = uci_leg_power_w(["a", "b"], 288, 300, start_s, **kw)  # type: ignore[arg-type]
    assert np.allclose(five, minutes.reshape(2, 2, 288, 5).mean(axis=3), rtol=1e-12)


def test_steps_off_the_minute_grid_average_the_parts_of_minutes(data: UciData) -> None:
    # the general path (steps not on whole minutes) against the 1-minute output
    start_s, _ = local_day_bounds_s(date(2026, 3, 19), site_zone("UTC"))
    kw = {"years": [2007], "shift_weeks": [0], "shift_min": [3], "data": data,
          "dtype": np.float64}
    minutes = uci_leg_power_w(["a"], 1440, 60, start_s, **kw)[0]  # type: ignore[arg-type]
    half = uci_leg_power_w(["a"], 1439, 60, start_s + 30, **kw)[0]  # type: ignore[arg-type]
    assert np.allclose(half, (minutes[:, :-1] + minutes[:, 1:]) / 2.0, rtol=1e-9)
    odd = uci_leg_power_w(["a"], 478, 180.5, start_s, **kw)[0]  # type: ignore[arg-type]
    energy = np.concatenate([[0.0], np.cumsum(minutes[0])]) * 60.0       # W·s at minute edges
    edges = np.arange(479) * 180.5
    want = np.diff(np.interp(edges, np.arange(1441) * 60.0, energy)) / 180.5
    assert np.allclose(odd[0], want, rtol=1e-7)


def test_drawn_slices_are_deterministic_per_meter_whatever_the_batch(data: UciData) -> None:
    start_s, _ = local_day_bounds_s(date(2026, 3, 25), site_zone("UTC"))
    # a 1-year fixture: fix the year, draw the weeks (within the data) and minutes
    ids = ["M-1", "M-2", "M-3", "M-4"]
    many = uci_leg_power_w(ids, 1440, 60, start_s, 7, years=[2007] * 4,
                           shift_weeks=[0, 1, -1, 2], data=data)
    again = uci_leg_power_w(ids, 1440, 60, start_s, 7, years=[2007] * 4,
                            shift_weeks=[0, 1, -1, 2], data=data)
    alone = uci_leg_power_w(["M-3"], 1440, 60, start_s, 7, years=[2007], shift_weeks=[-1],
                            data=data)
    assert np.array_equal(many, again)
    assert np.array_equal(many[2], alone[0])
    other_seed = uci_leg_power_w(["M-3"], 1440, 60, start_s, 8, years=[2007],
                                 shift_weeks=[-1], data=data)
    assert not np.array_equal(other_seed[0], alone[0])   # the minute shift is drawn anew


@pytest.mark.parametrize(("kw", "where"), [
    ({"years": [2012]}, "uci_year"),
    ({"shift_weeks": [27]}, "uci_shift_weeks"),
    ({"shift_min": [-721]}, "uci_shift_min"),
    ({"scales_w": [-1.0]}, "scale_w"),
    ({"years": [2007, 2007]}, "uci_year"),
])
def test_bad_slices_are_refused(data: UciData, kw: dict[str, object], where: str) -> None:
    with pytest.raises(InputError) as err:
        uci_leg_power_w(["M-1"], 10, 60, _day(date(2026, 3, 19)) * 86400, data=data,
                        **kw)  # type: ignore[arg-type]
    assert where in (err.value.where or "")


def test_first_data_day_is_not_a_good_day(data: UciData) -> None:
    # the first day starts at 17:24: 28 % measured, below the 90 % a day needs to be chosen
    assert data.day_measured_ratio[0] == pytest.approx((1440 - 17 * 60 - 24) / 1440)
    assert EPOCH + timedelta(days=data.first_local_day) == FIRST_DAY


def test_drawn_pairs_are_shared_by_as_few_meters_as_possible(data: UciData) -> None:
    # the fixture has one year: 13 (year, week) pairs, weeks -6 .. 6
    ids = [f"M-{i:02d}" for i in range(26)]
    first = uci_slices(ids[:13], 3, data)
    assert sorted(first.shift_weeks.tolist()) == list(range(-6, 7))
    both = uci_slices(ids, 3, data)
    assert np.bincount(both.shift_weeks + 6).tolist() == [2] * 13
    assert np.array_equal(uci_slices(ids, 3, data).shift_weeks, both.shift_weeks)
    # a pair a meter gives is counted as taken
    given = uci_slices(ids[:13], 3, data, years=[2007] + [None] * 12,
                       shift_weeks=[0] + [None] * 12)
    assert sorted(given.shift_weeks.tolist()) == list(range(-6, 7))
    # the minute shifts are the meter's own, whatever the others
    assert np.array_equal(both.shift_min[:13], first.shift_min)
    assert set(np.unique(both.shift_min).tolist()) <= set(range(-30, 31))
