"""Synthetic interval data for the VEE tests: a daily load shape, register reads, holes."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt

from openamr.headend.store import IntervalBatch, Meter, Site, Store
from openamr.timeutil import local_day_bounds_s, site_zone, utc_offsets_s

ZONE = "America/Los_Angeles"
FIRST_DAY = date(2026, 2, 1)
"""Four weeks of history before the DST change of 8 March 2026."""


def load_shape(starts: npt.NDArray[np.int64], timezone: str = ZONE) -> npt.NDArray[np.float64]:
    """A whole-Wh daily shape (40..160 Wh per quarter-hour), the same every day by local
    wall-clock time (so like days match across a DST change)."""
    wall = starts + utc_offsets_s(starts, site_zone(timezone))
    phase = (wall % 86_400) / 86_400
    return np.round(100 + 60 * np.sin(2 * np.pi * phase)).astype(np.float64)


def seed_meter(store: Store, meter_id: str = "m1", *, days: int = 42,
               drop: npt.NDArray[np.bool_] | None = None,
               energy: npt.NDArray[np.float64] | None = None,
               flags: int | npt.NDArray[np.int64] = 0,
               register_every: int = 0, timezone: str = ZONE,
               max_power_w: float = 60_720.0) -> tuple[npt.NDArray[np.int64],
                                                      npt.NDArray[np.float64]]:
    """Store ``days`` days of intervals from :data:`FIRST_DAY` (minus ``drop``); register reads
    every ``register_every`` intervals (0: none).  Returns the full grid and the true energy."""
    if store.get_site("s1") is None:
        store.upsert_site(Site("s1", "test", timezone))
    store.upsert_meter(Meter(meter_id, "s1", kh_wh=10.0, max_power_w=max_power_w))
    zone = site_zone(timezone)
    lo = local_day_bounds_s(FIRST_DAY, zone)[0]
    starts = lo + 900 * np.arange(days * 96, dtype=np.int64)
    true = load_shape(starts, timezone) if energy is None else energy
    keep = np.ones(starts.size, dtype=bool) if drop is None else ~drop
    flag_arr = np.broadcast_to(np.asarray(flags, dtype=np.int64), starts.shape)
    store.put_intervals(IntervalBatch(meter_id, starts[keep], true[keep], flags=flag_arr[keep]))
    if register_every:
        ends = np.arange(0, starts.size + 1, register_every)
        cumulative = np.concatenate(([0.0], np.cumsum(true)))
        store.put_register_reads(meter_id, lo + 900 * ends, 5_000_000.0 + cumulative[ends])
    return starts, true
