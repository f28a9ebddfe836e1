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
from datetime import timedelta
from typing import Any

import numpy as np

from openamr.frames import IntervalFlag
from openamr.headend.energy import energy_grid
from openamr.headend.energy import heatmap as energy_heatmap
from openamr.headend.rollup import rollup
from openamr.headend.store.base import EventRow, Meter, Store
from openamr.headend.store.vee_rows import VeeFinding
from openamr.headend.tou import tou_by_read
from openamr.headend.variants import has_temperature, has_tou
from openamr.headend.vee import interval_series
from openamr.timeutil import local_date, site_zone
from openamr.units import INTERVAL_LENGTH_S, S_PER_DAY

__all__ = ["FLAG_ROWS", "MeterView", "meter_view"]

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
    start_s = end_s - days * S_PER_DAY
    site = meter.site_id
    arr = interval_series(store, meter.meter_id, start_s, end_s, view=view, site_id=site)
    t = arr.start_s.astype(np.int64)
    e = arr.energy_wh.astype(np.float64)
    intervals = {"t_s": t.tolist(), "energy_wh": [round(float(v), 3) for v in e.tolist()]}

    year_s = end_s - 400 * S_PER_DAY
    d = rollup(t, e, start_s=start_s, end_s=end_s, period="daily", timezone=timezone)
    daily = {"start_s": d.start_s.tolist(),
             "energy_wh": _none_if_nan(np.where(d.intervals_present > 0, d.energy_wh, np.nan)),
             "present": d.intervals_present.tolist(), "expected": d.intervals_expected.tolist()}
    long = (interval_series(store, meter.meter_id, year_s, end_s, view=view, site_id=site)
            if days < 400 else arr)
    m = rollup(long.start_s, long.energy_wh, start_s=max(year_s, int(long.start_s[0])
                                                         if len(long) else end_s - S_PER_DAY),
               end_s=end_s, period="monthly", timezone=timezone)
    monthly = {"start_s": m.start_s.tolist(),
               "energy_wh": _none_if_nan(np.where(m.intervals_present > 0, m.energy_wh, np.nan)),
               "present": m.intervals_present.tolist(), "expected": m.intervals_expected.tolist()}

    heatmap = _heatmap(t, e, timezone)

    reads = store.get_register_reads(meter.meter_id, site_id=site)
    register_wh = float(reads.register_wh[-1]) if len(reads) else None
    register_t_s = int(reads.t_s[-1]) if len(reads) else None
    tou_wh = _tou(store, meter, reads.t_s)
    temperature = _temperature(store, meter, start_s, end_s)
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


def _heatmap(t_s: np.ndarray, energy_wh: np.ndarray, timezone: str) -> dict[str, Any]:
    """The energy reports' heatmap (:func:`openamr.headend.energy.heatmap`) of the civil days
    from the first to the last interval shown: ``{"days": [...], "energy_wh": [[96] ...]}``."""
    if not len(t_s):
        return {"days": [], "energy_wh": []}
    zone = site_zone(timezone)
    first_day = local_date(int(t_s.min()), zone)
    end_day = local_date(int(t_s.max()), zone) + timedelta(days=1)
    grid = energy_grid(timezone, first_day, end_day, interval_start_s=t_s, energy_wh=energy_wh)
    return {"days": [d.isoformat() for d in grid.calendar.dates],
            "energy_wh": [_none_if_nan(row) for row in energy_heatmap(grid).energy_wh]}


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


def _tou(store: Store, meter: Meter, t_s: np.ndarray) -> dict[str, float] | None:
    """The TOU registers [Wh] of the latest register read, named by the site's periods
    (:func:`openamr.headend.tou.tou_by_read`), when the meter is a TOU variant."""
    if not len(t_s) or not has_tou(meter.model):
        return None
    latest = tou_by_read(store, meter, np.asarray(t_s[-1:], dtype=np.int64))[0]
    return {str(k): float(v) for k, v in latest.items()} if latest else None


def _temperature(store: Store, meter: Meter, start_s: int, end_s: int
                 ) -> dict[str, list[Any]] | None:
    """Interval temperatures [degC] of the temperature variants (D02, E02)."""
    if not has_temperature(meter.model):
        return None
    temps = store.get_temperatures(meter.meter_id, start_s, end_s, site_id=meter.site_id)
    if not len(temps):
        return None
    return {"t_s": temps.start_s.tolist(),
            "temperature_c": [round(float(v), 2) for v in temps.temperature_c.tolist()]}
