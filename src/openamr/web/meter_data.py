"""What the meter page shows, read from the store and shaped for the charts.

* intervals of the last ``days`` days as parallel lists (UTC epoch s, Wh) for the zoomable
  interval chart;
* daily and monthly energy in the site's local calendar (:func:`openamr.headend.rollup.rollup`),
  a bucket with no interval at all is ``None`` (a gap, not zero use);
* a heatmap: one row per local day, one column per local quarter-hour of the day (96), energy
  [Wh] or ``None``; the repeated hour of a fall-back day adds its second quarter-hours to the
  same columns, the skipped hour of a spring-forward day stays empty;
* the latest register read, TOU registers and temperatures where the store holds them;
* events of the meter's MDT and interval flags/qualities other than ``measured``.

Sections whose data does not exist are ``None`` and the page leaves them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from openamr.frames import IntervalFlag
from openamr.headend.rollup import rollup
from openamr.headend.store.base import EventRow, Meter, Store
from openamr.headend.store.vee_rows import VeeFinding
from openamr.headend.vee import interval_series
from openamr.timeutil import site_zone, utc_offsets_s
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["FLAG_ROWS", "MeterView", "meter_view"]

DAY_S = 86_400
FLAG_ROWS = 200
"""At most this many flagged intervals are listed one by one."""


@dataclass(frozen=True)
class MeterView:
    """Everything the meter page draws; a ``None`` section is left out."""

    meter: Meter
    timezone: str
    intervals: dict[str, list[Any]]
    """``{"t_s": [...], "energy_wh": [...]}`` (UTC epoch s, Wh)."""
    daily: dict[str, list[Any]]
    """``{"start_s": [...], "energy_wh": [... or None], "present": [...], "expected": [...]}``."""
    monthly: dict[str, list[Any]]
    heatmap: dict[str, Any]
    """``{"days": ["YYYY-MM-DD" ...], "energy_wh": [[96 values or None] ...]}``."""
    register_wh: float | None
    register_t_s: int | None
    tou_wh: dict[str, float] | None
    """Per-period TOU registers of the latest read (TOU MDTs, when the store serves them)."""
    temperature: dict[str, list[Any]] | None
    """``{"t_s": [...], "temperature_c": [...]}`` (temperature variants)."""
    events: list[EventRow]
    flags: list[dict[str, Any]] = field(default_factory=list)
    """Intervals whose quality is not ``measured`` or that carry flags (the first
    :data:`FLAG_ROWS`)."""
    flag_counts: dict[str, int] = field(default_factory=dict)
    """Intervals per non-measured quality and per flag name (``tou_stale`` ...)."""
    view: str = "raw"
    """``raw`` or ``validated``: which intervals the charts show."""
    validated: bool = False
    """VEE has validated some of this meter's intervals (the page offers the validated view)."""
    vee_findings: list[VeeFinding] = field(default_factory=list)
    """VEE's findings over the page's range (``vee.gap``, ``vee.spike`` ...)."""


def _none_if_nan(values: np.ndarray) -> list[float | None]:
    return [None if v != v else round(float(v), 3) for v in values.tolist()]


def meter_view(store: Store, meter: Meter, timezone: str, now_s: int, *, days: int = 35,
               view: str = "raw") -> MeterView:
    """Read and shape one meter's page (see the module docstring); ``view`` is ``raw`` (as
    measured) or ``validated`` (VEE's estimates and edits in place, ``openamr.headend.vee``)."""
    end_s = now_s - now_s % INTERVAL_LENGTH_S + INTERVAL_LENGTH_S
    start_s = end_s - days * DAY_S
    site = meter.site_id
    arr = interval_series(store, meter.meter_id, start_s, end_s, view=view, site_id=site)
    t = arr.start_s.astype(np.int64)
    e = arr.energy_wh.astype(np.float64)
    intervals = {"t_s": t.tolist(), "energy_wh": [round(float(v), 3) for v in e.tolist()]}

    year_s = end_s - 400 * DAY_S
    d = rollup(t, e, start_s=start_s, end_s=end_s, period="daily", timezone=timezone)
    daily = {"start_s": d.start_s.tolist(),
             "energy_wh": _none_if_nan(np.where(d.intervals_present > 0, d.energy_wh, np.nan)),
             "present": d.intervals_present.tolist(), "expected": d.intervals_expected.tolist()}
    long = (interval_series(store, meter.meter_id, year_s, end_s, view=view, site_id=site)
            if days < 400 else arr)
    m = rollup(long.start_s, long.energy_wh, start_s=max(year_s, int(long.start_s[0])
                                                         if len(long) else end_s - DAY_S),
               end_s=end_s, period="monthly", timezone=timezone)
    monthly = {"start_s": m.start_s.tolist(),
               "energy_wh": _none_if_nan(np.where(m.intervals_present > 0, m.energy_wh, np.nan)),
               "present": m.intervals_present.tolist(), "expected": m.intervals_expected.tolist()}

    heatmap: dict[str, Any] = {"days": [], "energy_wh": []}
    if len(t):
        local = t + utc_offsets_s(t, site_zone(timezone))
        day_index = local // DAY_S
        col = (local % DAY_S) // INTERVAL_LENGTH_S
        first = int(day_index.min())
        n_days = int(day_index.max()) - first + 1
        shape = (n_days, DAY_S // INTERVAL_LENGTH_S)
        rows = day_index - first
        filled = np.zeros(shape)
        seen = np.zeros(shape, dtype=bool)
        np.add.at(filled, (rows, col), e)
        seen[rows, col] = True
        grid = np.where(seen, filled, np.nan)
        heatmap = {"days": [str(np.datetime64(int(first + i), "D")) for i in range(n_days)],
                   "energy_wh": [_none_if_nan(r) for r in grid]}

    reads = store.get_register_reads(meter.meter_id, site_id=site)
    register_wh = float(reads.register_wh[-1]) if len(reads) else None
    register_t_s = int(reads.t_s[-1]) if len(reads) else None
    tou_wh = _tou(reads)
    temperature = _temperature(arr)
    events = store.list_events(site_id=site, meter_id=meter.meter_id, limit=50)
    marked = np.flatnonzero((arr.quality != "measured") | (arr.flags != 0))
    flags = [{"t_s": int(t[i]), "quality": str(arr.quality[i]), "flags": int(arr.flags[i])}
             for i in marked[:FLAG_ROWS]]
    flag_counts = _flag_counts(arr.quality, arr.flags)
    findings = store.list_vee_findings(site_id=site, meter_id=meter.meter_id, start_s=start_s,
                                       end_s=end_s, limit=FLAG_ROWS)
    validated = bool(store.get_vee_coverage(store.meter_key(meter.meter_id, site_id=site)))
    return MeterView(meter, timezone, intervals, _trim(daily), _trim(monthly), heatmap,
                     register_wh, register_t_s, tou_wh, temperature, events, flags, flag_counts,
                     view, validated, findings)


def _trim(buckets: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Buckets from the first one holding data (leading empty buckets dropped)."""
    first = next((i for i, n in enumerate(buckets["present"]) if n), len(buckets["present"]))
    return {k: v[first:] for k, v in buckets.items()}


def _flag_counts(quality: np.ndarray, flags: np.ndarray) -> dict[str, int]:
    """How many intervals carry each non-measured quality and each flag bit."""
    out: dict[str, int] = {}
    for q in np.unique(quality):
        if q != "measured":
            out[f"quality {q}"] = int((quality == q).sum())
    for bit in IntervalFlag:
        if bit and bit.name:
            n = int(((flags & int(bit)) != 0).sum())
            if n:
                out[bit.name.lower()] = n
    return out


def _tou(reads: Any) -> dict[str, float] | None:
    """TOU registers of the latest read, if the store's reads carry them (``tou_wh``)."""
    tou = getattr(reads, "tou_wh", None)
    if tou is None or len(tou) == 0:
        return None
    last = tou[-1]
    if not last:
        return None
    return {str(k): float(v) for k, v in dict(last).items()}


def _temperature(arr: Any) -> dict[str, list[Any]] | None:
    """Interval temperatures, if the store's intervals carry them (``temperature_c``)."""
    temp = getattr(arr, "temperature_c", None)
    if temp is None:
        return None
    values = np.asarray(temp, dtype=np.float64)
    keep = np.isfinite(values)
    if not keep.any():
        return None
    return {"t_s": arr.start_s[keep].tolist(),
            "temperature_c": [round(float(v), 2) for v in values[keep].tolist()]}
