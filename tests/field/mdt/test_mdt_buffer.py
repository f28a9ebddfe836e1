"""The interval log: 35-day wrap, gap serving, acknowledgement, lost records, bulk append."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.field.mdt import DEFAULT_DEPTH, IntervalRing, depth_for_days

T0_S = 1_767_225_600  # 2026-01-01T00:00:00Z


def test_default_depth_is_35_days() -> None:
    assert DEFAULT_DEPTH == 3360 == depth_for_days(35)
    assert IntervalRing().depth == 3360
    with pytest.raises(InputError):
        depth_for_days(0.001)


def fill(ring: IntervalRing, n: int, row: int = 0) -> None:
    for i in range(int(ring.next_seq[row]), int(ring.next_seq[row]) + n):
        ring.append_one(row, T0_S + 900 * i, 10 * i, 0)


def test_wrap_at_35_days_keeps_the_last_3360_and_counts_lost() -> None:
    ring = IntervalRing()
    fill(ring, 3360)
    assert ring.lost_count[0] == 0
    assert len(ring.unacknowledged()) == 3360
    fill(ring, 10)
    assert ring.lost_count[0] == 10
    assert ring.oldest_seq(0) == 10
    held = ring.unacknowledged()
    assert held.seq[0] == 10
    assert held.seq[-1] == 3369
    assert np.all(np.diff(held.seq) == 1)
    assert held.start_s[0] == T0_S + 9000
    assert held.energy_wh[-1] == 33690


def test_acknowledged_records_are_not_lost_when_overwritten() -> None:
    ring = IntervalRing(depth=10)
    fill(ring, 10)
    ring.acknowledge(0, 6)
    fill(ring, 10)  # overwrites seq 0..9: 0..6 acknowledged, 7..9 lost
    assert ring.lost_count[0] == 3
    assert ring.pending_count()[0] == 10


def test_gap_requests_and_records_since() -> None:
    ring = IntervalRing(depth=100)
    fill(ring, 50)
    gap = ring.records_in(0, 20, 24)
    assert gap.seq.tolist() == [20, 21, 22, 23, 24]
    assert gap.start_s.tolist() == [T0_S + 900 * i for i in range(20, 25)]
    assert ring.records_since(0, 47).seq.tolist() == [48, 49]
    assert len(ring.records_in(0, 60, 70)) == 0
    assert ring.records_in(0, -5, 1).seq.tolist() == [0, 1]
    fill(ring, 80)  # seq 0..29 overwritten
    assert ring.records_in(0, 20, 35).seq.tolist() == list(range(30, 36))


def test_acknowledge_is_cumulative_and_refuses_the_future() -> None:
    ring = IntervalRing(depth=20)
    fill(ring, 5)
    ring.acknowledge(0, 3)
    ring.acknowledge(0, 1)  # older acknowledgement: no change
    assert ring.unacknowledged().seq.tolist() == [4]
    with pytest.raises(InputError):
        ring.acknowledge(0, 5)
    assert ring.acked_seq[0] == 3


def test_bulk_append_for_many_mdts_equals_one_by_one() -> None:
    n, k = 5, 23
    rng = np.random.default_rng(7)
    energy = rng.integers(0, 5000, (n, k))
    starts = T0_S + 900 * np.arange(k)
    bulk = IntervalRing(n, depth=10, n_registers=2, has_temperature=True)
    single = IntervalRing(n, depth=10, n_registers=2, has_temperature=True)
    regs = rng.integers(0, 1000, (n, k, 2))
    temps = rng.normal(20, 3, (n, k)).astype(np.float32)
    bulk.append_block(starts[:7], energy[:, :7], 3, tou_register=1,
                      tou_register_wh=regs[:, :7], temperature_c=temps[:, :7])
    bulk.append_block(starts[7:], energy[:, 7:], 3, tou_register=1,
                      tou_register_wh=regs[:, 7:], temperature_c=temps[:, 7:])
    for i in range(n):
        for j in range(k):
            single.append_one(i, int(starts[j]), int(energy[i, j]), 3, tou_register=1,
                              tou_register_wh=tuple(int(v) for v in regs[i, j]),
                              temperature_c=float(temps[i, j]))
    for i in range(n):
        a, b = bulk.unacknowledged(i), single.unacknowledged(i)
        for name in ("seq", "start_s", "energy_wh", "flags", "tou_register",
                     "tou_register_wh", "temperature_c"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(bulk.lost_count, single.lost_count)
    assert bulk.lost_count.tolist() == [13] * n


def test_bulk_append_to_some_rows_with_different_heads() -> None:
    ring = IntervalRing(3, depth=8)
    ring.append_block(T0_S + 900 * np.arange(3), np.ones((1, 3)), rows=[1])
    first = ring.append_block(T0_S + 900 * np.arange(3, 9), np.full((3, 6), 2))
    assert first.tolist() == [0, 3, 0]
    assert ring.next_seq.tolist() == [6, 9, 6]
    assert ring.unacknowledged(1).energy_wh.tolist() == [1, 1, 2, 2, 2, 2, 2, 2]
    assert ring.lost_count.tolist() == [0, 1, 0]


def test_state_round_trip() -> None:
    ring = IntervalRing(2, depth=6, n_registers=1)
    ring.append_block(T0_S + 900 * np.arange(8), np.arange(16).reshape(2, 8))
    ring.acknowledge(0, 4)
    again = IntervalRing.from_state(ring.to_state())
    for row in (0, 1):
        a, b = again.unacknowledged(row), ring.unacknowledged(row)
        for name in ("seq", "start_s", "energy_wh", "flags", "tou_register_wh",
                     "temperature_c"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert again.lost_count.tolist() == ring.lost_count.tolist()


@settings(max_examples=100, deadline=None)
@given(blocks=st.lists(st.integers(0, 30), max_size=12), depth=st.integers(1, 25),
       acks=st.lists(st.integers(0, 400), max_size=12))
def test_seq_is_contiguous_and_lost_plus_held_plus_acked_is_everything(
        blocks: list[int], depth: int, acks: list[int]) -> None:
    ring = IntervalRing(depth=depth)
    acked_total = 0
    for i, k in enumerate(blocks):
        ring.append_block(T0_S + 900 * np.arange(k), np.ones((1, k)))
        if i < len(acks) and ring.next_seq[0] > 0:
            up = min(acks[i], int(ring.next_seq[0]) - 1)
            if up >= ring.oldest_seq(0):  # the DCAP acknowledges what it can have received
                ring.acknowledge(0, up)
        held = ring.unacknowledged()
        assert np.all(np.diff(held.seq) == 1)
        acked_total = int(ring.acked_seq[0]) + 1
        lost = int(ring.lost_count[0])
        assert len(held) + lost + acked_total >= int(ring.next_seq[0])
        assert len(held) <= depth
    total = sum(blocks)
    assert int(ring.next_seq[0]) == total


@settings(max_examples=150, deadline=None)
@given(depth=st.integers(1, 12),
       ops=st.lists(st.one_of(
           st.tuples(st.just("append"), st.integers(0, 15)),
           st.tuples(st.just("ack"), st.integers(-1, 60)),
           st.tuples(st.just("query"), st.tuples(st.integers(-2, 60), st.integers(-2, 60)))),
           max_size=25))
def test_the_ring_behaves_like_a_plain_list(depth: int, ops: list[tuple[str, object]]) -> None:
    """A reference model: every record ever made in a list; the ring holds the last ``depth``;
    lost = overwritten while above the acknowledgement."""
    ring = IntervalRing(depth=depth)
    made: list[int] = []  # energy per seq
    acked = -1
    lost = 0
    for op, arg in ops:
        if op == "append":
            assert isinstance(arg, int)
            energy = list(range(len(made), len(made) + arg))
            ring.append_block(T0_S + 900 * np.arange(len(made), len(made) + arg),
                              np.asarray([energy]))
            for _ in energy:
                made.append(len(made) * 7)
                gone = len(made) - 1 - depth
                if gone >= 0 and gone > acked:
                    lost += 1
        elif op == "ack":
            assert isinstance(arg, int)
            if arg >= len(made):
                with pytest.raises(InputError):
                    ring.acknowledge(0, arg)
            else:
                ring.acknowledge(0, arg)
                acked = max(acked, arg)
        else:
            assert isinstance(arg, tuple)
            a, b = arg
            got = ring.records_in(0, a, b).seq.tolist()
            oldest = max(0, len(made) - depth)
            assert got == list(range(max(a, oldest), min(b, len(made) - 1) + 1))
        oldest = max(0, len(made) - depth)
        assert ring.unacknowledged().seq.tolist() == list(range(max(oldest, acked + 1),
                                                                len(made)))
        assert int(ring.lost_count[0]) == lost
