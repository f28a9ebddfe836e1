"""The 15-minute grid of a billing period in local civil time: month, quarter-hour, day type.

Time-of-use periods are defined in LOCAL time, so each interval [UTC epoch s] is placed on the
site's wall clock through :func:`openamr.timeutil.utc_offsets_s` (vectorised): a spring-forward
day has 92 intervals and skips 02:00–03:00, a fall-back day has 100 and repeats 01:00–02:00 (both
repeats are priced by the wall-clock hour).  Saturdays, Sundays and public holidays of the
``holidays`` package (a country and optional subdivision) use the weekend schedule.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from openamr.billing.tariff import SLOTS_PER_DAY, Tariff
from openamr.errors import InputError
from openamr.timeutil import site_zone, utc_offsets_s
from openamr.units import INTERVAL_LENGTH_S, S_PER_DAY

__all__ = ["LocalGrid", "holiday_days", "local_grid", "schedule_index", "tariff_indices"]


@dataclass(frozen=True, eq=False)
class LocalGrid:
    """Parallel arrays, one entry per 15-minute interval of ``[start_s, end_s)``."""

    start_s: npt.NDArray[np.int64]
    """Interval starts [UTC epoch s]."""
    month: npt.NDArray[np.int64]
    """Local calendar month, 0 (January) .. 11."""
    slot: npt.NDArray[np.int64]
    """Local quarter-hour of the day by the wall clock, 0 .. 95."""
    weekend: npt.NDArray[np.bool_]
    """Saturday, Sunday or a public holiday (local date)."""
    day: npt.NDArray[np.int64]
    """Local civil date as days since 1970-01-01."""
    month_key: npt.NDArray[np.int64]
    """Local calendar month as months since 1970-01 (changes at local month starts)."""

    def __len__(self) -> int:
        return int(self.start_s.size)


def holiday_days(country: str, subdivision: str | None, years: range) -> npt.NDArray[np.int64]:
    """Public holidays (days since 1970-01-01) of ``country``/``subdivision`` in ``years``."""
    return _holiday_days(country, subdivision, years.start, years.stop)


@functools.lru_cache(maxsize=64)
def _holiday_days(country: str, subdivision: str | None, first_year: int,
                  stop_year: int) -> npt.NDArray[np.int64]:
    """Cached: the ``holidays`` package computes a country's calendar in milliseconds, a bill
    run asks for it once per period."""
    import holidays

    years = range(first_year, stop_year)

    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=list(years))
    except (NotImplementedError, KeyError) as exc:
        raise InputError(f"the holidays package knows no {country!r}", where="holidays") from exc
    epoch = date(1970, 1, 1).toordinal()
    days = np.asarray(sorted(d.toordinal() - epoch for d in found), dtype=np.int64)
    days.setflags(write=False)
    return days


def local_grid(start_s: int, end_s: int, timezone: str, *, holidays_country: str | None = None,
               holidays_subdivision: str | None = None) -> LocalGrid:
    """The grid of ``[start_s, end_s)`` (aligned to 900 s) in ``timezone``."""
    if start_s % INTERVAL_LENGTH_S or end_s % INTERVAL_LENGTH_S or end_s <= start_s:
        raise InputError("a billing range must be a non-empty span of whole 15-minute "
                         "intervals", where="period")
    starts = np.arange(start_s, end_s, INTERVAL_LENGTH_S, dtype=np.int64)
    wall = starts + utc_offsets_s(starts, site_zone(timezone))
    day = wall // S_PER_DAY
    month_key = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    weekend = ((day + 3) % 7) >= 5  # 1970-01-01 was a Thursday: (day + 3) % 7 is 0 on Mondays
    if holidays_country:
        first_year = int(month_key[0] // 12) + 1970
        last_year = int(month_key[-1] // 12) + 1970
        found = holiday_days(holidays_country, holidays_subdivision,
                             range(first_year, last_year + 1))
        weekend |= np.isin(day, found)
    return LocalGrid(start_s=starts, month=month_key % 12,
                     slot=(wall % S_PER_DAY) // INTERVAL_LENGTH_S,
                     weekend=weekend, day=day, month_key=month_key)


def schedule_index(grid: LocalGrid, weekday: npt.NDArray[np.int16],
                   weekend: npt.NDArray[np.int16]) -> npt.NDArray[np.int64]:
    """The period index of each interval from 12 × 96 weekday and weekend schedules."""
    assert weekday.shape == (12, SLOTS_PER_DAY)
    flat = grid.month * SLOTS_PER_DAY + grid.slot
    result: npt.NDArray[np.int64] = np.where(grid.weekend, weekend.ravel()[flat],
                                             weekday.ravel()[flat]).astype(np.int64)
    return result


def tariff_indices(grid: LocalGrid, tariff: Tariff) -> tuple[npt.NDArray[np.int64],
                                                             npt.NDArray[np.int64] | None]:
    """Energy and TOU-demand period index of each interval (demand None without TOU demand)."""
    energy = schedule_index(grid, tariff.energy_weekday, tariff.energy_weekend)
    demand = None
    if tariff.demand_periods and tariff.demand_weekday is not None \
            and tariff.demand_weekend is not None:
        demand = schedule_index(grid, tariff.demand_weekday, tariff.demand_weekend)
    return energy, demand
