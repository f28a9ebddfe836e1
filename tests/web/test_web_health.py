"""The device table: join states, ratios against a plain per-meter reference, battery."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.headend.store import Store, open_store
from openamr.headend.store.base import (
    Device,
    DevicePosition,
    DeviceStatus,
    IntervalBatch,
    Meter,
    Site,
)
from openamr.web.health import LED_PATTERNS, HealthSettings, site_health

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
DAY = 86_400


def _site(store: Store) -> None:
    store.upsert_site(Site("s1", "One", "America/Los_Angeles"))
    store.upsert_device(Device("00000000000000d0", "dcap", "s1", model="TW-222"))
    store.upsert_device(Device("00000000000000a1", "repeater", "s1", installed_s=T0))
    for i in range(3):
        eui = f"00000000000000b{i}"
        store.upsert_meter(Meter(f"M-{i}", "s1", eui))
        store.upsert_device(Device(eui, "mdt", "s1", f"M-{i}", installed_s=T0))
    store.put_device_positions([DevicePosition("00000000000000a1", "s1", "REP-001", 1, 5, 6,
                                               "near_metal")])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(str(tmp_path / "h.db"))
    _site(s)
    return s


def test_join_states_follow_the_expected_report_time(store: Store) -> None:
    now = T0 + 10 * DAY
    store.put_device_statuses([
        DeviceStatus("00000000000000b0", now - 600, parent_id="00000000000000a1",
                     link_margin_db=12.5, rssi_dbm=-97, hops=2, joined_s=T0 + 60),
        DeviceStatus("00000000000000b1", now - 3600 - 900 - 60, joined_s=T0 + 60),
        DeviceStatus("00000000000000b2", now - 5 * 3600 - 900, joined_s=T0 + 60),
        DeviceStatus("00000000000000a1", now - 60, hops=1, parent_id="00000000000000d0"),
    ])
    rows = {h.label: h for h in site_health(store, "s1", now)}
    assert [h.role for h in site_health(store, "s1", now)] == ["dcap", "repeater", "mdt",
                                                                "mdt", "mdt"]
    assert rows["M-0"].join_state == "joined"
    assert rows["M-0"].parent_label == "REP-001"
    assert rows["M-0"].margin_db == 12.5
    assert rows["M-0"].expected_by_s == now - 600 + 3600 + 900
    assert rows["M-1"].join_state == "late"
    assert rows["M-2"].join_state == "silent"
    assert rows["M-2"].led_pattern == LED_PATTERNS["silent"]
    assert rows["REP-001"].placement == "near_metal"
    assert rows["REP-001"].floor == 1
    # the DCAP is up when anything was heard through it
    assert rows["00000000000000d0"].join_state == "joined"


def test_never_heard_devices(store: Store) -> None:
    rows = site_health(store, "s1", T0 + DAY)
    assert {h.join_state for h in rows} == {"not_heard"}
    assert all(h.last_heard_s is None and h.expected_by_s is None for h in rows)


def _reference(starts: np.ndarray, lo: int, hi: int, installed: int) -> float | None:
    lo = max(lo, installed)
    want = max(hi - lo, 0) // 900
    if want == 0:
        return None
    return round(int(((starts >= lo) & (starts < hi)).sum()) / want, 4)


@settings(max_examples=25, deadline=None)
@given(holes=st.lists(st.integers(0, 8 * 96 - 1), max_size=300),
       now_off=st.integers(0, 3 * 3600), installed_days=st.integers(0, 9))
def test_ratios_match_a_per_meter_reference(tmp_path_factory: pytest.TempPathFactory,
                                            holes: list[int], now_off: int,
                                            installed_days: int) -> None:
    with open_store(str(tmp_path_factory.mktemp("r") / "r.db")) as store:
        _site(store)
        installed = T0 + installed_days * DAY
        store.upsert_device(Device("00000000000000b0", "mdt", "s1", "M-0",
                                   installed_s=installed))
        now = T0 + 9 * DAY + now_off
        grid = np.arange(T0 + DAY, now - now % 900, 900, dtype=np.int64)
        keep = np.ones(grid.size, dtype=bool)
        keep[[h for h in holes if h < grid.size]] = False
        starts = grid[keep & (grid >= installed)]
        if starts.size:
            store.put_intervals(IntervalBatch("M-0", starts, np.full(starts.size, 10.0)))
        row = next(h for h in site_health(store, "s1", now) if h.label == "M-0")
        s = HealthSettings()
        end = now - now % 900
        due = now - s.report_period_s - s.upload_s
        due -= due % 900
        assert row.delivery_24h_ratio == _reference(starts, due - DAY, due, installed)
        assert row.delivery_7d_ratio == _reference(starts, due - 7 * DAY, due, installed)
        assert row.completeness_24h_ratio == _reference(starts, end - DAY, end, installed)
        assert row.completeness_72h_ratio == _reference(starts, end - 3 * DAY, end, installed)


def test_battery_days_left_from_the_mean_drain(store: Store) -> None:
    now = T0 + 100 * DAY
    store.put_device_statuses([DeviceStatus("00000000000000b0", now, battery_mv=3000,
                                            battery_remaining_mah=1900)])
    row = next(h for h in site_health(store, "s1", now) if h.label == "M-0")
    # 100 mAh in 100 days: 1 mAh a day, 1,900 mAh left
    assert row.battery_days_left == pytest.approx(1900.0)


def test_battery_days_left_never_outlive_the_shelf_life(store: Store) -> None:
    now = T0 + 100 * DAY
    store.put_device_statuses([DeviceStatus("00000000000000b0", now, battery_mv=3000,
                                            battery_remaining_mah=1990)])
    row = next(h for h in site_health(store, "s1", now) if h.label == "M-0")
    # 10 mAh in 100 days would last 19,900 days (54 years); the cell's 20 years cap it
    assert row.battery_days_left == pytest.approx(20 * 365.25 - 100)
