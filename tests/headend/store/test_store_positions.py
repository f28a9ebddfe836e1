"""Device positions (migration 9): stored per device, replaced idempotently, listed by site."""

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
