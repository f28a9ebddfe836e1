"""A small seeded store for the export tests (imported by them)."""

from __future__ import annotations

from datetime import date

import numpy as np

from openamr.headend.store import Device, DeviceStatus, IntervalBatch, Meter, Site, Store
from openamr.timeutil import local_day_bounds_s, site_zone

ZONE = "America/Los_Angeles"
DAY = date(2026, 9, 21)
SPRING = date(2026, 3, 8)
FALL = date(2026, 11, 1)


def seed_store(store: Store, days: tuple[date, ...] = (DAY,)) -> None:
    """Site s1 (Los Angeles): m1 complete with a register read and a status, m2 with holes."""
    store.upsert_site(Site("s1", "Main St", ZONE))
    store.upsert_device(Device("00000000000000aa", "repeater", "s1"))
    store.upsert_device(Device("0000000000000001", "mdt", "s1", "m1"))
    store.upsert_device(Device("0000000000000002", "mdt", "s1", "m2"))
    store.upsert_meter(Meter("m1", "s1", "0000000000000001", "MMSMT-C02"))
    store.upsert_meter(Meter("m2", "s1", "0000000000000002", "MMSMT-C02", kh_wh=100.0))
    rng = np.random.default_rng(7)
    zone = site_zone(ZONE)
    for day in days:
        lo_s, hi_s = local_day_bounds_s(day, zone)
        starts = np.arange(lo_s, hi_s, 900, dtype=np.int64)
        energy = rng.integers(0, 60, size=len(starts)) * 10.0
        quality = np.full(len(starts), "measured", dtype=object)
        quality[5] = "partial"
        store.put_intervals(IntervalBatch("m1", starts, energy, received_s=hi_s,
                                          quality=list(quality)))
        store.put_register_reads("m1", [hi_s], [1_234_567.0 + float(energy.sum())])
        keep = np.ones(len(starts), dtype=bool)
        keep[[0, 1, 40]] = False
        store.put_intervals(IntervalBatch("m2", starts[keep], energy[keep] * 2.5 + 0.5,
                                          received_s=hi_s))
    t_s = local_day_bounds_s(days[-1], zone)[1]
    store.put_device_status(DeviceStatus("0000000000000001", t_s - 600,
                                         parent_id="00000000000000aa", rssi_dbm=-78,
                                         link_margin_db=14.25, etx=1.25, hops=2,
                                         battery_mv=3310, battery_remaining_mah=2290))
