"""Which tariff period each interval of a billing period falls in: day types and schedules.

Time-of-use periods are defined in LOCAL time: the intervals of a period are placed on the
site's wall clock by :func:`openamr.timeutil.local_grid` (a spring-forward day has 92 intervals
and skips 02:00–03:00, a fall-back day has 100 and repeats 01:00–02:00; both repeats are priced
by the wall-clock hour), and a tariff's 12 months × 96 quarter-hour schedules are read at each
interval's local month and wall-clock quarter-hour.  Saturdays, Sundays and public holidays of
the ``holidays`` package (the tariff's country and optional subdivision) use the weekend
schedule.
"""

from __future__ import annotations

import functools
from datetime import date

import numpy as np
import numpy.typing as npt

from openamr.billing.tariff import Tariff
from openamr.errors import InputError
from openamr.timeutil import SLOTS_PER_WALL_DAY, LocalGrid

__all__ = ["holiday_days", "schedule_index", "tariff_indices", "weekend_days"]


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


def weekend_days(grid: LocalGrid, holidays_country: str | None = None,
                 holidays_subdivision: str | None = None) -> npt.NDArray[np.bool_]:
    """Whether each interval of the grid falls on a Saturday, a Sunday or (with a country) a
    public holiday of its local date: the intervals priced by the weekend schedule."""
    days = grid.civil_day
    weekend: npt.NDArray[np.bool_] = (days + 3) % 7 >= 5  # 1970-01-01 was a Thursday
    if holidays_country and days.size:
        years = days[[0, -1]].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
        found = holiday_days(holidays_country, holidays_subdivision,
                             range(int(years[0]) + 1970, int(years[1]) + 1971))
        weekend |= np.isin(days, found)
    result: npt.NDArray[np.bool_] = weekend[grid.day_index]
    return result


def schedule_index(grid: LocalGrid, weekday: npt.NDArray[np.int16],
                   weekend: npt.NDArray[np.int16],
                   on_weekend: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """The period index of each interval from 12 × 96 weekday and weekend schedules
    (``on_weekend``: the intervals read from the weekend schedule, :func:`weekend_days`)."""
    assert weekday.shape == (12, SLOTS_PER_WALL_DAY)
    flat = grid.month * SLOTS_PER_WALL_DAY + grid.wall_slot
    result: npt.NDArray[np.int64] = np.where(on_weekend, weekend.ravel()[flat],
                                             weekday.ravel()[flat]).astype(np.int64)
    return result


def tariff_indices(grid: LocalGrid, tariff: Tariff) -> tuple[npt.NDArray[np.int64],
                                                             npt.NDArray[np.int64] | None]:
    """Energy and TOU-demand period index of each interval (demand None without TOU demand);
    weekends and the tariff's public holidays use the weekend schedules."""
    on_weekend = weekend_days(grid, tariff.holidays_country, tariff.holidays_subdivision)
    energy = schedule_index(grid, tariff.energy_weekday, tariff.energy_weekend, on_weekend)
    demand = None
    if tariff.demand_periods and tariff.demand_weekday is not None \
            and tariff.demand_weekend is not None:
        demand = schedule_index(grid, tariff.demand_weekday, tariff.demand_weekend, on_weekend)
    return energy, demand
