"""The MDT's log and events through the frame contract (openamr.frames)."""

from __future__ import annotations

import pytest

from openamr import frames
from openamr.errors import InputError
from openamr.field.mdt import (
    IntervalFlag,
    Mdt,
    MdtClock,
    MdtParams,
    apply_ack,
    apply_time_sync,
    event_payload,
    frame_records,
    intervals_payload,
    tou_schedule_from_frame,
)

T0_S = 1_767_225_600


def d02(temperature_c: float = 21.37) -> Mdt:
    mdt = Mdt("MMSMT-D02", device_id="d", clock=MdtClock(base_clock_s=T0_S),
              temperature_source=lambda t: temperature_c)
    mdt.on_button(0.0, held_s=4.0)
    mdt.on_time_sync(0.0, T0_S)
    return mdt


def test_interval_flag_bits_match_the_frame_contract() -> None:
    for flag in frames.IntervalFlag:
        assert IntervalFlag[flag.name or ""].value == flag.value


def test_intervals_payload_round_trips_through_the_codec() -> None:
    mdt = d02()
    for t in (10.0, 20.0, 1000.0):
        mdt.on_pulse(t)
    mdt.on_cover(1100.0, cover_open=True)
    mdt.tick(2700.0)
    payload = intervals_payload(mdt)
    again = frames.Intervals.unpack(payload.pack())
    assert again == payload
    assert [r.seq for r in again.records] == [0, 1, 2]
    assert [r.energy_wh for r in again.records] == [20, 10, 0]
    assert again.records[0].temperature_c == pytest.approx(21.37)
    assert frames.IntervalFlag.TAMPER_OPEN in again.records[1].flags
    assert again.register_wh == 30
    assert len(again.tou_register_wh) == 4
    mdt.on_pulse(2800.0)  # in the interval in progress
    payload = intervals_payload(mdt)
    assert payload.register_wh == 40
    assert sum(payload.tou_register_wh) == 40
    assert len(intervals_payload(mdt, max_records=2).records) == 2


def test_events_become_frame_events() -> None:
    mdt = Mdt("MMSMT-E02", device_id="e", clock=MdtClock(base_clock_s=T0_S))
    mdt.on_button(0.0, held_s=4.0)
    mdt.on_temperature(5.0, -3.25)
    mdt.on_cover(6.0, cover_open=True)
    mdt.on_time_sync(7.0, T0_S + 107)
    kinds = [event_payload(e) for e in mdt.pending_events()]
    assert [(e.kind, e.value) for e in kinds] == [
        (frames.EventKind.TEMPERATURE_CHANGED, -325),
        (frames.EventKind.TAMPER_COVER_REMOVED, 0),
        (frames.EventKind.CLOCK_STEPPED, 100)]
    for event in kinds:
        assert frames.Event.unpack(event.pack()) == event


def test_ack_with_gaps() -> None:
    mdt = d02()
    mdt.tick(900.0 * 20)
    gaps = apply_ack(mdt, frames.Ack(acked_counter=7, acked_seq=9, gaps=((12, 13), (30, 31))))
    assert mdt.unacknowledged().seq[0] == 10
    assert [g.seq.tolist() for g in gaps] == [[12, 13], []]
    apply_ack(mdt, frames.Ack(acked_counter=8))  # NO_SEQ: nothing acknowledged
    assert mdt.unacknowledged().seq[0] == 10
    with pytest.raises(InputError):
        apply_ack(mdt, frames.Ack(acked_counter=9, acked_seq=50))


def test_time_sync_and_tou_schedule_payloads() -> None:
    mdt = Mdt("MMSMT-C02", device_id="c", clock=MdtClock(base_clock_s=T0_S - 30))
    assert apply_time_sync(mdt, 0.0, frames.TimeSync(utc_ms=T0_S * 1000)) == pytest.approx(30)
    payload = frames.TouSchedule(registers=2, switches=((T0_S, 0), (T0_S + 57_600, 1),
                                                        (T0_S + 75_600, 0)))
    schedule = tou_schedule_from_frame(payload)
    assert schedule.register_at([T0_S - 900, T0_S, T0_S + 57_600]).tolist() == [0, 0, 1]
    assert schedule.valid_until_s == T0_S + 75_600 + 86_400
    mdt.set_tou_schedule(schedule)
    with pytest.raises(InputError):
        tou_schedule_from_frame(frames.TouSchedule(registers=1, switches=()))


def test_restart_and_lost_records_are_reported() -> None:
    mdt = Mdt("MMSMT-C02", device_id="c", clock=MdtClock(base_clock_s=T0_S),
              params=MdtParams(buffer_days=0.125))  # a 12-record log
    mdt.on_button(0.0, held_s=4.0)
    mdt.tick(900.0 * 15)
    restored = Mdt.from_state(mdt.to_state(), clock=mdt.clock)
    restored.boot(900.0 * 15 + 1)
    kinds = [(e.kind, e.value) for e in restored.pending_events()]
    assert ("buffer.records_lost", 3.0) in kinds
    assert kinds[-1] == ("device.restarted", None)
    assert restored.lost_count == 3


def test_wire_records_are_the_codecs_records() -> None:
    """The packed path (the simulator's) gives the bytes the codec gives for the same records."""
    mdt = d02()
    mdt.tick(900.0 * 6)
    batch = mdt.unacknowledged()
    packed = batch.wire_records().tobytes()
    payload = frames.Intervals(register_wh=0, records=frame_records(batch))
    body = payload.pack()
    assert body.endswith(packed)
    assert len(packed) == 16 * len(batch)
