"""Energy-management figures of an :class:`~.grid.EnergyGrid` (pure, vectorised).

* :func:`usage`: energy per civil day or month (sums by :func:`openamr.headend.rollup.bucket_sums`,
  the roll-ups' one implementation), with the intervals expected and present and each bucket's
  peak 15-minute demand.  A bucket with no data has ``energy_wh`` NaN (``null`` in JSON): a gap
  is never shown as zero use.
* :func:`load_profile`: the average day, by local clock hour, for weekdays, weekends and all
  days: the mean power [W] over the intervals present in that hour.
* :func:`heatmap`: energy per civil day × wall-clock quarter-hour (96 columns).
* :func:`peak_demand`: the highest 15-minute demand [W] (energy × 3600 / 900) and when.
* :func:`change`: a total against a reference total (previous period, similar units).
* :func:`floor_area_band`: the band of a floor area, for "similar units".

Demand here is the interval's average power, the 15-minute block demand of the interval data;
the meter's own demand register (a rolling 15-minute window, ``openamr.field.meter.demand``)
can read higher.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.headend.energy.grid import EnergyGrid
from openamr.headend.rollup import bucket_sums
from openamr.timeutil import SLOTS_PER_WALL_DAY, local_period_edges_s, site_zone
from openamr.units import INTERVAL_LENGTH_S, S_PER_H

__all__ = [
    "DEMAND_PER_WH",
    "FLOOR_AREA_BANDS_M2",
    "Change",
    "Heatmap",
    "LoadProfile",
    "PeakDemand",
    "Usage",
    "change",
    "floor_area_band",
    "heatmap",
    "load_profile",
    "peak_demand",
    "usage",
]

DEMAND_PER_WH = S_PER_H / INTERVAL_LENGTH_S
"""15-minute demand [W] per Wh of interval energy (4)."""

FLOOR_AREA_BANDS_M2: tuple[float, ...] = (0.0, 50.0, 100.0, 150.0, 250.0, 500.0, 1000.0,
                                          math.inf)
"""Edges of the floor-area bands [m²]: ``[0, 50)``, ``[50, 100)`` … ``[1000, inf)``.

An assumption of openamr (no standard defines them): apartments of one building fall in one or
two bands, offices and shops further up."""


@dataclass(frozen=True)
class Usage:
    """Energy per bucket ``[start_s[i], end_s[i])`` (civil days or months of the grid)."""

    period: str
    """``daily`` or ``monthly``."""
    start_s: npt.NDArray[np.int64]
    end_s: npt.NDArray[np.int64]
    energy_wh: npt.NDArray[np.float64]
    """Energy of the intervals present [Wh]; NaN when none is."""
    intervals_expected: npt.NDArray[np.int64]
    """Quarter-hours of the bucket (92/96/100 a day)."""
    intervals_present: npt.NDArray[np.int64]
    """Quarter-hours for which every meter of the group reported."""
    peak_demand_w: npt.NDArray[np.float64]
    """Highest 15-minute demand of the bucket [W]; NaN without data."""
    peak_start_s: npt.NDArray[np.int64]
    """Start of that interval [UTC epoch s]; -1 without data."""

    def __len__(self) -> int:
        return int(self.start_s.size)


@dataclass(frozen=True)
class LoadProfile:
    """The average day by local clock hour (0–23): mean power [W] over the intervals present.

    ``NaN`` where no interval of that hour and day type is present.  Weekend = Saturday and
    Sunday of the site's calendar (public holidays count as their weekday)."""

    weekday_power_w: npt.NDArray[np.float64]
    weekend_power_w: npt.NDArray[np.float64]
    all_power_w: npt.NDArray[np.float64]


@dataclass(frozen=True)
class Heatmap:
    """Energy [Wh] per civil day (rows) × wall-clock quarter-hour (96 columns).

    On a fall-back day the repeated hour's two intervals add into the same four cells; on a
    spring-forward day the skipped hour's cells stay NaN.  A cell with no data is NaN.  The
    cells sum to the grid's total."""

    energy_wh: npt.NDArray[np.float64]


@dataclass(frozen=True)
class PeakDemand:
    """The highest 15-minute demand of a range and the interval it happened in."""

    demand_w: float
    start_s: int
    """Start of the interval [UTC epoch s]."""


@dataclass(frozen=True)
class Change:
    """A total against a reference: ``change_wh = energy_wh - reference_wh``."""

    energy_wh: float
    reference_wh: float
    change_wh: float
    change_pct: float | None
    """``100 * change / reference``; None when the reference is 0 or missing."""


def _bucket_peaks(grid: EnergyGrid, edges_s: npt.NDArray[np.int64]
                  ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Peak demand [W] and its start per bucket of ``edges_s`` (edges on the grid)."""
    buckets = edges_s.size - 1
    peak = np.full(buckets, np.nan)
    when = np.full(buckets, -1, dtype=np.int64)
    if buckets <= 0 or len(grid) == 0:
        return peak, when
    demand = grid.energy_wh * DEMAND_PER_WH
    finite = np.isfinite(demand)
    filled = np.where(finite, demand, -np.inf)
    start_s = grid.calendar.start_s
    index = ((edges_s[:-1] - start_s[0]) // INTERVAL_LENGTH_S).astype(np.int64)
    lengths = np.diff(edges_s) // INTERVAL_LENGTH_S
    nonempty = lengths > 0
    maxima = np.maximum.reduceat(filled, index[nonempty])
    has = np.isfinite(maxima)
    rows = np.flatnonzero(nonempty)[has]
    peak[rows] = maxima[has]
    # the first interval of each bucket that reaches its maximum
    bucket_of = np.searchsorted(edges_s, start_s, side="right") - 1
    hit = np.flatnonzero(finite & (filled == peak[bucket_of]))
    first = np.unique(bucket_of[hit], return_index=True)
    when[first[0]] = start_s[hit[first[1]]]
    return peak, when


def usage(grid: EnergyGrid, period: str) -> Usage:
    """Energy per civil ``daily`` or ``monthly`` bucket of the grid (months clipped to it)."""
    cal = grid.calendar
    if period == "daily":
        edges = cal.day_edges_s
    else:
        lo_s, hi_s = int(cal.day_edges_s[0]), int(cal.day_edges_s[-1])
        months = local_period_edges_s(lo_s, hi_s, site_zone(cal.timezone), "monthly")
        edges = np.unique(np.clip(months, lo_s, hi_s)).astype(np.int64)
    sums, _ = bucket_sums(cal.start_s, grid.energy_wh, edges)
    complete = ((grid.meters_present > 0)
                & (grid.meters_present >= grid.meters)).astype(np.float64)
    present, _ = bucket_sums(cal.start_s, complete, edges)
    any_data, _ = bucket_sums(cal.start_s, (grid.meters_present > 0).astype(np.float64), edges)
    peak, when = _bucket_peaks(grid, edges)
    return Usage(period=period, start_s=edges[:-1], end_s=edges[1:],
                 energy_wh=np.where(any_data > 0, sums, np.nan),
                 intervals_expected=(np.diff(edges) // INTERVAL_LENGTH_S).astype(np.int64),
                 intervals_present=present.astype(np.int64),
                 peak_demand_w=peak, peak_start_s=when)


def load_profile(grid: EnergyGrid) -> LoadProfile:
    """The average day of the grid by local clock hour (see :class:`LoadProfile`)."""
    finite = np.isfinite(grid.energy_wh)
    hour = grid.calendar.wall_slot[finite] // (SLOTS_PER_WALL_DAY // 24)
    weekend = (grid.calendar.weekday[finite] >= 5).astype(np.int64)
    energy = grid.energy_wh[finite]
    key = weekend * 24 + hour
    sums = np.bincount(key, weights=energy, minlength=48).reshape(2, 24)
    counts = np.bincount(key, minlength=48).reshape(2, 24).astype(np.float64)
    hours_per_interval = INTERVAL_LENGTH_S / S_PER_H
    with np.errstate(invalid="ignore", divide="ignore"):
        by_type = np.where(counts > 0, sums / (counts * hours_per_interval), np.nan)
        total = counts.sum(axis=0)
        every = np.where(total > 0, sums.sum(axis=0) / (total * hours_per_interval), np.nan)
    return LoadProfile(weekday_power_w=by_type[0], weekend_power_w=by_type[1],
                       all_power_w=every)


def heatmap(grid: EnergyGrid) -> Heatmap:
    """Energy per civil day × wall-clock quarter-hour (see :class:`Heatmap`)."""
    cal = grid.calendar
    finite = np.isfinite(grid.energy_wh)
    cells = cal.days * SLOTS_PER_WALL_DAY
    key = cal.day_index[finite] * SLOTS_PER_WALL_DAY + cal.wall_slot[finite]
    sums = np.bincount(key, weights=grid.energy_wh[finite], minlength=cells)
    counts = np.bincount(key, minlength=cells)
    matrix = np.where(counts > 0, sums, np.nan).reshape(cal.days, SLOTS_PER_WALL_DAY)
    return Heatmap(energy_wh=matrix)


def peak_demand(grid: EnergyGrid) -> PeakDemand | None:
    """The highest 15-minute demand of the grid (the earliest if tied), None without data."""
    finite = np.isfinite(grid.energy_wh)
    if not finite.any():
        return None
    filled = np.where(finite, grid.energy_wh, -np.inf)
    i = int(np.argmax(filled))
    return PeakDemand(demand_w=float(filled[i] * DEMAND_PER_WH),
                      start_s=int(grid.calendar.start_s[i]))


def change(energy_wh: float, reference_wh: float) -> Change:
    """``energy_wh`` against ``reference_wh`` (NaN reference: no data to compare with)."""
    diff = energy_wh - reference_wh
    pct = None
    if math.isfinite(reference_wh) and reference_wh != 0 and math.isfinite(diff):
        pct = 100.0 * diff / reference_wh
    return Change(energy_wh=energy_wh, reference_wh=reference_wh, change_wh=diff,
                  change_pct=pct)


def floor_area_band(floor_area_m2: float | None) -> tuple[float, float] | None:
    """The band ``[lo, hi)`` of :data:`FLOOR_AREA_BANDS_M2` holding the area, None if unknown."""
    if floor_area_m2 is None or not math.isfinite(floor_area_m2) or floor_area_m2 <= 0:
        return None
    edges = FLOOR_AREA_BANDS_M2
    i = int(np.searchsorted(np.asarray(edges), floor_area_m2, side="right")) - 1
    return edges[i], edges[i + 1]
