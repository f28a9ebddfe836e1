"""Interval data of many meters on one 900-s grid: the shape VEE and billing compute on.

A grid is ``meters x intervals`` (``energy_wh[m, i]`` is meter ``m``'s interval starting at
``start_s[i]``); a missing interval is ``NaN`` with quality ``-1``.  One meter-year is 35,040
columns (8 bytes each), so 1,000 meter-years are 280 MB of float64: callers that bill whole
sites go month by month.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.headend.store.base import QUALITIES, Store
from openamr.headend.store.vee_rows import VeeRows
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["MISSING", "RawGrid", "grid_edges", "load_raw_grid", "overlay"]

MISSING = -1
"""Quality of an interval that is not there (its energy is NaN)."""

_QUALITY_CODE = {name: i for i, name in enumerate(QUALITIES)}


def grid_edges(start_s: int, end_s: int) -> npt.NDArray[np.int64]:
    """The interval starts of ``[start_s, end_s)`` widened to whole 900-s intervals [UTC s]."""
    lo = (int(start_s) // INTERVAL_LENGTH_S) * INTERVAL_LENGTH_S
    hi = -(-int(end_s) // INTERVAL_LENGTH_S) * INTERVAL_LENGTH_S
    if hi <= lo:
        raise InputError(f"empty range [{start_s}, {end_s})", where="start/end")
    return np.arange(lo, hi, INTERVAL_LENGTH_S, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class RawGrid:
    """Raw (as stored) intervals of meters on a grid."""

    meter_ids: tuple[str, ...]
    meter_keys: npt.NDArray[np.int64]
    start_s: npt.NDArray[np.int64]
    """Interval starts [UTC epoch s], every 900 s."""
    energy_wh: npt.NDArray[np.float64]
    """``(meters, intervals)`` [Wh]; NaN where missing."""
    quality: npt.NDArray[np.int8]
    """``(meters, intervals)`` index into ``QUALITIES``; :data:`MISSING` where missing."""
    flags: npt.NDArray[np.int64]
    """``(meters, intervals)`` the MDT's ``IntervalFlag`` bits (0 where missing)."""


def meter_keys_of(store: Store, meter_ids: Sequence[str],
                  site_id: str | None = None) -> npt.NDArray[np.int64]:
    """The store's keys of ``meter_ids`` (of ``site_id`` when given)."""
    if site_id is None:
        return store.meter_keys(list(meter_ids))
    return store.meter_keys(list(meter_ids), site_id=site_id)  # type: ignore[call-arg,unused-ignore]


def load_raw_grid(store: Store, meter_ids: Sequence[str], start_s: int, end_s: int, *,
                  site_id: str | None = None) -> RawGrid:
    """Read the raw intervals of ``meter_ids`` in ``[start_s, end_s)`` onto a grid (one
    indexed range read per meter)."""
    ids = tuple(meter_ids)
    keys = meter_keys_of(store, ids, site_id)
    starts = grid_edges(start_s, end_s)
    lo, n = int(starts[0]), int(starts.size)
    energy = np.full((len(ids), n), np.nan, dtype=np.float64)
    quality = np.full((len(ids), n), MISSING, dtype=np.int8)
    flags = np.zeros((len(ids), n), dtype=np.int64)
    for m, mid in enumerate(ids):
        if site_id is None:
            raw = store.get_intervals(mid, lo, lo + n * INTERVAL_LENGTH_S)
        else:
            raw = store.get_intervals(mid, lo, lo + n * INTERVAL_LENGTH_S,  # type: ignore[call-arg,unused-ignore]
                                      site_id=site_id)
        offset = raw.start_s - lo
        ok = offset % INTERVAL_LENGTH_S == 0
        col = offset[ok] // INTERVAL_LENGTH_S
        energy[m, col] = raw.energy_wh[ok]
        names, inverse = np.unique(raw.quality[ok], return_inverse=True)
        codes = np.array([_QUALITY_CODE[str(q)] for q in names.tolist()], dtype=np.int8)
        quality[m, col] = codes[inverse] if len(names) else MISSING
        flags[m, col] = raw.flags[ok]
    return RawGrid(ids, keys, starts, energy, quality, flags)


def overlay(grid_start_s: npt.NDArray[np.int64], meter_keys: npt.NDArray[np.int64],
            energy_wh: npt.NDArray[np.float64], quality: npt.NDArray[np.int8],
            rows: VeeRows) -> None:
    """Write validated ``rows`` over a grid in place (rows outside the grid are ignored)."""
    if len(rows) == 0:
        return
    order = np.argsort(meter_keys, kind="stable")
    pos = np.searchsorted(meter_keys[order], rows.meter_key)
    pos = np.minimum(pos, len(order) - 1)
    known = meter_keys[order][pos] == rows.meter_key
    offset = rows.start_s - int(grid_start_s[0])
    col = offset // INTERVAL_LENGTH_S
    keep = known & (offset >= 0) & (col < grid_start_s.size) & (offset % INTERVAL_LENGTH_S == 0)
    row_index = order[pos[keep]]
    energy_wh[row_index, col[keep]] = rows.energy_wh[keep]
    quality[row_index, col[keep]] = rows.quality[keep].astype(np.int8)
