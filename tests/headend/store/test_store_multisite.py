"""Many sites in one store: meter ids unique per site, devices keyed by EUI-64 with a site-scoped
id, nothing of one site changed by another, ambiguous ids refused with their sites (both
backends)."""

from __future__ import annotations

import numpy as np
import pytest

from openamr.errors import StoreError
from openamr.headend.store import (
    AlarmRow,
    AmbiguousIdError,
    Device,
    DeviceStatus,
    IntervalBatch,
    Meter,
    SeqState,
    Site,
    Store,
    TokenRow,
)

T0 = 1_767_225_600
EUI = {("a", "M-01"): "00000000000000a1", ("b", "M-01"): "00000000000000b1",
       ("a", "REP-001"): "00000000000000a2", ("b", "REP-001"): "00000000000000b2"}


def _two_sites(store: Store) -> None:
    for site in ("a", "b"):
        store.upsert_site(Site(site, f"Site {site}", "UTC"))
        store.upsert_meter(Meter("M-01", site, EUI[(site, "M-01")], "MMSMT-C02", unit=f"{site}1"))
        store.upsert_device(Device(EUI[(site, "M-01")], "mdt", site, "M-01", "MMSMT-C02",
                                   "00" * 16, T0, local_id="M-01"))
        store.upsert_device(Device(EUI[(site, "REP-001")], "repeater", site, None, "TW-223",
                                   "11" * 16, T0, local_id="REP-001"))


def test_the_same_meter_id_at_two_sites_is_two_meters(store: Store) -> None:
    _two_sites(store)
    a = store.meter_key("M-01", site_id="a")
    b = store.meter_key("M-01", site_id="b")
    assert a != b
    assert (store.meter_id_of_key(b), store.site_id_of_key(b)) == ("M-01", "b")
    store.put_intervals(IntervalBatch("M-01", [T0], [10.0], site_id="a"))
    store.put_intervals(IntervalBatch("M-01", [T0, T0 + 900], [20.0, 30.0], site_id="b"))
    assert store.get_intervals("M-01", site_id="a").energy_wh.tolist() == [10.0]
    assert store.get_intervals("M-01", site_id="b").energy_wh.tolist() == [20.0, 30.0]
    assert store.interval_count(site_id="b") == 2
    assert store.interval_total_wh(site_id="a") == 10.0
    assert store.last_interval_s("M-01", site_id="b") == T0 + 900
    table = store.get_intervals_bulk(None)
    assert table.site_id is not None
    assert list(zip(table.site_id, table.energy_wh, strict=True)) == [
        ("a", 10.0), ("b", 20.0), ("b", 30.0)]
    assert [m.unit for m in store.list_meters("b")] == ["b1"]
    assert len(store.list_meters()) == 2
    assert [m.site_id for m in store.find_meters("M-01", ("b", "zz"))] == ["b"]


def test_an_id_of_two_sites_without_its_site_names_them(store: Store) -> None:
    _two_sites(store)
    with pytest.raises(AmbiguousIdError) as info:
        store.get_meter("M-01")
    assert info.value.candidates == ("a", "b")
    for call in (lambda: store.meter_keys(["M-01"]),
                 lambda: store.get_intervals("M-01"),
                 lambda: store.put_intervals(IntervalBatch("M-01", [T0], [1.0])),
                 lambda: store.get_device("REP-001")):
        with pytest.raises(AmbiguousIdError):
            call()
    store.upsert_site(Site("c", "C", "UTC"))
    store.upsert_meter(Meter("only-c", "c"))
    assert store.get_meter("only-c") == Meter("only-c", "c")  # unambiguous: still works
    assert store.get_intervals("nobody").start_s.size == 0
    assert store.interval_count() == 0  # nothing was written by the refused put


def test_registering_a_site_changes_nothing_of_another(store: Store) -> None:
    _two_sites(store)
    rep_a = store.get_device("REP-001", site_id="a")
    assert rep_a is not None
    assert rep_a.device_id == EUI[("a", "REP-001")]
    with pytest.raises(StoreError, match="registered at site 'a'"):  # A's EUI claimed by B
        store.upsert_device(Device(EUI[("a", "M-01")], "mdt", "b", "M-01", "", None,
                                   local_id="M-09"))
    with pytest.raises(StoreError, match="has a device 'REP-001' already"):
        store.upsert_device(Device("00000000000000c3", "repeater", "a", local_id="REP-001"))
    assert store.get_device(EUI[("a", "M-01")]) == Device(
        EUI[("a", "M-01")], "mdt", "a", "M-01", "MMSMT-C02", "00" * 16, T0, local_id="M-01")
    assert store.get_meter("M-01", site_id="a") == Meter(
        "M-01", "a", EUI[("a", "M-01")], "MMSMT-C02", unit="a1")
    store.upsert_device(Device(EUI[("a", "REP-001")], "repeater", "a", model="TW-224"))
    kept = store.get_device("REP-001", site_id="a")  # a writer that does not know local ids
    assert kept is not None
    assert (kept.model, kept.local_id) == ("TW-224", "REP-001")
    by_eui = store.get_device(EUI[("b", "REP-001")].upper())
    assert by_eui is not None
    assert by_eui.site_id == "b"


def test_removing_a_device_keeps_its_meter_and_readings(store: Store) -> None:
    _two_sites(store)
    eui = EUI[("a", "M-01")]
    store.put_intervals(IntervalBatch("M-01", [T0], [10.0], site_id="a"))
    store.put_device_status(DeviceStatus(eui, T0, rssi_dbm=-70))
    store.save_replay_windows({eui: (40, 1), EUI[("b", "M-01")]: (7, 1)})
    store.save_seq_states({eui: SeqState(12)})
    assert store.remove_device(eui)
    assert store.load_replay_windows() == {EUI[("b", "M-01")]: (7, 1)}  # registered again:
    assert store.load_seq_states() == {}  # it starts afresh
    assert not store.remove_device(eui)
    assert store.get_device(eui) is None
    assert store.get_device_status(eui) is None
    meter = store.get_meter("M-01", site_id="a")
    assert meter is not None
    assert meter.device_id is None
    assert store.get_intervals("M-01", site_id="a").energy_wh.tolist() == [10.0]
    assert store.get_device("M-01", site_id="b") is not None  # B untouched


def test_lists_filter_by_one_site_or_several(store: Store) -> None:
    _two_sites(store)
    store.upsert_site(Site("c", "C", "UTC"))
    assert {d.site_id for d in store.list_devices(("a", "c"))} == {"a"}
    assert store.list_devices(()) == []
    assert len(store.list_devices(["a", "b"], role="repeater")) == 2
    store.put_device_status(DeviceStatus(EUI[("b", "REP-001")], T0))
    assert [s.device_id for s in store.list_device_status(("b",))] == [EUI[("b", "REP-001")]]


def test_alarms_name_their_site(store: Store) -> None:
    _two_sites(store)
    for site in ("a", "b"):
        store.raise_alarm(AlarmRow("alarm.tamper", EUI[(site, "M-01")], "M-01", T0))
    store.raise_alarm(AlarmRow("alarm.no_data", None, "M-01", T0, site_id="b"))
    store.raise_alarm(AlarmRow("alarm.no_data", None, "M-01", T0, site_id="a"))
    assert len(store.list_alarms()) == 4  # one per site: the same code and meter id
    assert {(x.code, x.site_id) for x in store.list_alarms(site_id="b")} == {
        ("alarm.tamper", "b"), ("alarm.no_data", "b")}
    assert store.clear_alarm("alarm.no_data", None, T0 + 1, "M-01", site_id="a")
    assert [x.state for x in store.list_alarms(site_id="b") if x.code == "alarm.no_data"] == [
        "open"]


def test_tokens_keep_their_sites(store: Store) -> None:
    store.put_token(TokenRow("t1", "h1", "read-only", "", T0, site_ids=("a", "b")))
    store.put_token(TokenRow("t2", "h2", "admin", "", T0))
    assert store.get_token_by_hash("h1") == TokenRow("t1", "h1", "read-only", "", T0,
                                                      site_ids=("a", "b"))
    token = store.get_token_by_hash("h2")
    assert token is not None
    assert token.site_ids is None
    assert [t.site_ids for t in store.list_tokens()] == [("a", "b"), None]


def test_bulk_keys_of_many_meters_of_one_site(store: Store) -> None:
    store.upsert_site(Site("a", "A", "UTC"))
    store.upsert_site(Site("b", "B", "UTC"))
    ids = [f"m{i:04d}" for i in range(1200)]
    with store.transaction():
        for mid in ids:
            store.upsert_meter(Meter(mid, "a"))
            store.upsert_meter(Meter(mid, "b"))
    keys_a = store.meter_keys(ids, site_id="a")
    keys_b = store.meter_keys(ids, site_id="b")
    assert len(set(keys_a.tolist()) | set(keys_b.tolist())) == 2400
    assert np.array_equal(keys_a, store.meter_keys(ids, site_id="a"))
    with pytest.raises(StoreError, match="unknown meter 'zz' at site 'a'"):
        store.meter_keys(["zz"], site_id="a")
