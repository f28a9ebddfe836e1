"""Store reads for the dashboard: device positions (migration 9) and interval counts per window."""

from __future__ import annotations

from openamr.headend.store import Store
from openamr.headend.store.base import Device, DevicePosition, Site


def test_positions_round_trip_and_replace(store: Store) -> None:
    store.upsert_site(Site("a", "A"))
    store.upsert_site(Site("b", "B"))
    store.upsert_device(Device("00000000000000aa", "dcap", "a"))
    rows = [DevicePosition("00000000000000AA", "a", "DCAP-1", 0, 1.5, 2.25, "open"),
            DevicePosition("00000000000000bb", "b", "REP-001", 3, 10.0, 4.0, "metal_box")]
    store.put_device_positions(rows)
    store.put_device_positions(rows)  # idempotent
    assert store.list_device_positions("a") == [
        DevicePosition("00000000000000aa", "a", "DCAP-1", 0, 1.5, 2.25, "open")]
    assert [p.label for p in store.list_device_positions()] == ["DCAP-1", "REP-001"]
    store.put_device_positions([DevicePosition("00000000000000bb", "b", "REP-001", 2, 9.0, 4.0,
                                               "near_metal")])
    moved = store.list_device_positions("b")
    assert moved == [DevicePosition("00000000000000bb", "b", "REP-001", 2, 9.0, 4.0,
                                    "near_metal")]
    store.put_device_positions([])
    assert len(store.list_device_positions()) == 2


def test_interval_counts_per_meter_and_window(store: Store) -> None:
    import numpy as np

    from openamr.headend.store.base import IntervalBatch, Meter

    store.upsert_site(Site("a", "A"))
    for m in ("m1", "m2", "m3"):
        store.upsert_meter(Meter(m, "a"))
    t0 = 1_767_225_600
    store.put_intervals(IntervalBatch("m1", t0 + 900 * np.arange(10), np.ones(10)))
    store.put_intervals(IntervalBatch("m2", t0 + 900 * np.arange(0, 10, 2), np.ones(5)))
    windows = [(t0, t0 + 9000), (t0 + 4500, t0 + 9000), (t0 - 900, t0)]
    got = store.interval_counts(["m2", "nope", "m1", "m3"], windows)
    assert got.tolist() == [[5, 2, 0], [0, 0, 0], [10, 5, 0], [0, 0, 0]]
    assert store.interval_counts([], windows).shape == (0, 3)
