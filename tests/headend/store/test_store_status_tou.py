"""Status history, TOU configuration and registers, interval temperatures: both backends."""

from __future__ import annotations

import numpy as np
import pytest

from openamr.errors import StoreError
from openamr.headend.store import DeviceStatus, Meter, Site, Store
from openamr.headend.store.base import StatusReport

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
DEV = "00000000000000ab"


def _report(counter: int, received_s: int, **kw: object) -> StatusReport:
    fields: dict[str, object] = {
        "parent_id": "00000000000000d1", "rssi_dbm": -80, "link_margin_db": 30.0, "etx": 1.25,
        "hops": 1, "battery_mv": 2950, "battery_remaining_mah": 1900, "on_battery": False,
        "tx_frames": 4, "retries": 1, "drops": 0, "queue_frames": 0, "parent_changes": 0,
        "uptime_s": 3600 * counter, "clock_offset_ms": 12}
    fields.update(kw)
    return StatusReport(DEV, counter, received_s, **fields)  # type: ignore[arg-type]


def _site(store: Store) -> None:
    store.upsert_site(Site("s1", "Site one", "America/Los_Angeles"))
    store.upsert_meter(Meter("m0", "s1", device_id=DEV, model="MMSMT-D02"))


def test_status_reports_are_a_history_kept_once(store: Store) -> None:
    reports = [_report(c, T0 + 3600 * c) for c in range(5)]
    assert store.put_status_reports(reports[:3]) == 3
    assert store.put_status_reports(reports) == 2  # the first three again: idempotent
    again = store.list_status_reports(DEV.upper())
    assert again == reports
    window = store.list_status_reports(DEV, T0 + 3600, T0 + 3 * 3600)
    assert [r.frame_counter for r in window] == [1, 2]
    assert [r.frame_counter for r in store.list_status_reports(DEV, limit=2)] == [0, 1]
    mains = _report(9, T0 + 9 * 3600, battery_mv=None, on_battery=True)
    store.put_status_reports([mains])
    (last,) = store.list_status_reports(DEV, T0 + 9 * 3600)
    assert (last.battery_mv, last.on_battery) == (None, True)
    assert store.list_status_reports("00000000000000cd") == []


def test_device_status_keeps_the_status_fields(store: Store) -> None:
    store.put_device_statuses([DeviceStatus(DEV, T0, rssi_dbm=-90, drops=3, uptime_s=100,
                                            clock_offset_ms=-7, status_received_s=T0)])
    store.put_device_statuses([DeviceStatus(DEV, T0 + 60)])  # heard: status fields kept
    status = store.get_device_status(DEV)
    assert status is not None
    assert (status.last_heard_s, status.drops, status.uptime_s, status.clock_offset_ms,
            status.status_received_s) == (T0 + 60, 3, 100, -7, T0)


def test_site_tou_set_replaced_and_removed(store: Store) -> None:
    _site(store)
    assert store.get_site_tou("s1") is None
    store.put_site_tou("s1", '{"default":"a","periods":[]}', T0)
    store.put_site_tou("s1", '{"default":"b","periods":[]}', T0 + 5)
    tou = store.get_site_tou("s1")
    assert tou is not None
    assert (tou.config_json, tou.updated_s) == ('{"default":"b","periods":[]}', T0 + 5)
    store.put_site_tou("s1", None, T0 + 6)
    assert store.get_site_tou("s1") is None
    with pytest.raises(StoreError, match="unknown site"):
        store.put_site_tou("nowhere", "{}", T0)


def test_tou_register_reads_by_meter_key(store: Store) -> None:
    _site(store)
    key = int(store.meter_keys(["m0"])[0])
    keys = np.full(4, key, dtype=np.int64)
    t_s = np.array([T0, T0, T0 + 900, T0 + 900], dtype=np.int64)
    index = np.array([0, 1, 0, 1], dtype=np.int64)
    wh = np.array([100.0, 20.0, 110.0, 20.0])
    assert store.put_tou_register_rows(keys, t_s, index, wh) == 4
    # the same again, and a different value for a stored read: nothing changes
    assert store.put_tou_register_rows(keys[:2], t_s[:2], index[:2], np.array([1.0, 2.0])) == 0
    reads = store.get_tou_register_reads("m0")
    assert reads.t_s.tolist() == t_s.tolist()
    assert reads.register_index.tolist() == index.tolist()
    assert reads.register_wh.tolist() == wh.tolist()
    assert len(store.get_tou_register_reads("m0", T0 + 1)) == 2
    assert len(store.get_tou_register_reads("unknown")) == 0
    assert len(store.get_tou_register_reads("m0", site_id="s1")) == 4
    assert len(store.get_tou_register_reads("m0", site_id="elsewhere")) == 0


def test_interval_temperatures_first_value_stays(store: Store) -> None:
    _site(store)
    key = int(store.meter_keys(["m0"])[0])
    starts = np.array([T0, T0 + 900, T0 + 1800], dtype=np.int64)
    keys = np.full(3, key, dtype=np.int64)
    assert store.put_temperature_rows(keys, starts, np.array([21.25, 21.5, -3.75])) == 3
    assert store.put_temperature_rows(keys[:1], starts[:1], np.array([99.0])) == 0
    temps = store.get_temperatures("m0", T0 + 900)
    assert temps.start_s.tolist() == [T0 + 900, T0 + 1800]
    assert temps.temperature_c.tolist() == [21.5, -3.75]
    assert len(store.get_temperatures("m0", end_s=T0)) == 0
    assert len(store.get_temperatures("m0", site_id="s1")) == 3
    assert len(store.get_temperatures("m0", site_id="elsewhere")) == 0
