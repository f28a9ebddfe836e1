from __future__ import annotations

import numpy as np
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.frames import MIC_LENGTH, CcmBatch, FrameCounter, ReplayWindow, install_code_key


def test_install_code_key_is_deterministic_and_label_format_agnostic() -> None:
    a = install_code_key("83FE-D340-7A93-9723")
    assert a == install_code_key(bytes.fromhex("83FED3407A939723"))
    assert len(a) == 16
    assert a != install_code_key("83FE-D340-7A93-9724")


def test_replay_window_rejects_repeats_and_stale_but_accepts_reordering() -> None:
    w = ReplayWindow()
    for c in (5, 3, 7, 4):
        assert w.check(c) is None
        w.accept(c)
    assert w.check(5) == "replay"
    assert w.check(3) == "replay"
    assert w.check(6) is None
    w.accept(200)
    assert w.check(100) == "stale"
    assert w.check(199) is None


@given(st.lists(st.integers(0, 500), max_size=200))
def test_each_counter_is_accepted_at_most_once(counters: list[int]) -> None:
    w = ReplayWindow()
    accepted: list[int] = []
    for c in counters:
        if w.check(c) is None:
            w.accept(c)
            accepted.append(c)
    assert len(accepted) == len(set(accepted))
    assert set(accepted) <= set(counters)


@given(st.integers(1, 5000), st.integers(1, 64))
def test_frame_counter_never_repeats_across_resets(
    sent_before_reset: int, persist_every: int
) -> None:
    counter = FrameCounter(persist_every=persist_every)
    flash = 0
    used = []
    for _ in range(sent_before_reset):
        value, persist = counter.next()
        used.append(value)
        if persist:
            flash = counter.reserved_until
    restarted = FrameCounter.after_reset(flash, persist_every)
    value, persist = restarted.next()
    assert value > max(used)
    assert persist


# -- CcmBatch: byte for byte what AESCCM gives, frame by frame -------------------------------

_frame_parts = st.tuples(st.binary(min_size=13, max_size=13), st.binary(max_size=40),
                         st.binary(max_size=90))


@settings(max_examples=60, deadline=None)
@given(key=st.binary(min_size=16, max_size=16),
       frames=st.lists(_frame_parts, max_size=12),
       tamper=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 200), st.integers(1, 255)),
                       max_size=4))
def test_ccm_batch_equals_aesccm(key: bytes, frames: list[tuple[bytes, bytes, bytes]],
                                 tamper: list[tuple[int, int, int]]) -> None:
    ref = AESCCM(key, tag_length=MIC_LENGTH)
    batch = CcmBatch(key)
    nonces = [n for n, _a, _p in frames]
    aads = [a for _n, a, _p in frames]
    plains = [p for _n, _a, p in frames]
    sealed = batch.seal_many(nonces, aads, plains)
    assert sealed == [ref.encrypt(n, p, a) for n, a, p in frames]
    assert batch.open_many(nonces, aads, sealed) == plains
    bodies = list(sealed)
    for f, at, x in tamper:  # flip bits of some frames: exactly those are refused
        if f < len(bodies):
            b = bytearray(bodies[f])
            b[at % len(b)] ^= x
            bodies[f] = bytes(b)
    want: list[bytes | None] = []
    for n, a, body in zip(nonces, aads, bodies, strict=True):
        try:
            want.append(ref.decrypt(n, body, a))
        except InvalidTag:
            want.append(None)
    assert batch.open_many(nonces, aads, bodies) == want
    assert batch.open_many(nonces, aads, [b[:5] for b in bodies]) == [None] * len(bodies)


def test_ccm_batch_arrays() -> None:
    key = bytes(range(16))
    nonce = np.arange(3 * 13, dtype=np.uint8).reshape(3, 13)
    aad = np.full((3, 24), 7, dtype=np.uint8)
    plain = np.arange(3 * 10, dtype=np.uint8).reshape(3, 10)
    body = CcmBatch(key).seal_array(nonce, aad, plain)
    assert body.shape == (3, 10 + MIC_LENGTH)
    body[1, 0] ^= 1
    got, ok = CcmBatch(key).open_array(nonce, aad, body)
    assert ok.tolist() == [True, False, True]
    assert (got[0] == plain[0]).all()
    assert (got[1] == 0).all()
    with pytest.raises(ValueError, match="16 bytes"):
        CcmBatch(b"short")


@given(st.integers(-1, 100), st.integers(0, 2**64 - 1),
       st.lists(st.integers(1, 90), max_size=30))
def test_accept_newer_equals_accept_in_turn(highest: int, seen: int, steps: list[int]) -> None:
    seen = seen if highest >= 0 else 0
    counters, c = [], highest
    for step in steps:
        c += step
        counters.append(c)
    one, run = ReplayWindow(highest, seen), ReplayWindow(highest, seen)
    for counter in counters:
        one.accept(counter)
    run.accept_newer(counters)
    assert (run.highest, run.seen) == (one.highest, one.seen)


@given(st.integers(0, 5000), st.lists(st.integers(0, 700), max_size=20))
def test_frame_counter_take_reserves_a_block(start: int, blocks: list[int]) -> None:
    """``take(n)`` hands out what ``n`` calls of ``next`` would, and says to persist whenever
    the reservation moved, which always covers every counter handed out."""
    one, many = FrameCounter(start, 256, start), FrameCounter(start, 256, start)
    for n in blocks:
        firsts = [one.next()[0] for _ in range(n)]
        before = many.reserved_until
        first, persist = many.take(n)
        assert many.value == one.value
        assert first == (firsts[0] if firsts else many.value)
        assert persist == (many.reserved_until != before)
        assert many.reserved_until >= many.value


def test_ccm_batch_of_no_frames() -> None:
    batch = CcmBatch(bytes(16))
    empty = np.zeros((0, 13), dtype=np.uint8)
    plain, ok = batch.open_array(empty, np.zeros((0, 24), np.uint8), np.zeros((0, 30), np.uint8))
    assert plain.shape == (0, 22)
    assert ok.shape == (0,)
    assert batch.seal_many([], [], []) == []
