"""Ingest: frames in, rows stored, ACK / JOIN_RESPONSE / TIME_SYNC out, rejections counted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from test_ingest_fakes import DCAP, T0, FakeDevice, make_site

from openamr.frames import (
    FRAME_VERSION,
    NO_SEQ,
    Ack,
    DeviceRole,
    Event,
    EventKind,
    Frame,
    IntervalFlag,
    Intervals,
    JoinRequest,
    JoinResponse,
    KeyId,
    Status,
    TimeSync,
)
from openamr.headend.ingest import Ingest
from openamr.headend.settings import IngestSettings
from openamr.headend.store import Device, Meter, Store, StoredBatch, open_store

NOW = T0 + 3600


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(str(tmp_path / "ingest.db"))
    yield s
    s.close()


def _ingest(store: Store, **kw: int) -> Ingest:
    return Ingest(store, settings=IngestSettings(**kw), dcap_id=DCAP)  # type: ignore[arg-type]


def _open(ingest: Ingest, data: bytes) -> Frame:
    return Frame.from_bytes(data, ingest.network_key)


def _starts(n: int, first: int = T0) -> list[int]:
    return [first + 900 * k for k in range(n)]


def test_join_gets_the_network_key_under_the_install_code(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = _ingest(store)
    data = dev.seal(JoinRequest(DeviceRole.MDT, "MMSMT-C02", 7, 3600), dev.install_key,
                    KeyId.INSTALL_CODE)
    (reply,) = ingest.handle(data, NOW)
    frame = Frame.from_bytes(reply, dev.install_key)
    assert (frame.src, frame.dst, frame.key_id) == (DCAP, dev.eui, KeyId.INSTALL_CODE)
    assert isinstance(frame.payload, JoinResponse)
    assert frame.payload.accepted
    assert frame.payload.network_key == store.get_or_create_network_key()
    assert frame.payload.utc_s == NOW
    status = store.get_device_status(dev.device_id)
    assert status is not None
    assert (status.joined_s, status.firmware, status.battery_mv) == (NOW, 7, 3600)
    # the same join again is a replay: no answer, counted
    assert ingest.handle(data, NOW + 1) == []
    assert store.rejection_counts() == {"replay": 1}


def test_join_under_the_network_key_is_refused(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = _ingest(store)
    data = dev.seal(JoinRequest(DeviceRole.MDT), ingest.network_key, KeyId.NETWORK)
    assert ingest.handle(data, NOW) == []
    assert store.rejection_counts() == {"malformed": 1}


def test_intervals_are_stored_acked_and_published(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = _ingest(store)
    seen: list[StoredBatch] = []
    ingest.subscribe(seen.append)
    data = dev.intervals(ingest.network_key, 0, _starts(4), [10, 20, 30, 40], register_wh=1000)
    replies = ingest.handle(data, NOW)
    acks = [_open(ingest, r).payload for r in replies]
    assert isinstance(acks[0], Ack)
    assert acks[0] == Ack(0, 3, ())
    assert isinstance(acks[1], TimeSync)  # first contact: a periodic sync is due
    got = store.get_intervals("m0")
    assert got.start_s.tolist() == _starts(4)
    assert got.energy_wh.tolist() == [10, 20, 30, 40]
    reads = store.get_register_reads("m0")
    assert reads.t_s.tolist() == [T0 + 4 * 900]
    assert reads.register_wh.tolist() == [1000]
    assert len(seen) == 1
    assert seen[0].intervals.meter_id.tolist() == ["m0"] * 4
    assert seen[0].intervals.energy_wh.sum() == 100
    status = store.get_device_status(dev.device_id)
    assert status is not None
    assert status.last_heard_s == NOW


def test_replay_and_resend_change_nothing(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = _ingest(store)
    data = dev.intervals(ingest.network_key, 0, _starts(2), [10, 20])
    ingest.handle(data, NOW)
    assert ingest.handle(data, NOW + 1) == []  # the very same frame: replay
    again = dev.intervals(ingest.network_key, 0, _starts(2), [10, 20])  # new counter
    (ack,) = ingest.handle(again, NOW + 2)
    assert _open(ingest, ack).payload == Ack(again_counter(again), 1, ())
    conflict = dev.intervals(ingest.network_key, 0, _starts(2), [10, 99])
    (ack,) = ingest.handle(conflict, NOW + 3)
    assert store.get_intervals("m0").energy_wh.tolist() == [10, 20]
    assert store.rejection_counts() == {"replay": 1, "conflict": 1}
    assert ingest.stats.readings_stored == 2


def again_counter(data: bytes) -> int:
    return int.from_bytes(data[20:24], "big")


def test_gaps_are_requested_and_filled(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = _ingest(store, max_gap_ranges=1)
    ingest.handle(dev.intervals(ingest.network_key, 0, _starts(2), [1, 1]), NOW)
    late = _starts(8)
    (ack, *_) = ingest.handle(dev.intervals(ingest.network_key, 4, late[4:6], [1, 1]), NOW)
    assert _open(ingest, ack).payload == Ack(1, 1, ((2, 3),))
    (ack, *_) = ingest.handle(dev.intervals(ingest.network_key, 7, late[7:8], [1]), NOW)
    assert _open(ingest, ack).payload == Ack(2, 1, ((2, 3),))  # bounded to one range
    (ack, *_) = ingest.handle(dev.intervals(ingest.network_key, 2, late[2:4], [1, 1]), NOW)
    assert _open(ingest, ack).payload == Ack(3, 5, ((6, 6),))


def test_seq_gaps_beyond_the_horizon_are_given_up(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = _ingest(store, seq_horizon_records=4)
    (ack, *_) = ingest.handle(dev.intervals(ingest.network_key, 10, _starts(2), [1, 1]), NOW)
    assert _open(ingest, ack).payload == Ack(0, 7, ((8, 9),))


def test_bad_records_are_refused_and_settled(store: Store) -> None:
    dev = make_site(store, 1, max_power_w=4000.0)[0]  # at most 1,000 Wh per interval
    ingest = _ingest(store, future_tolerance_s=0)
    starts = [T0, T0 + 900, T0 + 1000, NOW, T0 - 40 * 86_400]
    data = dev.intervals(ingest.network_key, 0, starts, [1000, 1001, 1, 1, 1])
    (ack, *_) = ingest.handle(data, NOW)
    assert _open(ingest, ack).payload == Ack(0, 4, ())  # refused for good: not re-requested
    assert store.get_intervals("m0").start_s.tolist() == [T0]
    assert store.rejection_counts() == {"energy_out_of_range": 1, "time_out_of_range": 3}
    rej = store.list_rejections(reason="energy_out_of_range")[0]
    assert rej.raw == data
    assert "1001" in rej.detail


@pytest.mark.parametrize(("mangle", "reason"), [
    (lambda d: d[:10], "malformed"),
    (lambda d: bytes([FRAME_VERSION + 1]) + d[1:], "unsupported_version"),
    (lambda d: d[:1] + bytes([77]) + d[2:], "unknown_type"),
    (lambda d: d[:1] + bytes([1]) + d[2:], "unexpected_type"),
    (lambda d: d[:-1] + bytes([d[-1] ^ 1]), "bad_mic"),
    (lambda d: d[:4] + (0x999).to_bytes(8, "big") + d[12:], "unknown_device"),
])
def test_bad_frames_are_counted_and_kept(store: Store, mangle: object, reason: str) -> None:
    dev = make_site(store, 1)[0]
    ingest = _ingest(store)
    data = mangle(dev.intervals(ingest.network_key, 0, _starts(1), [1]))  # type: ignore[operator]
    assert ingest.handle(data, NOW) == []
    assert store.rejection_counts() == {reason: 1}
    assert store.list_rejections()[0].raw == data
    assert store.interval_count() == 0


def test_events_and_status(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = _ingest(store)
    seen: list[StoredBatch] = []
    ingest.subscribe(seen.append)
    ev = dev.seal(Event(EventKind.TAMPER_COVER_REMOVED, T0 + 5, 0), ingest.network_key)
    st = dev.seal(Status(0x200, -85, 1.5, 2, 3500, 1800, False, 10, 1, 0, 1, 25.0, 2, 7200, -40),
                  ingest.network_key)
    replies = ingest.handle_batch([ev, st], NOW)
    assert _open(ingest, replies[0][0]).payload == Ack(0, NO_SEQ)
    assert _open(ingest, replies[1][0]).payload == Ack(1, NO_SEQ)
    (event,) = store.list_events()
    assert (event.code, event.meter_id, event.t_s, event.received_s) == (
        "tamper.cover_removed", "m0", T0 + 5, NOW)
    status = store.get_device_status(dev.device_id)
    assert status is not None
    assert (status.parent_id, status.rssi_dbm, status.link_margin_db, status.battery_mv) == (
        f"{0x200:016x}", -85, 25.0, 3500)
    assert (status.drops, status.uptime_s, status.clock_offset_ms, status.status_received_s) == (
        2, 7200, -40, NOW)
    assert seen[0].events[0].code == "tamper.cover_removed"
    assert seen[0].statuses[0].rssi_dbm == -85


def test_unsynchronised_clock_gets_a_time_sync(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = _ingest(store)
    ingest.handle(dev.intervals(ingest.network_key, 0, _starts(1), [1]), NOW)  # periodic
    replies = ingest.handle(dev.intervals(ingest.network_key, 1, _starts(1, T0 + 900), [1]),
                            NOW + 10)
    assert len(replies) == 1  # synced 10 s ago, clock fine
    flagged = dev.intervals(ingest.network_key, 2, _starts(1, T0 + 1800), [1],
                            flags=IntervalFlag.CLOCK_UNSYNCED)
    replies = ingest.handle(flagged, NOW + 1000)
    sync = _open(ingest, replies[-1]).payload
    assert sync == TimeSync((NOW + 1000) * 1000)
    assert store.get_intervals("m0").quality.tolist() == ["measured", "measured",
                                                          "clock_unsynced"]


def test_state_survives_a_restart(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = _ingest(store)
    first = dev.intervals(ingest.network_key, 0, _starts(2), [1, 1])
    replies = ingest.handle(first, NOW)
    counters = {again_counter(r) for r in replies}
    ingest.handle(dev.intervals(ingest.network_key, 3, _starts(4)[3:], [1]), NOW)
    restarted = _ingest(store)
    assert restarted.handle(first, NOW + 5) == []  # the replay window was persisted
    (ack, *_rest) = restarted.handle(dev.intervals(ingest.network_key, 2, _starts(3)[2:], [1]),
                                    NOW + 5)
    assert _open(restarted, ack).payload == Ack(2, 3, ())  # the seq state was persisted
    assert again_counter(ack) not in counters
    assert again_counter(ack) >= 1024  # resumed above the persisted reservation


def test_a_failed_commit_leaves_store_and_memory_unchanged(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = _ingest(store)

    def boom(batch: object) -> None:
        raise RuntimeError("disk full")

    data = dev.intervals(ingest.network_key, 0, _starts(2), [1, 1])
    original = store.save_seq_states
    store.save_seq_states = boom  # type: ignore[method-assign,assignment]
    with pytest.raises(RuntimeError):
        ingest.handle(data, NOW)
    store.save_seq_states = original  # type: ignore[method-assign]
    assert store.interval_count() == 0
    (ack, *_) = ingest.handle(data, NOW)  # not a replay: the window did not move
    assert _open(ingest, ack).payload == Ack(0, 1, ())


def test_batch_of_many_meters(store: Store) -> None:
    devs = make_site(store, 50)
    ingest = _ingest(store)
    frames = [d.intervals(ingest.network_key, k * 4, _starts(4, T0 + k * 3600),
                          [k + 1] * 4) for k in range(3) for d in devs]
    replies = ingest.handle_batch(frames, NOW + 3 * 3600)
    assert all(replies)
    assert store.interval_count() == 50 * 12
    assert store.interval_total_wh() == 50 * 4 * (1 + 2 + 3)
    got = store.get_intervals_bulk(["m7"])
    assert np.array_equal(got.start_s, np.array(_starts(12)))
    assert isinstance(Frame.from_bytes(frames[0], ingest.network_key).payload, Intervals)


def test_quality_from_flags_and_register_checks(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = _ingest(store)
    key = ingest.network_key
    ingest.handle(dev.intervals(key, 0, _starts(1), [5], register_wh=500,
                                flags=IntervalFlag.PARTIAL | IntervalFlag.CLOCK_UNSYNCED), NOW)
    ingest.handle(dev.intervals(key, 1, _starts(1, T0 + 900), [5], register_wh=400), NOW)
    assert store.get_intervals("m0").quality.tolist() == ["partial", "measured"]
    assert store.get_register_reads("m0").register_wh.tolist() == [500]
    assert store.rejection_counts() == {"register_decreased": 1}


def test_a_clock_running_ahead_gets_a_time_sync(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = _ingest(store, clock_error_s=60, future_tolerance_s=600)
    ingest.handle(dev.intervals(ingest.network_key, 0, _starts(1), [1]), NOW)  # periodic sync
    received = T0 + 4900
    start = T0 + 4500  # ends at T0 + 5400: 500 s after it was received (accepted, clock ahead)
    replies = ingest.handle(dev.intervals(ingest.network_key, 1, [start], [1]), received)
    assert isinstance(_open(ingest, replies[-1]).payload, TimeSync)
    assert store.interval_count() == 2


def test_a_device_registered_later_is_picked_up(store: Store) -> None:
    devs = make_site(store, 1)
    ingest = _ingest(store)
    late = FakeDevice(0x999, "99" * 16, "m9")
    frame = late.intervals(ingest.network_key, 0, _starts(1), [1])
    assert ingest.handle(frame, NOW) == []
    assert store.rejection_counts() == {"unknown_device": 1}
    store.upsert_meter(Meter("m9", "s1", late.device_id))
    store.upsert_device(Device(late.device_id, "mdt", "s1", "m9", install_code=late.install_code,
                               installed_s=T0))
    again = late.intervals(ingest.network_key, 0, _starts(1), [1])
    assert ingest.handle(again, NOW + 10) == []  # still remembered as unknown for a minute
    (ack, *_) = ingest.handle(late.intervals(ingest.network_key, 0, _starts(1), [1]), NOW + 61)
    assert _open(ingest, ack).payload == Ack(2, 0, ())
    assert devs
