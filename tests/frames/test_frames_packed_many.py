"""The batch forms of the packed-frame API: ``seal_packed_many`` gives, row by row, the bytes
``seal_packed`` gives; ``open_packed_many`` opens them and refuses a tampered row; the numpy
records have the layout of their structs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.frames import (
    ACK_HEAD_DTYPE,
    ACK_HEAD_STRUCT,
    HEADER_DTYPE,
    HEADER_STRUCT,
    INTERVALS_HEAD_DTYPE,
    INTERVALS_HEAD_STRUCT,
    CcmBatch,
    FrameType,
    headers_of,
    open_packed,
    open_packed_many,
    seal_packed,
    seal_packed_many,
)

KEY = bytes(range(16))


def test_records_have_the_layout_of_their_structs() -> None:
    assert HEADER_DTYPE.itemsize == HEADER_STRUCT.size
    assert ACK_HEAD_DTYPE.itemsize == ACK_HEAD_STRUCT.size
    assert INTERVALS_HEAD_DTYPE.itemsize == INTERVALS_HEAD_STRUCT.size
    rec = np.array([(2, 3, 1, 0, 2**64 - 1, 5, 2**32 - 1)], dtype=HEADER_DTYPE)
    assert rec.tobytes() == HEADER_STRUCT.pack(2, 3, 1, 0, 2**64 - 1, 5, 2**32 - 1)


@settings(max_examples=50, deadline=None)
@given(src=st.integers(0, 2**64 - 1), width=st.integers(0, 40),
       rows=st.lists(st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**32 - 1)),
                     min_size=1, max_size=6), data=st.data())
def test_seal_packed_many_equals_seal_packed(src: int, width: int,
                                             rows: list[tuple[int, int]],
                                             data: st.DataObject) -> None:
    payloads = [data.draw(st.binary(min_size=width, max_size=width)) for _ in rows]
    body = np.frombuffer(b"".join(payloads), dtype=np.uint8).reshape(len(rows), width)
    dst = np.array([d for d, _c in rows], dtype=np.uint64)
    counter = np.array([c for _d, c in rows], dtype=np.int64)
    sealed = seal_packed_many(CcmBatch(KEY), FrameType.ACK, src, dst, counter, body)
    for k, (d, c) in enumerate(rows):
        assert sealed[k].tobytes() == seal_packed(KEY, FrameType.ACK, src, d, c, payloads[k])
    head = headers_of(sealed)
    assert head["src"].tolist() == [src] * len(rows)
    assert head["dst"].tolist() == dst.tolist()
    tampered = sealed.copy()
    tampered[0, -1] ^= 1
    plain, ok = open_packed_many(CcmBatch(KEY), tampered)
    assert ok.tolist() == [False] + [True] * (len(rows) - 1)
    for k in range(1, len(rows)):
        assert plain[k].tobytes() == open_packed(sealed[k].tobytes(), KEY)[5]


def test_only_encrypted_types_are_sealed_in_batch() -> None:
    with pytest.raises(ValueError, match="not encrypted"):
        seal_packed_many(CcmBatch(KEY), FrameType.BEACON, 1, [2], [3],
                         np.zeros((1, 4), dtype=np.uint8))
