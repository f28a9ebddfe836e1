"""Estimation methods over a ``(meters, intervals)`` grid, vectorised across meters.

* :func:`linear_fill`: a straight line between the good intervals on either side of a short
  gap (IESO MDP_STD_0002 "point-to-point"; Itron IEE linear interpolation).  The line runs from
  the interval before the gap to the interval after it: with ``n`` missing intervals between
  values ``a`` and ``b``, the ``k``-th gets ``a + (b - a) k / (n + 1)``.
* :func:`like_day_fill`: the mean of the same local weekday and time of day in the previous
  weeks (IESO "historical", 3 weeks; Itron two-week like-day tables), using only good values
  (not estimates).  "Same local time" is computed in the site's zone, so a reference day on the
  other side of a DST change is matched by wall-clock time, not by UTC.
* Register scaling (:mod:`.registers`) then makes estimates agree with register reads.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from openamr.timeutil import site_zone, utc_offsets_s
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["WEEK_S", "like_day_columns", "like_day_fill", "linear_fill"]

WEEK_S = 7 * 86_400


def linear_fill(energy_wh: npt.NDArray[np.float64], good: npt.NDArray[np.bool_],
                max_gap: int) -> npt.NDArray[np.float64]:
    """Straight-line estimates for the cells of gaps of at most ``max_gap`` intervals with a
    good interval on both sides; NaN elsewhere (and on good cells)."""
    rows, cols = energy_wh.shape
    out = np.full((rows, cols), np.nan)
    if cols == 0 or max_gap <= 0:
        return out
    col = np.arange(cols, dtype=np.int64)
    prev = np.maximum.accumulate(np.where(good, col, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(good, col, cols)[:, ::-1], axis=1)[:, ::-1]
    fill = ~good & (prev >= 0) & (nxt < cols) & (nxt - prev - 1 <= max_gap)
    r, c = np.nonzero(fill)
    a, b = prev[r, c], nxt[r, c]
    ea, eb = energy_wh[r, a], energy_wh[r, b]
    out[r, c] = ea + (eb - ea) * (c - a) / (b - a)
    return out


def like_day_columns(grid_start_s: npt.NDArray[np.int64], timezone: str,
                     weeks: int) -> npt.NDArray[np.int64]:
    """``(weeks, intervals)``: for each grid column, the column of the same local weekday and
    wall-clock time ``k`` weeks earlier (``k = 1..weeks``), or -1 when it is off the grid or
    does not exist (a wall-clock time skipped by a DST change)."""
    zone = site_zone(timezone)
    t = np.asarray(grid_start_s, dtype=np.int64)
    out = np.full((weeks, t.size), -1, dtype=np.int64)
    if t.size == 0:
        return out
    offsets = utc_offsets_s(t, zone)
    wall = t + offsets
    for k in range(1, weeks + 1):
        guess = t - k * WEEK_S
        ref = wall - k * WEEK_S - utc_offsets_s(guess, zone)  # the same wall time, k weeks back
        ok = (utc_offsets_s(ref, zone) + ref) == wall - k * WEEK_S  # the wall time exists
        col = (ref - int(t[0])) // INTERVAL_LENGTH_S
        ok &= (col >= 0) & (col < t.size) & ((ref - int(t[0])) % INTERVAL_LENGTH_S == 0)
        out[k - 1, ok] = col[ok]
    return out


def like_day_fill(energy_wh: npt.NDArray[np.float64], good: npt.NDArray[np.bool_],
                  columns: npt.NDArray[np.int64], min_days: int) -> npt.NDArray[np.float64]:
    """Like-day estimates for every cell that is not good: the mean of the good values at
    ``columns`` (from :func:`like_day_columns`), where at least ``min_days`` exist; else NaN."""
    rows, cols = energy_wh.shape
    total = np.zeros((rows, cols))
    count = np.zeros((rows, cols), dtype=np.int64)
    for ref in columns:
        valid_ref = ref >= 0
        src = np.where(valid_ref, ref, 0)
        usable = good[:, src] & valid_ref[None, :]
        total += np.where(usable, energy_wh[:, src], 0.0)
        count += usable
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    return np.where(~good & (count >= min_days), mean, np.nan)
