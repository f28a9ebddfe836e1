"""The local 15-minute grid of a date range: every interval of the site's civil days, in order.

A :class:`LocalGrid` covers the civil dates ``[first_day, end_day)`` of a time zone.  Slot ``i``
is the interval ``[start_s[i], start_s[i] + 900)`` [UTC epoch s]; ``energy_wh[i]`` is the sum of
the group's meters in that slot (NaN where none reported), ``meters_present[i]`` how many
reported.  Each slot knows its civil day (``day_index``), its wall-clock quarter-hour
(``wall_slot``, 0–95: the position on the local clock, so the repeated hour of a fall-back day
maps twice onto the same four slots and the skipped hour of a spring-forward day onto none) and
the weekday of its day.  Days are 92, 96 or 100 slots long (``openamr.timeutil``).

Built from long-format rows (one row per meter and interval, e.g. ``Store.get_intervals_bulk``)
with ``bincount``: memory is one float per slot whatever the number of meters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.timeutil import local_day_bounds_s, local_period_edges_s, site_zone, utc_offsets_s
from openamr.units import INTERVAL_LENGTH_S, S_PER_DAY

__all__ = ["SLOTS_PER_WALL_DAY", "LocalGrid", "local_grid"]

SLOTS_PER_WALL_DAY = S_PER_DAY // INTERVAL_LENGTH_S
"""Wall-clock quarter-hours of a day (96): the columns of a heatmap."""

MAX_DAYS = 3 * 366 + 1
"""The longest range a grid covers [days] (bounds memory and answers)."""


@dataclass(frozen=True)
class LocalGrid:
    """Interval energy of a group of meters on the local grid of ``[first_day, end_day)``."""

    timezone: str
    first_day: date
    end_day: date
    """The day after the last day (exclusive)."""
    meters: int
    """How many meters the group has (a slot is complete when all reported)."""
    start_s: npt.NDArray[np.int64]
    """Slot starts [UTC epoch s]."""
    energy_wh: npt.NDArray[np.float64]
    """Energy of the slot [Wh], summed over the meters that reported; NaN when none did."""
    meters_present: npt.NDArray[np.int64]
    """How many of the group's meters reported the slot."""
    day_edges_s: npt.NDArray[np.int64]
    """``days + 1`` edges [UTC epoch s]: day ``d`` is ``[day_edges_s[d], day_edges_s[d + 1])``."""
    day_index: npt.NDArray[np.int64]
    """Civil day of each slot (0 = ``first_day``)."""
    wall_slot: npt.NDArray[np.int64]
    """Wall-clock quarter-hour of each slot's start (0 = 00:00–00:15 local, … 95)."""
    offset_s: npt.NDArray[np.int64]
    """UTC offset of each slot's start [s] (local wall time = start_s + offset_s)."""

    @property
    def days(self) -> int:
        """How many civil days the grid covers."""
        return int(self.day_edges_s.size - 1)

    @property
    def dates(self) -> list[date]:
        """The civil days, in order."""
        return [self.first_day + timedelta(days=d) for d in range(self.days)]

    @property
    def weekday(self) -> npt.NDArray[np.int64]:
        """Weekday of each slot's civil day (0 = Monday … 6 = Sunday)."""
        first = self.first_day.weekday()
        day_weekday = (np.arange(self.days, dtype=np.int64) + first) % 7
        result: npt.NDArray[np.int64] = day_weekday[self.day_index]
        return result

    def __len__(self) -> int:
        return int(self.start_s.size)


def local_grid(timezone: str, first_day: date, end_day: date, *,
               interval_start_s: npt.ArrayLike = (), energy_wh: npt.ArrayLike = (),
               meters: int = 1) -> LocalGrid:
    """The grid of ``[first_day, end_day)`` in ``timezone`` with long-format rows summed in.

    Rows outside the range, off the 15-minute grid or with a non-finite energy are ignored.
    ``meters``: the size of the group (for ``meters_present``).  ``InputError`` when the range
    is empty or longer than :data:`MAX_DAYS`.
    """
    if end_day <= first_day:
        raise InputError(f"the range ends ({end_day}) before it starts ({first_day})",
                         where="to")
    if (end_day - first_day).days > MAX_DAYS:
        raise InputError(f"at most {MAX_DAYS} days at a time", where="to")
    zone = site_zone(timezone)
    lo_s = local_day_bounds_s(first_day, zone)[0]
    hi_s = local_day_bounds_s(end_day, zone)[0]
    day_edges = local_period_edges_s(lo_s, hi_s, zone, "daily")
    grid = np.arange(lo_s, hi_s, INTERVAL_LENGTH_S, dtype=np.int64)
    n = grid.size
    starts = np.asarray(interval_start_s, dtype=np.int64).ravel()
    energy = np.asarray(energy_wh, dtype=np.float64).ravel()
    if starts.shape != energy.shape:
        raise InputError(f"{starts.size} interval starts but {energy.size} energies")
    slot = (starts - lo_s) // INTERVAL_LENGTH_S
    keep = ((starts - lo_s) % INTERVAL_LENGTH_S == 0) & (slot >= 0) & (slot < n) \
        & np.isfinite(energy)
    sums = np.bincount(slot[keep], weights=energy[keep], minlength=n)
    present = np.bincount(slot[keep], minlength=n).astype(np.int64)
    offsets = utc_offsets_s(grid, zone)
    return LocalGrid(
        timezone=timezone, first_day=first_day, end_day=end_day, meters=int(meters),
        start_s=grid, energy_wh=np.where(present > 0, sums, np.nan),
        meters_present=present, day_edges_s=day_edges,
        day_index=(np.searchsorted(day_edges, grid, side="right") - 1).astype(np.int64),
        wall_slot=(((grid + offsets) % S_PER_DAY) // INTERVAL_LENGTH_S).astype(np.int64),
        offset_s=offsets)
