"""The energy of a group of meters on the local 15-minute grid of a date range.

An :class:`EnergyGrid` holds the :class:`openamr.timeutil.LocalGrid` of the civil dates
``[first_day, end_day)`` of a time zone (every slot of those days in order, with its civil day,
wall-clock quarter-hour and weekday: days are 92, 96 or 100 slots long) and, per slot, the sum
of the group's meters (NaN where none reported) and how many reported.

Built from long-format rows (one row per meter and interval, e.g. ``Store.get_intervals_bulk``)
with ``bincount``: memory is one float per slot whatever the number of meters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.timeutil import LocalGrid, local_day_bounds_s, local_grid, site_zone
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["MAX_DAYS", "EnergyGrid", "energy_grid"]

MAX_DAYS = 3 * 366 + 1
"""The longest range a grid covers [days] (bounds memory and answers)."""


@dataclass(frozen=True)
class EnergyGrid:
    """Interval energy of a group of meters, slot by slot of a local grid."""

    calendar: LocalGrid
    """The slots and their civil days and wall-clock quarter-hours."""
    meters: int
    """How many meters the group has (a slot is complete when all reported)."""
    energy_wh: npt.NDArray[np.float64]
    """Energy of the slot [Wh], summed over the meters that reported; NaN when none did."""
    meters_present: npt.NDArray[np.int64]
    """How many of the group's meters reported the slot."""

    def __len__(self) -> int:
        return len(self.calendar)


def energy_grid(timezone: str, first_day: date, end_day: date, *,
                interval_start_s: npt.ArrayLike = (), energy_wh: npt.ArrayLike = (),
                meters: int = 1) -> EnergyGrid:
    """The grid of the civil dates ``[first_day, end_day)`` in ``timezone`` with long-format
    rows summed in.

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
    calendar = local_grid(lo_s, local_day_bounds_s(end_day, zone)[0], timezone)
    n = len(calendar)
    starts = np.asarray(interval_start_s, dtype=np.int64).ravel()
    energy = np.asarray(energy_wh, dtype=np.float64).ravel()
    if starts.shape != energy.shape:
        raise InputError(f"{starts.size} interval starts but {energy.size} energies")
    slot = (starts - lo_s) // INTERVAL_LENGTH_S
    keep = ((starts - lo_s) % INTERVAL_LENGTH_S == 0) & (slot >= 0) & (slot < n) \
        & np.isfinite(energy)
    sums = np.bincount(slot[keep], weights=energy[keep], minlength=n)
    present = np.bincount(slot[keep], minlength=n).astype(np.int64)
    return EnergyGrid(calendar=calendar, meters=int(meters),
                      energy_wh=np.where(present > 0, sums, np.nan), meters_present=present)
