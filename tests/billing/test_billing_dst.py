"""A DST month in a real zone: the right number of intervals and TOU periods in local time."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from openamr.billing.engine import UsageBatch, compute_bills
from openamr.billing.periods import month_cycle
from openamr.billing.schedule import tariff_indices
from openamr.billing.tariff_toml import parse_tariff_toml
from openamr.timeutil import epoch_s, local_grid, parse_utc

ZONE = "America/Los_Angeles"
TOU = """
[tariff]
name = "evening peak"
holidays = "US"
[[energy.periods]]
name = "peak"
rate_per_kwh = "0.50"
when = [{ days = "weekdays", from = "16:00", to = "21:00" }]
[[energy.periods]]
name = "off"
rate_per_kwh = "0.20"
"""


@pytest.mark.parametrize(("month", "intervals"), [(3, 31 * 96 - 4), (11, 30 * 96 + 4),
                                                  (7, 31 * 96)])
def test_a_dst_month_has_the_right_number_of_intervals(month: int, intervals: int) -> None:
    period = month_cycle(2026, month, ZONE)
    grid = local_grid(period.start_s, period.end_s, ZONE)
    assert len(grid) == intervals
    assert period.end_s - period.start_s == intervals * 900


def _utc(text: str) -> int:
    return epoch_s(parse_utc(text))


def test_tou_periods_follow_the_local_clock_across_the_change() -> None:
    tariff = parse_tariff_toml(tomllib.loads(TOU))
    period = month_cycle(2026, 3, ZONE)
    grid = local_grid(period.start_s, period.end_s, ZONE)
    energy_index, _ = tariff_indices(grid, tariff)
    peak = set(grid.start_s[energy_index == 0].tolist())
    # Friday 6 March (PST, UTC-8): peak 16:00 local = 00:00 UTC on the 7th
    assert _utc("2026-03-07T00:00:00Z") in peak
    assert _utc("2026-03-06T23:45:00Z") not in peak
    assert _utc("2026-03-07T04:45:00Z") in peak
    assert _utc("2026-03-07T05:00:00Z") not in peak
    # Monday 9 March (PDT, UTC-7): peak 16:00 local = 23:00 UTC
    assert _utc("2026-03-09T23:00:00Z") in peak
    assert _utc("2026-03-09T22:45:00Z") not in peak
    assert _utc("2026-03-10T03:45:00Z") in peak
    assert _utc("2026-03-10T04:00:00Z") not in peak
    # 22 weekdays × 20 quarter-hours (no US federal holiday in March 2026)
    assert len(peak) == 22 * 20


def test_the_repeated_hour_is_priced_by_the_wall_clock_and_holidays_are_off_peak() -> None:
    period = month_cycle(2026, 11, ZONE)
    grid = local_grid(period.start_s, period.end_s, ZONE)
    first_day = grid.day == grid.day[0]
    assert int(first_day.sum()) == 100
    assert int(np.count_nonzero(first_day & (grid.wall_slot // 4 == 1))) == 8  # 01:00-02:00 twice
    tariff = parse_tariff_toml(tomllib.loads(TOU))
    energy_index, _ = tariff_indices(grid, tariff)
    # 21 weekdays in November 2026, less Veterans Day (Wed 11th) and Thanksgiving (Thu 26th)
    assert int(np.count_nonzero(energy_index == 0)) == 19 * 20
    usage = UsageBatch(np.full((1, len(grid)), 100.0), np.ones((1, len(grid)), dtype=bool),
                       None, None, np.asarray([period.days]))
    batch = compute_bills(tariff, period, grid, usage)
    assert [int(q) for q in batch.quantity_micro[0]] == [19 * 20 * 100_000,
                                                        (len(grid) - 19 * 20) * 100_000]
