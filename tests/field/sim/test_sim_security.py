"""Replayed, forged and unknown-device frames are rejected, counted, and change nothing."""

from __future__ import annotations

from openamr.field.mesh.dcap import Dcap
from openamr.frames import DeviceRole as R
from openamr.frames import Frame, FrameType, IntervalRecord, Intervals, peek_header

ROLES = [R.DCAP, R.REPEATER, R.MDT, R.MDT]
LINKS = [(0, 1, -70.0, 1.0), (1, 2, -80.0, 0.99), (0, 3, -82.0, 0.99)]


def test_replay_forgery_and_unknown_device_are_rejected_and_counted(mesh) -> None:
    run, he, sc = mesh(ROLES, LINKS, power_on_s=[0, 30, 150, 150], days=0.5)
    captured: list[bytes] = []
    inner = run.net.backhaul

    def tap(frames: list[bytes], sim_t_s: float) -> list[bytes]:
        captured.extend(frames)
        return inner(frames, sim_t_s)

    run.net.backhaul = tap
    run.run(0.5)
    assert he.rejected == {}
    before = {eui: he.intervals(eui) for eui in he.meter_of}
    report = next(f for f in captured if peek_header(f).frame_type == FrameType.INTERVALS)
    forged = bytearray(report)
    forged[-1] ^= 0x01  # flip one bit of the MIC
    # a frame from a device the head-end never registered, sealed with the real network key
    stranger = Frame(0x0BAD_0BAD_0BAD_0BAD, sc.nodes[0].eui, 0,
                     Intervals(10, (IntervalRecord(0, sc.epoch_s, 10),))).to_bytes(he.network_key)
    dcap = run.nodes[0]
    assert isinstance(dcap, Dcap)
    dcap.batch.extend([report, bytes(forged), stranger])
    downlinks_before = dcap.downlinks
    dcap.flush()
    assert he.rejected == {"replay": 1, "bad_mic": 1, "unknown_device": 1}
    assert {eui: he.intervals(eui) for eui in he.meter_of} == before
    assert dcap.downlinks == downlinks_before  # nothing answered


def test_frame_counters_survive_a_repeater_power_cycle(mesh) -> None:
    run, he, _ = mesh(ROLES, LINKS, power_on_s=[0, 30, 150, 150],
                      outages={1: ((3600.0, 12 * 3600.0),)}, days=1)
    rep = run.nodes[1]
    run.kernel.run(3000.0)
    counter_before = rep.security.counter.value
    highest_before = he.store.load_replay_windows()[f"{rep.eui:016x}"][0]
    run.run(1)
    assert rep.security.resets == 1
    assert rep.security.counter.value > counter_before
    assert rep.joined
    assert he.rejected == {}  # the restarted repeater's frames were fresh, not replays
    assert he.store.load_replay_windows()[f"{rep.eui:016x}"][0] > highest_before
