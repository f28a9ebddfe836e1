"""The software MDT (``openamr mdt run``'s device): join, intervals, ACKs and gap requests, and
its flash: a restart continues the total, the buffer and the frame counters, and skips pulses
it took already.  The head-end's side is played here with :mod:`openamr.frames` directly."""

from __future__ import annotations

from pathlib import Path

import pytest

from openamr import frames
from openamr.errors import InputError
from openamr.field.mdt.software import STATE_FILE, SoftwareMdt
from openamr.frames import Frame, KeyId, install_code_key

EUI = 0x70B3D5A000000001
CODE = bytes(range(16))
NETWORK_KEY = bytes(range(16, 32))
HEADEND = 0x00000000000000D1
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


class HeadEnd:
    """Seals downlinks to the MDT as the head-end would (counters of its own)."""

    def __init__(self) -> None:
        self.counter = 100

    def seal(self, payload: frames.Payload, key_id: KeyId = KeyId.NETWORK) -> bytes:
        self.counter += 1
        key = install_code_key(CODE) if key_id == KeyId.INSTALL_CODE else NETWORK_KEY
        return Frame(HEADEND, EUI, self.counter, payload, key_id).to_bytes(key)


def _open(data: bytes) -> Frame:
    return Frame.from_bytes(data, NETWORK_KEY)


def _joined(tmp_path: Path, headend: HeadEnd, *, follow: bool = False) -> SoftwareMdt:
    dev = SoftwareMdt(tmp_path, meter_id="M-1", eui=EUI, install_code=CODE,
                      follow_headend_clock=follow)
    dev.boot(T0)
    request = Frame.from_bytes(dev.join_request(), install_code_key(CODE))
    assert isinstance(request.payload, frames.JoinRequest)
    assert request.payload.role == frames.DeviceRole.MDT
    answer = headend.seal(frames.JoinResponse(True, NETWORK_KEY, 0, 3600, T0),
                          KeyId.INSTALL_CODE)
    assert dev.downlink(answer, T0) == "join"
    assert dev.joined
    return dev


def _records(uplinks: list[bytes]) -> list[frames.IntervalRecord]:
    return [r for f in map(_open, uplinks) if isinstance(f.payload, frames.Intervals)
            for r in f.payload.records]


def test_pulses_become_intervals_that_acks_release(tmp_path: Path) -> None:
    headend = HeadEnd()
    dev = _joined(tmp_path, headend)
    assert dev.uplinks()[0]  # a STATUS after joining
    pulses = [T0 + 1.0 + 7.0 * i for i in range(400)]  # 400 pulses over 2800 s
    assert all(dev.pulse(t) for t in pulses)
    assert not dev.pulse(pulses[-1])  # the same instant again: already counted
    out = dev.uplinks()
    records = _records(out)
    expected = [sum(1 for t in pulses if s <= t < s + 900) * 10 for s in (T0, T0 + 900, T0 + 1800)]
    assert [r.energy_wh for r in records] == expected
    assert [r.seq for r in records] == [0, 1, 2]
    assert dev.mdt.total_wh == 4000
    last_counter = _open(out[-1]).counter
    ack = headend.seal(frames.Ack(last_counter, acked_seq=0, gaps=((2, 2),)))
    assert dev.downlink(ack, T0 + 3000) == "ack"
    assert dev.acked_seq == 0
    assert dev.downlink(ack, T0 + 3000) is None  # the same frame again: a replay
    again = _records(dev.uplinks())
    assert [r.seq for r in again][:1] == [2]  # the gap asked for goes first
    assert sorted({r.seq for r in again}) == [1, 2]
    done = headend.seal(frames.Ack(1, acked_seq=2))
    assert dev.downlink(done, T0 + 3000) == "ack"
    assert dev.pending_records == 0
    beyond = headend.seal(frames.Ack(1, acked_seq=50))
    assert dev.downlink(beyond, T0 + 3000) is None  # records it never made
    foreign = Frame(HEADEND, EUI + 1, 900, frames.Ack(1, 2), KeyId.NETWORK).to_bytes(
        NETWORK_KEY)
    assert dev.downlink(foreign, T0) is None


def test_a_restart_loses_nothing_and_counts_nothing_twice(tmp_path: Path) -> None:
    headend = HeadEnd()
    dev = _joined(tmp_path, headend)
    first = [T0 + 5.0 * i for i in range(1, 300)]
    for t in first:
        dev.pulse(t)
    out = dev.uplinks()
    dev.save()
    used = max(_open(f).counter for f in out)
    assert (tmp_path / STATE_FILE).exists()

    again = SoftwareMdt(tmp_path, meter_id="M-1", eui=EUI, install_code=CODE,
                        follow_headend_clock=False)
    assert again.restored
    again.boot(again.last_pulse_s or 0.0)
    assert again.mdt.total_wh == dev.mdt.total_wh
    assert again.last_pulse_s == first[-1]
    assert not any(again.pulse(t) for t in first)  # the file read again: all skipped
    assert again.pulse(first[-1] + 1000.0)
    assert not again.joined  # it joins again after a restart
    again.downlink(headend.seal(frames.JoinResponse(True, NETWORK_KEY, 0, 3600, T0),
                                KeyId.INSTALL_CODE), T0)
    out2 = again.uplinks()
    assert min(_open(f).counter for f in out2) > used  # counters never reused
    records = _records(out2)
    assert [r.seq for r in records] == list(range(len(records)))
    assert sum(r.energy_wh for r in records) == len(first) * 10  # the last pulse: still open
    events = [f.payload for f in map(_open, out2) if isinstance(f.payload, frames.Event)]
    assert [e.kind for e in events] == [frames.EventKind.DEVICE_RESTARTED]


def test_a_state_of_another_device_is_refused(tmp_path: Path) -> None:
    dev = SoftwareMdt(tmp_path, meter_id="M-1", eui=EUI, install_code=CODE)
    dev.boot(T0)
    dev.save()
    with pytest.raises(InputError, match="belongs to MDT M-1"):
        SoftwareMdt(tmp_path, meter_id="M-2", eui=EUI + 1, install_code=CODE)
    (tmp_path / STATE_FILE).write_text("{not json")
    with pytest.raises(InputError, match="unreadable MDT state"):
        SoftwareMdt(tmp_path, meter_id="M-1", eui=EUI, install_code=CODE)
    with pytest.raises(InputError, match="not finite"):
        SoftwareMdt(tmp_path / "new", meter_id="M-1", eui=EUI,
                    install_code=CODE).pulse(float("nan"))


def test_a_live_mdt_follows_the_headends_clock(tmp_path: Path) -> None:
    """With pulses timed by the host now (GPIO), time syncs are applied; with a file's times
    they are not (the file's clock is the MDT's)."""
    headend = HeadEnd()
    live = _joined(tmp_path / "live", headend, follow=True)
    live.pulse(T0 + 10.0)
    assert live.downlink(headend.seal(frames.TimeSync((T0 + 15) * 1000)), T0 + 12.0) == \
        "time_sync"
    assert live.mdt.clock_s(T0 + 12.0) == T0 + 15
    replay = _joined(tmp_path / "file", headend)
    replay.downlink(headend.seal(frames.TimeSync((T0 + 99_999) * 1000)), T0 + 12.0)
    assert replay.mdt.clock_s(T0 + 12.0) == T0 + 12.0
