"""The one store test suite, run on SQLite and PostgreSQL (fixture ``store``)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from openamr.errors import StoreError
from openamr.headend.store import (
    AlarmRow,
    Device,
    DeviceStatus,
    EventRow,
    IntervalBatch,
    Meter,
    SeqState,
    Site,
    Store,
    TokenRow,
    open_store,
)
from openamr.headend.store.migrate import latest_version

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def _setup(store: Store, meters: int = 2) -> None:
    store.upsert_site(Site("s1", "Site one", "America/Los_Angeles"))
    for i in range(meters):
        store.upsert_meter(Meter(f"m{i}", "s1", device_id=f"{i:016x}", model="MMSMT-C02"))


def test_schema_is_latest(store: Store) -> None:
    assert store.schema_version() == latest_version(store.dialect)


def test_sites_meters_devices(store: Store) -> None:
    _setup(store)
    assert store.get_site("s1") == Site("s1", "Site one", "America/Los_Angeles")
    store.upsert_site(Site("s1", "Renamed", "UTC"))
    assert store.list_sites() == [Site("s1", "Renamed", "UTC")]
    assert store.get_site("nope") is None
    assert [m.meter_id for m in store.list_meters("s1")] == ["m0", "m1"]
    assert store.list_meters("other") == []
    store.upsert_meter(Meter("m0", "s1", max_power_w=1000.0))
    meter = store.get_meter("m0")
    assert meter is not None
    assert meter.max_power_w == 1000.0
    assert meter.device_id is None
    with pytest.raises(StoreError, match="unknown site"):
        store.upsert_meter(Meter("m9", "nosite"))
    dev = Device("00000000000000AB", "mdt", "s1", meter_id="m0", install_code="00" * 16,
                 installed_s=T0)
    store.upsert_device(dev)
    got = store.get_device("00000000000000ab")
    assert got is not None
    assert got.device_id == "00000000000000ab"
    assert got.installed_s == T0
    store.upsert_device(Device("00000000000000aa", "dcap", "s1"))
    assert [d.device_id for d in store.list_devices(role="mdt")] == ["00000000000000ab"]
    assert len(store.list_devices(site_id="s1")) == 2
    with pytest.raises(StoreError, match="role"):
        store.upsert_device(Device("01", "router", "s1"))


def test_device_status_keeps_unreported_fields(store: Store) -> None:
    _setup(store)
    store.upsert_device(Device("00000000000000ab", "mdt", "s1", meter_id="m0"))
    store.put_device_status(DeviceStatus("00000000000000ab", T0, parent_id="aa", rssi_dbm=-80,
                                         battery_mv=3600, joined_s=T0 - 10, on_battery=True))
    store.put_device_status(DeviceStatus("00000000000000ab", T0 + 60, rssi_dbm=-70))
    st = store.get_device_status("00000000000000ab")
    assert st is not None
    assert (st.last_heard_s, st.rssi_dbm, st.battery_mv, st.parent_id, st.joined_s) == (
        T0 + 60, -70, 3600, "aa", T0 - 10)
    assert st.on_battery is False
    assert [s.device_id for s in store.list_device_status("s1")] == ["00000000000000ab"]
    assert store.get_device_status("ff") is None


@pytest.mark.parametrize("n_devices", [3, 60])  # PostgreSQL stages 50 rows or more
def test_put_last_heard_moves_only_last_heard(store: Store, n_devices: int) -> None:
    """``put_last_heard``: ``last_heard_s`` set, every other field kept (``on_battery`` too: a
    device on its battery stays so until a STATUS says otherwise), missing rows created."""
    _setup(store)
    ids = [f"{0xA0 + i:016x}" for i in range(n_devices)]
    for d in ids:
        store.upsert_device(Device(d, "mdt", "s1"))
    store.put_device_statuses([DeviceStatus(d, T0, rssi_dbm=-80, battery_mv=3600,
                                            on_battery=True) for d in ids[::2]])
    store.put_last_heard([d.upper() for d in ids], T0 + 60)
    got = {s.device_id: s for s in store.list_device_status("s1")}
    assert sorted(got) == ids
    for i, d in enumerate(ids):
        want = (T0 + 60,) + ((True, -80, 3600) if i % 2 == 0 else (False, None, None))
        assert (got[d].last_heard_s, got[d].on_battery, got[d].rssi_dbm,
                got[d].battery_mv) == want
    store.put_last_heard([], T0 + 120)


def test_intervals_idempotent_with_conflicts(store: Store) -> None:
    _setup(store)
    starts = T0 + 900 * np.arange(4)
    r = store.put_intervals(IntervalBatch("m0", starts, [1.0, 2.0, 3.0, 4.0], "frame", T0))
    assert (r.inserted, r.duplicates, r.conflicts) == (4, 0, 0)
    r = store.put_intervals(IntervalBatch(["m0", "m0", "m1", "m1"],
                                          [starts[0], starts[1], starts[0], starts[0]],
                                          [1.0, 9.0, 5.0, 6.0], "import", T0 + 1,
                                          quality=["measured", "estimated", "partial",
                                                   "partial"]))
    # m0@0 duplicate, m0@1 conflict, m1@0 new, m1@0 again with another value: conflict
    assert (r.inserted, r.duplicates, r.conflicts) == (1, 1, 2)
    assert r.inserted_index is not None
    assert r.inserted_index.tolist() == [2]
    got = store.get_intervals("m0")
    assert got.energy_wh.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert got.quality.tolist() == ["measured"] * 4
    assert store.get_intervals("m1").quality.tolist() == ["partial"]
    assert store.rejection_counts() == {"conflict": 2}
    rej = store.list_rejections(reason="conflict")
    assert len(rej) == 2
    assert "m0" in rej[1].detail or "m0" in rej[0].detail
    assert store.interval_count() == 5
    assert store.interval_count("m0", start_s=int(starts[1]), end_s=int(starts[3])) == 2
    assert store.interval_total_wh("m0") == 10.0
    assert store.last_interval_s("m0") == int(starts[3])
    assert store.last_interval_s("m1") == int(starts[0])
    assert store.last_interval_s("zz") is None
    assert len(store.get_intervals("zz")) == 0
    window = store.get_intervals("m0", int(starts[1]), int(starts[3]))
    assert window.start_s.tolist() == starts[1:3].tolist()
    bulk = store.get_intervals_bulk(None)
    assert bulk.meter_id.tolist() == ["m0"] * 4 + ["m1"]
    assert store.get_intervals_bulk(["m1", "nope"]).energy_wh.tolist() == [5.0]


def test_intervals_refuse_bad_input(store: Store) -> None:
    _setup(store)
    with pytest.raises(StoreError, match="unknown meter 'nope'"):
        store.put_intervals(IntervalBatch("nope", [T0], [1.0]))
    with pytest.raises(StoreError, match="quality"):
        store.put_intervals(IntervalBatch("m0", [T0], [1.0], quality="guessed"))
    with pytest.raises(StoreError, match="NaN"):
        store.put_intervals(IntervalBatch("m0", [T0], [float("nan")]))
    with pytest.raises(StoreError, match="source"):
        store.put_intervals(IntervalBatch("m0", [T0], [1.0], source="carrier pigeon"))
    assert store.interval_count() == 0
    assert store.put_intervals(IntervalBatch("m0", [], [])).inserted == 0


def test_transaction_rolls_back_everything(store: Store) -> None:
    _setup(store)

    def fail() -> None:
        with store.transaction():
            store.put_intervals(IntervalBatch("m0", [T0], [1.0]))
            store.upsert_meter(Meter("m7", "s1"))
            store.put_rejection("malformed", "test", T0)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail()
    assert store.interval_count() == 0
    assert store.get_meter("m7") is None
    assert store.rejection_counts() == {}
    store.upsert_meter(Meter("m8", "s1"))
    store.put_intervals(IntervalBatch("m8", [T0], [1.0]))
    assert store.get_intervals("m8").energy_wh.tolist() == [1.0]


def test_nested_transaction_failure_keeps_outer(store: Store) -> None:
    _setup(store)

    def fail() -> None:
        with store.transaction():
            store.put_intervals(IntervalBatch("m0", [T0 + 900], [2.0]))
            raise RuntimeError("inner")

    with store.transaction():
        store.put_intervals(IntervalBatch("m0", [T0], [1.0]))
        with pytest.raises(RuntimeError):
            fail()
    assert store.get_intervals("m0").energy_wh.tolist() == [1.0]


def test_reads_from_another_thread_see_commits_only(store: Store) -> None:
    _setup(store)
    seen: list[int] = []

    def read() -> None:
        seen.append(store.interval_count())

    with store.transaction():
        store.put_intervals(IntervalBatch("m0", [T0], [1.0]))
        assert store.interval_count() == 1  # the writer sees its own rows
        t = threading.Thread(target=read)
        t.start()
        t.join()
    t = threading.Thread(target=read)
    t.start()
    t.join()
    assert seen == [0, 1]


def test_register_reads(store: Store) -> None:
    _setup(store)
    assert store.put_register_reads("m0", [T0, T0 + 60], [100.0, 110.0]) == 2
    assert store.put_register_reads("m0", [T0, T0 + 120], [999.0, 120.0]) == 1
    reads = store.get_register_reads("m0")
    assert reads.t_s.tolist() == [T0, T0 + 60, T0 + 120]
    assert reads.register_wh.tolist() == [100.0, 110.0, 120.0]
    assert len(store.get_register_reads("m0", T0 + 1, T0 + 100)) == 1


def test_events(store: Store) -> None:
    _setup(store)
    store.upsert_device(Device("00000000000000ab", "mdt", "s1", meter_id="m0"))
    ev = [EventRow("00000000000000ab", "m0", "tamper.cover_removed", T0, 0, T0 + 5),
          EventRow("00000000000000ab", "m0", "power.lost", T0 + 10, 0, T0 + 15)]
    assert store.put_events(ev) == 2
    assert store.put_events(ev) == 0
    listed = store.list_events(site_id="s1")
    assert [e.code for e in listed] == ["power.lost", "tamper.cover_removed"]
    assert listed[0].event_id is not None
    assert [e.code for e in store.list_events(start_s=T0, end_s=T0 + 1)] == [
        "tamper.cover_removed"]
    assert store.list_events(code="power.lost", limit=1)[0].t_s == T0 + 10
    assert len(store.list_events(limit=1, offset=1)) == 1
    assert store.list_events(site_id="other") == []


def test_alarms(store: Store) -> None:
    _setup(store)
    store.upsert_device(Device("00000000000000ab", "mdt", "s1", meter_id="m0"))
    a = store.raise_alarm(AlarmRow("alarm.no_data", "00000000000000ab", "m0", T0, "quiet"))
    assert store.raise_alarm(AlarmRow("alarm.no_data", "00000000000000ab", "m0", T0 + 60)) == a
    assert [x.alarm_id for x in store.list_alarms("open")] == [a]
    assert store.ack_alarm(a, "ops", T0 + 100)
    assert not store.ack_alarm(a, "ops", T0 + 100)
    assert store.list_alarms("open") == []
    acked = store.get_alarm(a)
    assert acked is not None
    assert (acked.state, acked.acked_by) == ("acknowledged", "ops")
    assert store.raise_alarm(AlarmRow("alarm.no_data", "00000000000000ab", "m0", T0)) == a
    assert store.clear_alarm("alarm.no_data", "00000000000000ab", T0 + 200)
    assert not store.clear_alarm("alarm.no_data", "00000000000000ab", T0 + 200)
    b = store.raise_alarm(AlarmRow("alarm.no_data", "00000000000000ab", "m0", T0 + 300))
    assert b != a
    assert len(store.list_alarms()) == 2
    assert len(store.list_alarms("cleared", site_id="s1")) == 1
    assert store.list_alarms(site_id="other") == []
    with pytest.raises(StoreError):
        store.list_alarms("sleeping")


def test_security_state(store: Store) -> None:
    store.save_replay_windows({"00000000000000ab": (70, (1 << 64) - 1), "01": (3, 5)})
    store.save_replay_windows({"01": (4, 11)})
    assert store.load_replay_windows() == {"00000000000000ab": (70, (1 << 64) - 1),
                                           "01": (4, 11)}
    store.save_seq_states({"ab": SeqState(5, (7, 9)), "cd": SeqState()})
    assert store.load_seq_states() == {"ab": SeqState(5, (7, 9)), "cd": SeqState(-1, ())}
    assert store.get_counter_reservation("aa") == 0
    store.set_counter_reservation("aa", 2048)
    assert store.get_counter_reservation("aa") == 2048
    key = store.get_or_create_network_key()
    assert len(key) == 16
    assert store.get_or_create_network_key() == key


def test_a_staging_store_adopts_another_stores_network_key(store: Store) -> None:
    key = bytes(range(16))
    store.adopt_network_key(key)
    assert store.get_or_create_network_key() == key
    store.adopt_network_key(key)  # the same key again: nothing changes
    with pytest.raises(StoreError, match="another network key"):
        store.adopt_network_key(bytes(16))
    with pytest.raises(ValueError, match="16 bytes"):
        store.adopt_network_key(b"short")
    assert store.get_or_create_network_key() == key


def test_tokens(store: Store) -> None:
    store.put_token(TokenRow("t1", "h1", "reader", "dashboard", T0))
    with pytest.raises(StoreError):
        store.put_token(TokenRow("t2", "h1", "reader", "dup hash", T0))
    got = store.get_token_by_hash("h1")
    assert got is not None
    assert got.revoked_s is None
    assert store.revoke_token("t1", T0 + 5)
    assert not store.revoke_token("t1", T0 + 6)
    got = store.get_token_by_hash("h1")
    assert got is not None
    assert got.revoked_s == T0 + 5
    assert [t.token_id for t in store.list_tokens()] == ["t1"]
    assert store.get_token_by_hash("nope") is None


def test_outbox(store: Store) -> None:
    assert store.outbox_put("mqtt", "k1", b"one", T0)
    assert not store.outbox_put("mqtt", "k1", b"one again", T0)
    assert store.outbox_put("mqtt", "k2", b"two", T0 + 1)
    assert store.outbox_put("webhook", "k1", b"w", T0)
    assert store.outbox_depth("mqtt") == 2
    assert store.outbox_depth() == 3
    due = store.outbox_due("mqtt", T0 + 1)
    assert [d.payload for d in due] == [b"one", b"two"]
    store.outbox_retry(due[0].item_id, T0 + 100, "broker down")
    due2 = store.outbox_due("mqtt", T0 + 1)
    assert [d.idempotency_key for d in due2] == ["k2"]
    store.outbox_done([due2[0].item_id])
    assert not store.outbox_put("mqtt", "k2", b"two", T0 + 1)
    later = store.outbox_due("mqtt", T0 + 100)
    assert [(d.idempotency_key, d.attempts, d.last_error) for d in later] == [
        ("k1", 1, "broker down")]
    assert store.outbox_depth("mqtt") == 1


def test_closed_store_refuses(store: Store) -> None:
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_sites()


def test_a_fresh_connection_whose_first_put_has_duplicates(store: Store) -> None:
    _setup(store)
    store.put_intervals(IntervalBatch("m0", [T0], [1.0]))
    store.close()
    again = open_store(store.url, options=getattr(store, "_options", None))
    try:
        r = again.put_intervals(IntervalBatch("m0", [T0, T0 + 900], [1.0, 2.0]))
        assert (r.inserted, r.duplicates) == (1, 1)
        statuses = [DeviceStatus(f"{i:016x}", T0) for i in range(60)]
        again.put_device_statuses([*statuses, DeviceStatus("0" * 15 + "1", T0 + 1, hops=2)])
        again.save_replay_windows({f"{i:016x}": (i, 1) for i in range(60)})
        st = again.get_device_status("0000000000000001")
        assert st is not None
        assert (st.last_heard_s, st.hops) == (T0 + 1, 2)
        assert len(again.load_replay_windows()) == 60
    finally:
        again.close()


def test_bulk_state_upserts_mix_stored_and_new_keys(store: Store) -> None:
    """The bulk path (>= 50 rows): stored keys are updated, new ones inserted, unreported
    status fields kept; replay windows and seq states likewise."""
    first = [DeviceStatus(f"{i:016x}", T0, hops=1, rssi_dbm=-70) for i in range(0, 80, 2)]
    store.put_device_statuses(first)
    store.save_replay_windows({f"{i:016x}": (i, 1) for i in range(0, 80, 2)})
    store.save_seq_states({f"{i:016x}": SeqState(i) for i in range(0, 80, 2)})
    store.put_device_statuses([DeviceStatus(f"{i:016x}", T0 + 60, hops=3 if i % 4 else None)
                               for i in range(80)])
    store.save_replay_windows({f"{i:016x}": (i + 100, (1 << 64) - 1) for i in range(80)})
    store.save_seq_states({f"{i:016x}": SeqState(i + 5, (i + 7,)) for i in range(80)})
    by_id = {s.device_id: s for s in store.list_device_status()}
    assert len(by_id) == 80
    old_kept = by_id[f"{0:016x}"]  # stored, no hops reported: kept
    assert (old_kept.last_heard_s, old_kept.hops, old_kept.rssi_dbm) == (T0 + 60, 1, -70)
    old_new = by_id[f"{2:016x}"]  # stored, hops reported
    assert (old_new.last_heard_s, old_new.hops, old_new.rssi_dbm) == (T0 + 60, 3, -70)
    fresh = by_id[f"{1:016x}"]
    assert (fresh.last_heard_s, fresh.hops, fresh.rssi_dbm) == (T0 + 60, 3, None)
    windows = store.load_replay_windows()
    assert len(windows) == 80
    assert windows[f"{3:016x}"] == (103, (1 << 64) - 1)
    assert windows[f"{4:016x}"] == (104, (1 << 64) - 1)
    seqs = store.load_seq_states()
    assert len(seqs) == 80
    assert seqs[f"{4:016x}"] == SeqState(9, (11,))
    assert seqs[f"{5:016x}"] == SeqState(10, (12,))


def test_bulk_state_upserts_twice_in_one_transaction(store: Store) -> None:
    """A second bulk upsert of the same table in one transaction starts from an empty stage
    (and so does the next transaction, after a rollback)."""
    with store.transaction():
        store.save_replay_windows({f"{i:016x}": (i, 1) for i in range(60)})
        store.save_replay_windows({f"{i:016x}": (i + 1, 3) for i in range(30, 90)})
    windows = store.load_replay_windows()
    assert len(windows) == 90
    assert (windows[f"{0:016x}"], windows[f"{40:016x}"]) == ((0, 1), (41, 3))

    def fill_then_fail() -> None:
        with store.transaction():
            store.save_replay_windows({f"{i:016x}": (500, 5) for i in range(100, 160)})
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        fill_then_fail()
    store.save_replay_windows({f"{i:016x}": (7, 7) for i in range(60)})
    windows = store.load_replay_windows()
    assert len(windows) == 90
    assert (windows[f"{0:016x}"], windows[f"{70:016x}"]) == ((7, 7), (71, 3))
