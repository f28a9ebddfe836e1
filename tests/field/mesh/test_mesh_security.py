from openamr.field.mesh.join import accept_join_response, join_request
from openamr.field.mesh.security import DeviceSecurity
from openamr.frames import (
    Ack,
    DeviceRole,
    Frame,
    JoinResponse,
    KeyId,
    install_code_key,
    peek_header,
)

CODE = bytes(range(16))
NET_KEY = bytes(range(100, 116))
HEADEND = 0x1


def test_join_request_is_sealed_under_the_install_code_key() -> None:
    dev = DeviceSecurity(0xAB, CODE)
    data, counter = join_request(dev, 0xDC, DeviceRole.MDT, model="MMSMT-C02")
    frame = Frame.from_bytes(data, install_code_key(CODE))
    assert frame.key_id == KeyId.INSTALL_CODE
    assert frame.counter == counter == 0
    assert peek_header(data).dst == 0xDC


def test_network_key_arrives_in_the_join_response_and_replays_are_refused() -> None:
    dev = DeviceSecurity(0xAB, CODE)
    resp = Frame(HEADEND, 0xAB, 7, JoinResponse(True, NET_KEY), KeyId.INSTALL_CODE)
    data = resp.to_bytes(install_code_key(CODE))
    frame = dev.open(data)
    assert frame is not None
    assert isinstance(frame.payload, JoinResponse)
    assert accept_join_response(dev, frame.payload)
    assert dev.network_key == NET_KEY
    assert dev.open(data) is None  # the same frame again
    assert dev.rejected == {"replay": 1}
    ack = Frame(HEADEND, 0xAB, 8, Ack(0)).to_bytes(bytes(16))  # wrong key: forged
    assert dev.open(ack) is None
    assert dev.rejected == {"replay": 1, "bad_mic": 1}


def test_frame_counters_resume_above_the_persisted_reservation_after_a_reset() -> None:
    dev = DeviceSecurity(0xAB, CODE)
    dev.network_key = NET_KEY
    used = [dev.seal(0xDC, Ack(0))[1] for _ in range(10)]
    dev.reset()
    after = dev.seal(0xDC, Ack(0))[1]
    assert after > max(used)
    assert dev.resets == 1


def test_packed_report_seals_the_bytes_of_frame_to_bytes() -> None:
    import struct

    from openamr.frames import FrameType, IntervalFlag, IntervalRecord, Intervals

    dev = DeviceSecurity(0xAB, CODE)
    dev.network_key = NET_KEY
    records = (IntervalRecord(5, 1_767_225_600, 120, IntervalFlag.CLOCK_UNSYNCED),
               IntervalRecord(6, 1_767_226_500, 0))
    packed = struct.pack("!QBB", 4321, 0, 2) + b"".join(
        struct.pack("!IIIHh", r.seq, r.start_s, r.energy_wh, int(r.flags), -0x8000)
        for r in records)
    data, counter = dev.seal_packed(0xDC, FrameType.INTERVALS, packed)
    assert data == Frame(0xAB, 0xDC, counter, Intervals(4321, records)).to_bytes(NET_KEY)


def test_open_ack_checks_like_open() -> None:
    dev = DeviceSecurity(0xAB, CODE)
    dev.network_key = NET_KEY
    good = Frame(HEADEND, 0xAB, 3, Ack(9, 41, ((43, 44),))).to_bytes(NET_KEY)
    ack = dev.open_ack(good)
    assert ack == (9, 41, ((43, 44),))
    assert dev.open_ack(good) is None  # replayed
    forged = bytearray(Frame(HEADEND, 0xAB, 4, Ack(9)).to_bytes(NET_KEY))
    forged[-1] ^= 1
    assert dev.open_ack(bytes(forged)) is None
    assert dev.rejected == {"replay": 1, "bad_mic": 1}
