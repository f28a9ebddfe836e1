"""The validated view: raw intervals with VEE's estimates, edits and flags laid over them.

Raw data is never changed; the validated value of an interval is its ``vee_intervals`` row
when there is one (an estimate, an edit, or the raw value flagged ``failed_validation``), else
the raw interval.  :func:`validated_intervals` is the door for billing: many meters on one
grid, energy and quality as numpy arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.headend.store.base import QUALITIES, IntervalArrays, Store
from openamr.headend.vee.grid import MISSING, load_raw_grid, overlay

__all__ = ["ESTIMATED_QUALITIES", "VIEWS", "ValidatedIntervals", "covered_mask",
           "interval_series", "validated_intervals"]

VIEWS: tuple[str, ...] = ("raw", "validated")

ESTIMATED_QUALITIES: frozenset[str] = frozenset({"estimated", "estimated_linear",
                                                 "estimated_like_day", "derived"})
"""Qualities of values that were not measured as such (a statement flags them)."""

_QUALITY_NAMES = np.array([*QUALITIES, ""])  # index -1 (MISSING) -> ""


@dataclass(frozen=True, slots=True)
class ValidatedIntervals:
    """Intervals of many meters on one 900-s grid (row ``m`` is ``meter_ids[m]``)."""

    meter_ids: tuple[str, ...]
    start_s: npt.NDArray[np.int64]
    """Interval starts [UTC epoch s], every 900 s, ``[start, end)`` of the request."""
    energy_wh: npt.NDArray[np.float64]
    """``(meters, intervals)`` validated energy [Wh]; NaN where no value exists."""
    quality: npt.NDArray[np.int8]
    """``(meters, intervals)`` index into ``QUALITIES``; -1 where no value exists."""

    @property
    def estimated(self) -> npt.NDArray[np.bool_]:
        """``(meters, intervals)``: True where the value was estimated (not measured)."""
        codes = [QUALITIES.index(q) for q in sorted(ESTIMATED_QUALITIES)]
        mask: npt.NDArray[np.bool_] = np.isin(self.quality, codes)
        return mask

    @property
    def missing(self) -> npt.NDArray[np.bool_]:
        """``(meters, intervals)``: True where there is no value at all."""
        mask: npt.NDArray[np.bool_] = np.equal(self.quality, MISSING)
        return mask

    def quality_names(self, row: int) -> npt.NDArray[np.str_]:
        """Quality codes of one meter as names (``""`` where missing)."""
        names: npt.NDArray[np.str_] = _QUALITY_NAMES[self.quality[row]]
        return names


def validated_intervals(store: Store, meter_ids: Sequence[str], start_s: int, end_s: int, *,
                        site_id: str | None = None,
                        view: Literal["raw", "validated"] = "validated") -> ValidatedIntervals:
    """The ``view`` of ``meter_ids``' intervals in ``[start_s, end_s)`` (widened to whole
    900-s intervals) as ``(meters, intervals)`` arrays.

    ``view="raw"`` gives the stored intervals as measured.  Unknown meters are a
    ``StoreError``; an empty range an ``InputError``.
    """
    if view not in VIEWS:
        raise InputError(f"unknown view {view!r} (use raw or validated)", where="view")
    grid = load_raw_grid(store, meter_ids, start_s, end_s, site_id=site_id)
    energy, quality = grid.energy_wh, grid.quality
    if view == "validated" and len(grid.meter_ids):
        hi = int(grid.start_s[-1]) + 1
        overlay(grid.start_s, grid.meter_keys, energy, quality,
                store.get_vee_rows(grid.meter_keys, int(grid.start_s[0]), hi))
    return ValidatedIntervals(grid.meter_ids, grid.start_s, energy, quality)


def interval_series(store: Store, meter_id: str, start_s: int | None, end_s: int | None, *,
                    view: str = "raw", site_id: str | None = None) -> IntervalArrays:
    """One meter's intervals in ``[start_s, end_s)`` as the API serves them: the stored rows
    (``raw``) or the validated ones (present values only, sorted by start)."""
    if view not in VIEWS:
        raise InputError(f"unknown view {view!r} (use raw or validated)", where="view")
    raw = store.get_intervals(meter_id, start_s, end_s, site_id=site_id)
    if view == "raw":
        return raw
    keys = store.meter_keys([meter_id], site_id=site_id)
    rows = store.get_vee_rows(keys, start_s, end_s)
    if len(rows) == 0:
        return raw
    starts = np.concatenate((raw.start_s, rows.start_s))
    energy = np.concatenate((raw.energy_wh, rows.energy_wh))
    quality = np.concatenate((raw.quality.astype(_QUALITY_NAMES.dtype),
                              _QUALITY_NAMES[rows.quality]))
    flags = np.concatenate((raw.flags, np.zeros(len(rows), dtype=np.int64)))
    # the VEE row wins: stable order puts it after the raw row; keep the last of each start
    order = np.argsort(starts, kind="stable")
    starts, energy, quality, flags = starts[order], energy[order], quality[order], flags[order]
    last = np.ones(starts.size, dtype=bool)
    last[:-1] = starts[1:] != starts[:-1]
    shadowed = np.zeros(starts.size, dtype=bool)  # a raw row followed by its VEE row
    shadowed[:-1] = ~last[:-1]
    flags[1:][shadowed[:-1]] = flags[:-1][shadowed[:-1]]  # the raw row's MDT flags stay
    raw_flags = flags[last]
    return IntervalArrays(starts[last], energy[last], quality[last], raw_flags)


def covered_mask(store: Store, meter_id: str, start_s: npt.NDArray[np.int64], *,
                 site_id: str | None = None) -> npt.NDArray[np.bool_]:
    """True for each interval start [UTC epoch s] inside a range VEE has validated for the
    meter (an interval there without a VEE row passed every rule)."""
    starts = np.asarray(start_s, dtype=np.int64)
    out = np.zeros(starts.size, dtype=bool)
    for lo, hi in store.get_vee_coverage(int(store.meter_keys([meter_id], site_id=site_id)[0])):
        out |= (starts >= lo) & (starts < hi)
    return out
