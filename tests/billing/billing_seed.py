"""A small store for the billing tests: a Los Angeles site, three tenant meters, a master meter
and a PV meter with two months (July-August 2026) of 15-minute data and register reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from openamr.headend.store import IntervalBatch, Meter, Site, Store, open_store
from openamr.timeutil import epoch_s, parse_utc

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tariffs"
SITE = "s1"
ZONE = "America/Los_Angeles"
METERS = ("M-01", "M-02", "M-03")
MASTER = "MASTER"
PV = "PV-01"
PV_SITE = "s1-pv"
START_S = epoch_s(parse_utc("2026-07-01T07:00:00Z"))  # local midnight, 1 July (PDT)
DAYS = 62


def _load(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    hour = ((t % 96) / 4.0 - 7) % 24  # UTC -> local PDT hour
    kw = 0.3 + 0.5 * ((hour >= 16) & (hour < 21)) + rng.gamma(2.0, 0.1, n)
    return np.round(kw * 250 / 10) * 10


def seed_store(path: Path) -> Store:
    """Create and fill the store at ``path``."""
    return fill_store(open_store(str(path)))


def fill_store(store: Store) -> Store:
    """Fill an empty store (either backend)."""
    store.upsert_site(Site(SITE, "Example Court", ZONE))
    n = DAYS * 96
    starts = START_S + 900 * np.arange(n, dtype=np.int64)
    total = np.zeros(n)
    for i, meter_id in enumerate(METERS):
        store.upsert_meter(Meter(meter_id, SITE))
        energy = _load(i + 1, n)
        quality = np.zeros(n, dtype=np.int64)
        if meter_id == "M-02":  # a day estimated, two hours missing
            quality[96 * 20:96 * 21] = 3
            keep = np.ones(n, dtype=bool)
            keep[96 * 40:96 * 40 + 8] = False
        else:
            keep = np.ones(n, dtype=bool)
        store.put_intervals(IntervalBatch(meter_id, starts[keep], energy[keep], source="import",
                                          quality=quality[keep]))
        total += energy
        register = 1_000_000.0 * (i + 1) + np.concatenate(([0.0], np.cumsum(energy)))
        t = np.concatenate((starts, [starts[-1] + 900]))[::96]
        store.put_register_reads(meter_id, t, register[::96])
    store.upsert_meter(Meter(MASTER, SITE))
    store.put_intervals(IntervalBatch(MASTER, starts, total + 120.0, source="import"))
    store.upsert_site(Site(PV_SITE, "Example Court solar", ZONE))
    store.upsert_meter(Meter(PV, PV_SITE))
    hour = ((np.arange(n) % 96) / 4.0 - 7) % 24
    pv = np.where((hour > 6) & (hour < 19), np.round(np.sin((hour - 6) / 13 * np.pi) * 800),
                  -2.0)
    quality = np.zeros(n, dtype=np.int64)
    quality[96 * 3:96 * 4] = 3
    store.put_intervals(IntervalBatch(PV, starts, pv, source="import", quality=quality))
    return store
