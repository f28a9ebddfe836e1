"""Helpers of the push tests: a seeded store and stored batches (imported by the tests)."""

from __future__ import annotations

import numpy as np

from openamr.headend.store import (
    Device,
    DeviceStatus,
    EventRow,
    IntervalTable,
    Meter,
    Site,
    Store,
    StoredBatch,
)

T0_S = 1_790_000_100 - (1_790_000_100 % 900)  # 2026-09-21, a quarter-hour boundary
METERS = ("m1", "m2", "m3")


def device_of(meter_id: str) -> str:
    return f"00000000000000{int(meter_id[1:]):02x}"


def seed(store: Store) -> None:
    store.upsert_site(Site("s1", "Main St", "America/Los_Angeles"))
    store.upsert_device(Device("00000000000000ff", "dcap", "s1"))
    store.upsert_device(Device("00000000000000aa", "repeater", "s1"))
    for meter_id in METERS:
        store.upsert_device(Device(device_of(meter_id), "mdt", "s1", meter_id, "TW-MDT"))
        store.upsert_meter(Meter(meter_id, "s1", device_of(meter_id), "MMSMT-C02"))


def interval_batch(meter_ids: tuple[str, ...] = METERS, n: int = 8, first_s: int = T0_S,
                   seed_: int = 0) -> StoredBatch:
    """``n`` intervals per meter from ``first_s``, energies from a seeded generator [Wh]."""
    rng = np.random.default_rng(seed_)
    ids = np.repeat(np.array(meter_ids, dtype=object), n)
    starts = np.tile(first_s + 900 * np.arange(n, dtype=np.int64), len(meter_ids))
    energy = rng.integers(0, 400, size=len(starts)).astype(np.float64) * 10.0
    quality = np.full(len(starts), "measured", dtype="<U14")
    return StoredBatch(IntervalTable(ids, starts, energy, quality,
                                     np.zeros(len(starts), dtype=np.int64)),
                       received_s=first_s + 900 * n)


def store_batch(store: Store, batch: StoredBatch) -> None:
    """Put a batch's intervals (and a register read per meter) as ingest would."""
    from openamr.headend.store import IntervalBatch

    t = batch.intervals
    if len(t):
        store.put_intervals(IntervalBatch(list(t.meter_id), t.start_s, t.energy_wh,
                                          received_s=batch.received_s))
        for meter_id in sorted(set(t.meter_id.tolist())):
            mask = t.meter_id == meter_id
            end_s = int(t.start_s[mask].max()) + 900
            store.put_register_reads(meter_id, [end_s], [1_000_000.0 + t.energy_wh[mask].sum()])
    for status in batch.statuses:
        store.put_device_status(status)
    if batch.events:
        store.put_events(list(batch.events))


def status_batch(t_s: int = T0_S) -> StoredBatch:
    return StoredBatch(IntervalTable.empty(), statuses=(
        DeviceStatus(device_of("m1"), t_s, parent_id="00000000000000aa", rssi_dbm=-71,
                     link_margin_db=22.5, etx=1.2, hops=2, battery_mv=3300,
                     battery_remaining_mah=2100, joined_s=t_s - 3600),
    ), events=(EventRow(device_of("m2"), "m2", "tamper.cover_removed", t_s, 0, t_s),),
        received_s=t_s)
