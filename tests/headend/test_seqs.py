"""``settle_runs`` settles on columns exactly what ``SeqTracker.settle`` of each frame in turn
settles, for the MDTs it takes; the others it leaves untouched."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.headend.seqs import SeqTracker, settle_runs

HORIZON = 3360

_EUIS = st.sampled_from([0, 1, 2, 2**64 - 1])  # EUI-64s use all 64 bits
_frame = st.tuples(_EUIS, st.integers(0, 12), st.integers(0, 4))  # eui, lo, n


def _copy(trackers: dict[int, SeqTracker]) -> dict[int, SeqTracker]:
    return {e: SeqTracker(t.acked, set(t.above), t.lost_pending) for e, t in trackers.items()}


@settings(max_examples=200, deadline=None)
@given(frames=st.lists(_frame, max_size=20),
       before=st.dictionaries(st.sampled_from([0, 1, 2**64 - 1]), st.tuples(
           st.integers(-1, 6), st.sets(st.integers(8, 14), max_size=2), st.integers(0, 1)),
           max_size=4))
def test_settle_runs_equals_settle_in_turn(frames: list[tuple[int, int, int]],
                                           before: dict[int, tuple[int, set[int], int]]) -> None:
    start = {e: SeqTracker(a, set(above), lost) for e, (a, above, lost) in before.items()}
    eui = np.array([e for e, _lo, _n in frames], dtype=np.uint64)
    lo = np.array([lo for _e, lo, _n in frames], dtype=np.int64)
    count = np.array([n for _e, _lo, n in frames], dtype=np.int64)
    hi = np.where(count > 0, lo + count - 1, -1)
    runs = _copy(start)
    settled = settle_runs(runs, eui, lo, hi, count)
    turn = _copy(start)
    for f, (e, first, n) in enumerate(frames):
        if settled[f] or n == 0:
            continue
        runs.setdefault(e, SeqTracker()).settle(np.arange(first, first + n), HORIZON)
    for e, first, n in frames:
        if n:
            turn.setdefault(e, SeqTracker()).settle(np.arange(first, first + n), HORIZON)
    assert {e: (t.acked, t.above, t.lost_pending) for e, t in runs.items()} == \
        {e: (t.acked, t.above, t.lost_pending) for e, t in turn.items()}
    # a settled MDT had every one of its frames settled
    for e in set(eui[settled].tolist()):
        assert settled[eui == e].all()


def test_settle_runs_takes_the_usual_case() -> None:
    trackers = {7: SeqTracker(3)}
    eui = np.array([7, 9, 7], dtype=np.uint64)
    settled = settle_runs(trackers, eui, np.array([4, 0, 8]), np.array([7, 3, 11]),
                          np.array([4, 4, 4]))
    assert settled.tolist() == [True, True, True]
    assert (trackers[7].acked, trackers[9].acked) == (11, 3)
    assert settle_runs(trackers, eui[:0], eui[:0], eui[:0], eui[:0]).tolist() == []
