"""The MDT's side of the end-to-end acknowledgement: which records went out, which the head-end
has, which it asked for again.  One implementation for the single :class:`~openamr.field.mdt.
device.Mdt` and for every simulated MDT of a site (:class:`~openamr.field.mesh.mdt_node.
MdtNode` rows of one :class:`DeliveryLog`).

Per MDT (a row), with record sequence numbers ``seq`` (contiguous from 0):

* ``sent_end``: records with ``seq < sent_end`` were sent at least once;
* ``acked_end``: records with ``seq < acked_end`` are stored at the head-end (the ACK's
  ``acked_seq`` + 1, never beyond what was sent: an ACK cannot acknowledge what the MDT has not
  offered);
* ``gaps``: inclusive ``[first, last]`` ranges to send again: asked for by the head-end
  (``Ack.gaps``), or everything unacknowledged after an ACK timeout (a lost last frame leaves
  no gap for the head-end to see).

Sans-IO: the caller decides when to send and what a frame holds (``per_frame`` records); this
says which ranges.  ``depth`` is the buffer's size in records (35 days of 15-minute records,
:data:`~openamr.field.mdt.buffer.DEFAULT_DEPTH`): nothing older than ``closed_end - depth`` is
offered, it was overwritten.  Rows are Python lists (the per-MDT calls are the simulator's hot
path, where numpy scalar indexing costs more than the work); :meth:`pending` and
:meth:`acknowledge_all` are the batch views over many MDTs.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

from openamr.field.mdt.buffer import DEFAULT_DEPTH
from openamr.frames import NO_SEQ

__all__ = ["DeliveryLog"]


class DeliveryLog:
    """Sent / acknowledged / asked-again state of ``n_devices`` MDTs' interval records."""

    __slots__ = ("acked_end", "depth", "gaps", "sent_end")

    def __init__(self, n_devices: int = 1, depth: int = DEFAULT_DEPTH) -> None:
        self.depth = depth
        """Records the buffer holds (35 days by default)."""
        self.sent_end: list[int] = [0] * n_devices
        """Per MDT: records with a lower seq were sent at least once."""
        self.acked_end: list[int] = [0] * n_devices
        """Per MDT: records with a lower seq are stored at the head-end."""
        self.gaps: list[deque[list[int]]] = [deque() for _ in range(n_devices)]
        """Per MDT: inclusive ``[first, last]`` ranges to send again, oldest request first."""

    @property
    def n_devices(self) -> int:
        """Number of MDTs (rows)."""
        return len(self.sent_end)

    # -- the head-end's answers ---------------------------------------------------------------

    def on_ack(self, row: int, acked_seq: int, gaps: tuple[tuple[int, int], ...] = (), *,
               limit_end: int | None = None) -> None:
        """An ACK: every record up to ``acked_seq`` is stored (``NO_SEQ``: none), ``gaps`` are
        missing.  The acknowledgement never passes ``limit_end`` (default: what was sent)."""
        limit = self.sent_end[row] if limit_end is None else limit_end
        acked = self.acked_end[row]
        if acked_seq != NO_SEQ and acked_seq + 1 > acked:
            acked = self.acked_end[row] = min(acked_seq + 1, limit)
        queue = self.gaps[row]
        for first, last in gaps:
            if last >= acked:
                queue.append([max(first, acked), last])

    def on_timeout(self, row: int) -> bool:
        """No ACK came for a while: queue everything sent and unacknowledged again; True if
        there was any."""
        acked, sent = self.acked_end[row], self.sent_end[row]
        if acked < sent:
            self.gaps[row].append([acked, sent - 1])
            return True
        return False

    # -- what to send -------------------------------------------------------------------------

    def next_new(self, row: int, closed_end: int, per_frame: int) -> tuple[int, int] | None:
        """The next ``[a, b)`` of records never sent (closed ones only, none the buffer has
        overwritten), at most ``per_frame``; None when all were sent."""
        a = self.sent_end[row]
        if a >= closed_end:
            return None
        horizon = closed_end - self.depth
        if a < horizon:
            a = horizon
        b = a + per_frame
        return a, (b if b < closed_end else closed_end)

    def mark_sent(self, row: int, end: int) -> None:
        """Records below ``end`` went out."""
        if end > self.sent_end[row]:
            self.sent_end[row] = end

    def next_gap(self, row: int, closed_end: int, per_frame: int) -> tuple[int, int] | None:
        """The next ``[a, b)`` to send again (from the oldest request, at most ``per_frame``,
        nothing acknowledged, unsent or overwritten); None when no gap is left."""
        horizon = closed_end - self.depth
        queue = self.gaps[row]
        acked, sent = self.acked_end[row], self.sent_end[row]
        while queue:
            first, last = queue[0]
            first = max(first, horizon, acked)
            last = min(last, sent - 1)
            if first > last:
                queue.popleft()
                continue
            queue[0][0], queue[0][1] = first, last
            return first, min(last + 1, first + per_frame)
        return None

    def gap_sent(self, row: int, end: int) -> None:
        """The range :meth:`next_gap` gave went out up to ``end`` (exclusive)."""
        queue = self.gaps[row]
        if queue:
            if end > queue[0][1]:
                queue.popleft()
            else:
                queue[0][0] = end

    # -- many MDTs at once --------------------------------------------------------------------

    def pending(self, closed_end: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Per MDT: closed records not yet acknowledged (``closed_end`` per row)."""
        closed = np.broadcast_to(np.asarray(closed_end, dtype=np.int64), (self.n_devices,))
        out: npt.NDArray[np.int64] = np.maximum(
            closed - np.asarray(self.acked_end, dtype=np.int64), 0)
        return out

    def acknowledge_all(self, acked_seq: npt.ArrayLike) -> None:
        """Vectorised cumulative :meth:`on_ack` without gaps (``acked_seq`` per row; ``NO_SEQ``
        or a lower one changes nothing; never beyond what was sent)."""
        up = np.broadcast_to(np.asarray(acked_seq, dtype=np.int64), (self.n_devices,))
        valid = up != NO_SEQ
        new = np.where(valid, np.minimum(up + 1, np.asarray(self.sent_end, dtype=np.int64)), 0)
        self.acked_end = np.maximum(np.asarray(self.acked_end, dtype=np.int64), new).tolist()
