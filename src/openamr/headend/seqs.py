"""Interval seqs of each MDT that are settled: what an ACK tells (``acked_seq`` and gaps).

A seq is settled when it is stored, a duplicate, refused for good, or gone from the MDT's buffer
(see ``docs/headend-ingest.md``, "Answer").  :class:`SeqTracker` keeps one MDT's; ``settle_runs``
settles at once, on columns, the frames of a batch that simply continue their MDT's records
(the usual case), and leaves the others to :meth:`SeqTracker.settle`, frame by frame.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from openamr.frames import NO_SEQ
from openamr.headend.key_runs import KeyRuns
from openamr.headend.store import SeqState

__all__ = ["SeqTracker", "settle_runs"]


@dataclass
class SeqTracker:
    """Settled interval seqs of one MDT: ``acked`` and the settled ones above it.

    A seq is settled when it is stored, a duplicate, refused for good, or gone from the MDT's
    buffer (given up: more than the horizon below the newest seq seen, or reported lost by a
    ``buffer.records_lost`` event).  ``lost_pending`` holds a reported loss that had no gap to
    apply to yet (kept in memory only; after a restart the horizon rule still gives up)."""

    acked: int = -1
    above: set[int] = field(default_factory=set)
    lost_pending: int = 0

    def settle(self, seqs: npt.NDArray[np.int64], horizon: int) -> list[tuple[int, int, str]]:
        """Settle ``seqs``; returns the missing ranges given up: ``(lo, hi, why)``."""
        if len(seqs) == 0:
            return []
        first, last = int(seqs[0]), int(seqs[-1])
        if (not self.above and not self.lost_pending and first == self.acked + 1
                and last - first + 1 == len(seqs) and bool(np.all(np.diff(seqs) == 1))):
            self.acked = last  # the usual case: the next records, in order
            return []
        self.above.update(int(s) for s in seqs if s > self.acked)
        lost: list[tuple[int, int, str]] = []
        if self.lost_pending:
            lost = self.lose(self.lost_pending)
            self.lost_pending = 0
        newest = max(self.above) if self.above else self.acked
        if newest - horizon > self.acked:  # older seqs are out of every buffer: give up
            why = f"more than {horizon} records below the newest seq {newest}"
            lost += [(a, b, why) for a, b in self._give_up(newest - horizon)]
        self._advance()
        return lost

    def lose(self, n_records: int) -> list[tuple[int, int, str]]:
        """The MDT reports ``n_records`` overwritten before they were acknowledged: its oldest
        unacknowledged ones, i.e. missing seqs in ``(acked, acked + n]`` below a seq already
        seen (a gap).  Without a gap yet the loss applies at the next settle.  Returns the
        missing ranges given up."""
        if n_records <= 0:
            return []
        if not self.above:
            self.lost_pending = n_records
            return []
        first_seen = min(self.above)
        upto = min(self.acked + n_records, first_seen - 1)
        why = f"the MDT reported {n_records} record(s) overwritten in its buffer"
        lost = [(a, b, why) for a, b in self._give_up(upto)] if upto > self.acked else []
        self._advance()
        return lost

    def _give_up(self, upto: int) -> list[tuple[int, int]]:
        """Settle every seq up to ``upto``; the missing ranges among them."""
        lost: list[tuple[int, int]] = []
        prev = self.acked
        for s in sorted(x for x in self.above if x <= upto):
            if s > prev + 1:
                lost.append((prev + 1, s - 1))
            prev = s
        if upto > prev:
            lost.append((prev + 1, upto))
        self.acked = upto
        self.above = {s for s in self.above if s > upto}
        return lost

    def _advance(self) -> None:
        while self.acked + 1 in self.above:
            self.acked += 1
            self.above.discard(self.acked)

    def acked_seq(self) -> int:
        return NO_SEQ if self.acked < 0 else self.acked

    def gaps(self, limit: int) -> tuple[tuple[int, int], ...]:
        out: list[tuple[int, int]] = []
        prev = self.acked
        for s in sorted(self.above):
            if s > prev + 1:
                out.append((prev + 1, s - 1))
                if len(out) >= limit:
                    break
            prev = s
        return tuple(out)

    def state(self) -> SeqState:
        return SeqState(self.acked, tuple(sorted(self.above)))


def settle_runs(trackers: MutableMapping[int, SeqTracker], eui: npt.NDArray[np.uint64],
                seq: npt.NDArray[np.int64],
                n_records: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Settle at once every MDT whose frames of the batch continue its records in order.

    Per frame (in arrival order): the sender ``eui`` and its number of records; ``seq`` holds
    every frame's record seqs, one frame after the other.  An MDT qualifies when its tracker
    holds nothing above ``acked`` and no pending loss, and each of its frames holds exactly the
    seqs ``previous + 1 .. previous + n`` in that order (``previous``: the tracker's ``acked``,
    then the frame before's last); a repeated or skipped seq leaves the MDT to the slow path;
    its ``acked`` becomes its last frame's highest seq (a tracker is made for a new MDT), as
    :meth:`SeqTracker.settle` of each frame in turn would do.  Returns which frames were
    settled; the others (every frame of an MDT that does not qualify) are left untouched, for
    :meth:`SeqTracker.settle` frame by frame in arrival order.
    """
    n = len(eui)
    if n == 0:
        return np.zeros(0, dtype=bool)
    seq_lo, seq_hi, in_order = _frame_runs(seq, n_records)
    runs = KeyRuns.of(eui)
    known = [trackers.get(d) for d in runs.keys]
    clean = np.array([t is None or (not t.above and not t.lost_pending) for t in known],
                     dtype=bool)
    acked = [-1 if t is None else t.acked for t in known]
    order = runs.order
    lo, hi, count = seq_lo[order], seq_hi[order], n_records[order]
    step_ok = (count > 0) & in_order[order] & (lo == runs.previous(hi, acked) + 1)
    device_ok = clean & runs.all_of(step_ok)
    for d, t, ok, last in zip(runs.keys, known, device_ok.tolist(), hi[runs.ends].tolist(),
                              strict=True):
        if ok:
            if t is None:
                t = trackers[d] = SeqTracker()
            t.acked = last
    return runs.to_rows(device_ok)


def _frame_runs(seq: npt.NDArray[np.int64], n_records: npt.NDArray[np.int64]
                ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Per frame: its first and last seq (``0, -1`` without records) and whether its seqs
    count up by one from the first to the last."""
    n = len(n_records)
    lo = np.zeros(n, dtype=np.int64)
    hi = np.full(n, -1, dtype=np.int64)
    in_order = np.zeros(n, dtype=bool)
    nonempty = n_records > 0
    if not nonempty.any():
        return lo, hi, in_order
    ends = np.cumsum(n_records)
    firsts = (ends - n_records)[nonempty]
    step = np.ones(len(seq), dtype=bool)  # record k follows record k - 1 of its frame by one
    step[1:] = seq[1:] == seq[:-1] + 1
    step[firsts] = True
    lo[nonempty] = seq[firsts]
    hi[nonempty] = seq[ends[nonempty] - 1]
    in_order[nonempty] = np.logical_and.reduceat(step, firsts)
    return lo, hi, in_order
