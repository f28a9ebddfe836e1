"""The packed-payload API gives the bytes of Frame.to_bytes and the checks of Frame.from_bytes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openamr.errors import FrameError
from openamr.frames import (
    INTERVALS_HEAD_STRUCT,
    RECORD_DTYPE,
    RECORD_STRUCT,
    Ack,
    Frame,
    FrameType,
    IntervalRecord,
    Intervals,
    KeyId,
    open_packed,
    pack_ack,
    seal_packed,
    unpack_ack,
)

KEY = bytes(range(16))


@given(counter=st.integers(0, 2**32 - 1), acked=st.integers(0, 2**32 - 1),
       gaps=st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
                     max_size=10).map(tuple))
def test_packed_ack_is_byte_identical(counter: int, acked: int,
                                      gaps: tuple[tuple[int, int], ...]) -> None:
    frame = Frame(7, 9, counter, Ack(counter, acked, gaps))
    data = seal_packed(KEY, FrameType.ACK, 7, 9, counter, pack_ack(counter, acked, gaps))
    assert data == frame.to_bytes(KEY)
    frame_type, src, dst, got_counter, key_id, plain = open_packed(data, KEY)
    assert (frame_type, src, dst, got_counter, key_id) == (FrameType.ACK, 7, 9, counter,
                                                           KeyId.NETWORK)
    assert unpack_ack(plain) == (counter, acked, gaps)


def test_intervals_decode_with_the_record_dtype() -> None:
    records = tuple(IntervalRecord(i, 1_790_000_000 + 900 * i, 10 * i) for i in range(5))
    data = Frame(1, 2, 3, Intervals(500, records)).to_bytes(KEY)
    plain = open_packed(data, KEY)[-1]
    register_wh, n_tou, n = INTERVALS_HEAD_STRUCT.unpack_from(plain)
    assert (register_wh, n_tou, n) == (500, 0, 5)
    assert RECORD_DTYPE.itemsize == RECORD_STRUCT.size
    rec = np.frombuffer(plain, RECORD_DTYPE, count=n, offset=INTERVALS_HEAD_STRUCT.size)
    assert rec["seq"].tolist() == [0, 1, 2, 3, 4]
    assert rec["energy_wh"].tolist() == [0, 10, 20, 30, 40]


def test_open_packed_rejects_what_from_bytes_rejects() -> None:
    data = bytearray(Frame(1, 2, 3, Ack(3)).to_bytes(KEY))
    data[-1] ^= 1
    with pytest.raises(FrameError, match="bad_mic"):
        open_packed(bytes(data), KEY)
    with pytest.raises(FrameError, match="malformed"):
        unpack_ack(b"\x00\x00")
    with pytest.raises(FrameError, match="malformed"):
        unpack_ack(pack_ack(1, 2, ((3, 4),)) + b"x")
