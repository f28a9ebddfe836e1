"""``settle_runs`` settles on columns exactly what ``SeqTracker.settle`` of each frame in turn
settles, for the MDTs it takes; the others it leaves untouched."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.headend.seqs import SeqTracker, settle_runs

HORIZON = 3360

_EUIS = st.sampled_from([0, 1, 2, 2**64 - 1])  # EUI-64s use all 64 bits


def _copy(trackers: dict[int, SeqTracker]) -> dict[int, SeqTracker]:
    return {e: SeqTracker(t.acked, set(t.above), t.lost_pending) for e, t in trackers.items()}


_frame = st.tuples(_EUIS, st.lists(st.integers(0, 14), max_size=5))  # eui, record seqs
_in_order = st.tuples(_EUIS, st.integers(0, 12), st.integers(0, 4)).map(
    lambda f: (f[0], list(range(f[1], f[1] + f[2]))))  # the usual case: seqs counting up
_before = st.dictionaries(st.sampled_from([0, 1, 2**64 - 1]), st.tuples(
    st.integers(-1, 6), st.sets(st.integers(8, 14), max_size=2), st.integers(0, 1)), max_size=4)


@settings(max_examples=300, deadline=None)
@given(frames=st.lists(st.one_of(_in_order, _frame), max_size=8), before=_before)
def test_settle_runs_equals_settle_in_turn(frames: list[tuple[int, list[int]]],
                                           before: dict[int, tuple[int, set[int], int]]) -> None:
    """Any frames (repeated, skipped or unordered seqs too) end in the same state either way."""
    start = {e: SeqTracker(a, set(above), lost) for e, (a, above, lost) in before.items()}
    eui = np.array([e for e, _seqs in frames], dtype=np.uint64)
    count = np.array([len(seqs) for _e, seqs in frames], dtype=np.int64)
    seq = np.array([q for _e, seqs in frames for q in seqs], dtype=np.int64)
    runs = _copy(start)
    settled = settle_runs(runs, eui, seq, count)
    turn = _copy(start)
    for f, (e, seqs) in enumerate(frames):
        if settled[f] or not seqs:
            continue
        runs.setdefault(e, SeqTracker()).settle(np.array(seqs, dtype=np.int64), HORIZON)
    for e, seqs in frames:
        if seqs:
            turn.setdefault(e, SeqTracker()).settle(np.array(seqs, dtype=np.int64), HORIZON)
    assert {e: (t.acked, t.above, t.lost_pending) for e, t in runs.items()} == \
        {e: (t.acked, t.above, t.lost_pending) for e, t in turn.items()}
    # a settled MDT had every one of its frames settled
    for e in set(eui[settled].tolist()):
        assert settled[eui == e].all()


def test_a_repeated_seq_never_hides_a_missing_one() -> None:
    """Records 5, 5, 7 after 4: 6 is still missing (it is no "next three records")."""
    trackers = {7: SeqTracker(4)}
    settled = settle_runs(trackers, np.array([7], dtype=np.uint64), np.array([5, 5, 7]),
                          np.array([3]))
    assert settled.tolist() == [False]
    one = SeqTracker(4)
    one.settle(np.array([5, 5, 7]), HORIZON)
    assert (one.acked, one.above) == (5, {7})


def test_settle_runs_takes_the_usual_case() -> None:
    trackers = {7: SeqTracker(3)}
    eui = np.array([7, 9, 7], dtype=np.uint64)
    settled = settle_runs(trackers, eui, np.array([4, 5, 6, 7, 0, 1, 2, 3, 8, 9, 10, 11]),
                          np.array([4, 4, 4]))
    assert settled.tolist() == [True, True, True]
    assert (trackers[7].acked, trackers[9].acked) == (11, 3)
    assert settle_runs(trackers, eui[:0], eui[:0], eui[:0]).tolist() == []
