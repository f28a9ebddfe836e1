"""Frame round-trips, golden frames and fuzzing: the contract between field and head-end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import FrameError
from openamr.frames import (
    BROADCAST,
    HEADER_LENGTH,
    Ack,
    Beacon,
    DeviceRole,
    Event,
    EventKind,
    Frame,
    IntervalFlag,
    IntervalRecord,
    Intervals,
    JoinRequest,
    JoinResponse,
    KeyId,
    Status,
    TimeSync,
    TouSchedule,
    install_code_key,
    peek_header,
)

GOLDEN = Path(__file__).parent / "golden" / "frames_v2.json"
GOLDEN_V1 = Path(__file__).parent / "golden" / "frames_v1.json"
"""Version-1 frames: kept to prove a version-2 receiver refuses them."""
NETWORK_KEY = bytes(range(16))
INSTALL_CODE = "83FE-D340-7A93-9723-A5C6-39B2-6916-D505"
MDT = 0x0013_A200_0000_0001
DCAP = 0x0013_A200_0000_00FF

SAMPLES: dict[str, Frame] = {
    "beacon": Frame(DCAP, BROADCAST, 1, Beacon(rank=256, hops=0, dcap_id=DCAP, path_etx=0.0)),
    "join_request": Frame(MDT, DCAP, 0, JoinRequest(DeviceRole.MDT, "MMSMT-D02", 3, 3600),
                          KeyId.INSTALL_CODE),
    "join_response": Frame(DCAP, MDT, 7, JoinResponse(True, NETWORK_KEY, 1, 3600, 1_790_000_000),
                           KeyId.INSTALL_CODE),
    "intervals": Frame(MDT, DCAP, 42, Intervals(
        register_wh=123_450,
        records=(
            IntervalRecord(100, 1_790_000_000, 120),
            IntervalRecord(101, 1_790_000_900, 130, IntervalFlag.TAMPER_OPEN, 21.25),
        ),
        tou_register_wh=(100_000, 23_450),
    )),
    "event": Frame(MDT, DCAP, 43, Event(EventKind.TAMPER_COVER_REMOVED, 1_790_000_123)),
    "status": Frame(MDT, DCAP, 44, Status(parent=DCAP, rssi_dbm=-87, etx=1.25, hops=1,
                                          battery_mv=3600, battery_remaining_mah=1980,
                                          tx_frames=5, retries=2, queue_frames=1,
                                          parent_changes=1, link_margin_db=12.5, drops=1,
                                          uptime_s=86_400, clock_offset_ms=-250)),
    "ack": Frame(DCAP, MDT, 8, Ack(42, 101, ((90, 95),))),
    "time_sync": Frame(DCAP, MDT, 9, TimeSync(1_790_000_000_250)),
    "tou_schedule": Frame(DCAP, MDT, 10, TouSchedule(2, ((1_790_000_000, 0), (1_790_050_000, 1)))),
}


def _key_for(frame: Frame) -> bytes:
    return install_code_key(INSTALL_CODE) if frame.key_id == KeyId.INSTALL_CODE else NETWORK_KEY


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_golden_frames_are_byte_exact(name: str) -> None:
    """A change of layout changes these bytes: bump FRAME_VERSION and keep old goldens."""
    golden = json.loads(GOLDEN.read_text())
    frame = SAMPLES[name]
    data = frame.to_bytes(_key_for(frame))
    assert data.hex() == golden[name]
    assert Frame.from_bytes(bytes.fromhex(golden[name]), _key_for(frame)) == frame


@pytest.mark.parametrize("name", sorted(json.loads(GOLDEN_V1.read_text())))
def test_version_1_frames_are_refused(name: str) -> None:
    """A receiver refuses a layout it no longer knows, before any key or MIC is tried."""
    data = bytes.fromhex(json.loads(GOLDEN_V1.read_text())[name])
    with pytest.raises(FrameError) as err:
        Frame.from_bytes(data, lambda src, key_id: NETWORK_KEY)
    assert err.value.reason == "unsupported_version"


def test_status_v2_fields_round_trip_and_clamp() -> None:
    full = Status(parent=DCAP, rssi_dbm=-101, etx=3.5, hops=4, battery_mv=2450,
                  battery_remaining_mah=120, on_battery=True, tx_frames=7, retries=3,
                  queue_frames=2, parent_changes=5, link_margin_db=-1.5, drops=4,
                  uptime_s=3_000_000, clock_offset_ms=1_234)
    assert Status.unpack(full.pack()) == full
    old_style = Status(0x200, -85, 1.5, 2, 3500, 1800, False, 10, 1, 0, 1)
    assert (old_style.link_margin_db, old_style.drops, old_style.uptime_s,
            old_style.clock_offset_ms) == (0.0, 0, 0, 0)
    clamped = Status.unpack(Status(0, -200, link_margin_db=9999.0, drops=2**40,
                                   uptime_s=2**40, clock_offset_ms=-(2**40)).pack())
    assert (clamped.rssi_dbm, clamped.link_margin_db, clamped.drops, clamped.uptime_s,
            clamped.clock_offset_ms) == (-128, 3276.7, 2**32 - 1, 2**32 - 1, -(2**31))


def test_header_is_readable_before_verification() -> None:
    data = SAMPLES["intervals"].to_bytes(NETWORK_KEY)
    header = peek_header(data)
    assert (header.src, header.dst, header.counter, header.encrypted) == (MDT, DCAP, 42, True)


def test_beacon_payload_is_readable_but_authenticated() -> None:
    data = SAMPLES["beacon"].to_bytes(NETWORK_KEY)
    assert Beacon(256, 0, DCAP).pack() in data
    forged = bytearray(data)
    forged[HEADER_LENGTH] ^= 0x01
    with pytest.raises(FrameError) as err:
        Frame.from_bytes(bytes(forged), NETWORK_KEY)
    assert err.value.reason == "bad_mic"


def test_payload_is_encrypted() -> None:
    frame = SAMPLES["join_response"]
    assert NETWORK_KEY not in frame.to_bytes(_key_for(frame))


@pytest.mark.parametrize("position", [0, 4, 20, HEADER_LENGTH + 3, -1])
def test_any_flipped_bit_is_rejected(position: int) -> None:
    data = bytearray(SAMPLES["intervals"].to_bytes(NETWORK_KEY))
    data[position] ^= 0x80
    with pytest.raises(FrameError) as err:
        Frame.from_bytes(bytes(data), NETWORK_KEY)
    assert err.value.reason in {"bad_mic", "unsupported_version"}


def test_wrong_key_and_unknown_sender() -> None:
    data = SAMPLES["intervals"].to_bytes(NETWORK_KEY)
    with pytest.raises(FrameError, match="bad_mic"):
        Frame.from_bytes(data, bytes(16))
    with pytest.raises(FrameError, match="unknown_device"):
        Frame.from_bytes(data, lambda src, key_id: None)


records = st.builds(
    IntervalRecord,
    seq=st.integers(0, 2**32 - 1),
    start_s=st.integers(0, 2**32 - 1),
    energy_wh=st.integers(0, 2**32 - 1),
    flags=st.sampled_from(list(IntervalFlag)),
    temperature_c=st.none() | st.integers(-4000, 8500).map(lambda c: c / 100),
)
payloads = st.one_of(
    st.builds(Intervals, register_wh=st.integers(0, 2**64 - 1),
              records=st.lists(records, max_size=120).map(tuple),
              tou_register_wh=st.lists(st.integers(0, 2**64 - 1), max_size=8).map(tuple)),
    st.builds(Event, kind=st.sampled_from(list(EventKind)), t_s=st.integers(0, 2**32 - 1),
              value=st.integers(-(2**31), 2**31 - 1)),
    st.builds(Ack, acked_counter=st.integers(0, 2**32 - 1), acked_seq=st.integers(0, 2**32 - 1),
              gaps=st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
                            max_size=20).map(tuple)),
    st.builds(TimeSync, utc_ms=st.integers(0, 2**64 - 1)),
    st.builds(Status, parent=st.integers(0, 2**64 - 1), rssi_dbm=st.integers(-128, 127),
              etx=st.integers(0, 0xFFFF).map(lambda e: e / 100), hops=st.integers(0, 255),
              battery_mv=st.integers(0, 0xFFFF), battery_remaining_mah=st.integers(0, 0xFFFF),
              on_battery=st.booleans(), tx_frames=st.integers(0, 2**32 - 1),
              retries=st.integers(0, 2**32 - 1), queue_frames=st.integers(0, 0xFFFF),
              parent_changes=st.integers(0, 0xFFFF),
              link_margin_db=st.integers(-0x8000, 0x7FFF).map(lambda m: m / 10),
              drops=st.integers(0, 2**32 - 1), uptime_s=st.integers(0, 2**32 - 1),
              clock_offset_ms=st.integers(-(2**31), 2**31 - 1)),
)


@given(src=st.integers(0, 2**64 - 1), counter=st.integers(0, 2**32 - 1), payload=payloads)
def test_round_trip(src: int, counter: int,
                    payload: Intervals | Event | Ack | TimeSync | Status) -> None:
    frame = Frame(src, DCAP, counter, payload)
    assert Frame.from_bytes(frame.to_bytes(NETWORK_KEY), NETWORK_KEY) == frame


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_garbage_only_ever_raises_frame_error(data: bytes) -> None:
    with pytest.raises(FrameError):
        Frame.from_bytes(data, NETWORK_KEY)


@given(st.data())
def test_truncated_or_extended_frames_are_rejected(data: st.DataObject) -> None:
    good = SAMPLES["intervals"].to_bytes(NETWORK_KEY)
    cut = data.draw(st.integers(0, len(good) - 1))
    with pytest.raises(FrameError):
        Frame.from_bytes(good[:cut], NETWORK_KEY)
    with pytest.raises(FrameError):
        Frame.from_bytes(good + data.draw(st.binary(min_size=1, max_size=8)), NETWORK_KEY)


def test_payload_values_out_of_range_are_refused_when_building() -> None:
    with pytest.raises(ValueError, match="counter"):
        Frame(MDT, DCAP, 2**32, TimeSync(0)).to_bytes(NETWORK_KEY)
    with pytest.raises(ValueError, match="records"):
        Intervals(0, tuple(IntervalRecord(i, 0, 0) for i in range(121))).pack()


if __name__ == "__main__":  # regenerate the golden file deliberately: python tests/frames/...
    GOLDEN.write_text(json.dumps(
        {name: f.to_bytes(_key_for(f)).hex() for name, f in sorted(SAMPLES.items())}, indent=2
    ) + "\n")
