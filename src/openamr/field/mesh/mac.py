"""Link layer: acknowledged unicast with retries, and duplicate suppression.

A unicast is up to ``1 + max_retries`` attempts (MAC_MAX_RETRIES = 3); each attempt is a data
frame ``src → dst`` and, if it arrived, a short link ACK ``dst → src``.  When the data arrives
but its ACK is lost the sender tries again and the receiver gets a second copy: the receiver
drops copies it has seen by ``(originator, frame counter)`` (:class:`DuplicateFilter`).  An
exchange is a cheap computation, not a series of events (:meth:`openamr.field.mesh.network.
Network.hop`: one uniform draw per attempt decides whether data and ACK arrived).
"""

from __future__ import annotations

from collections import deque

__all__ = ["ACK_FRAME_BYTES", "DuplicateFilter"]

ACK_FRAME_BYTES = 12
"""Length of a link ACK [bytes] (802.15.4 immediate ACK with a short header)."""


class DuplicateFilter:
    """Remembers the last ``window_frames`` ``(src, counter)`` pairs a node received."""

    __slots__ = ("dropped", "order", "seen", "window")

    def __init__(self, window_frames: int = 512) -> None:
        self.seen: set[int] = set()
        """Keys ``src << 32 | counter`` of the frames in the window."""
        self.order: deque[int] = deque()
        """The same keys, oldest first."""
        self.window = window_frames
        self.dropped = 0
        """Duplicate copies dropped so far."""

    def first_time(self, src: int, counter: int) -> bool:
        """True the first time ``(src, counter)`` is seen, False (and counted) for a copy."""
        key = src << 32 | counter  # counters are 32-bit
        seen = self.seen
        if key in seen:
            self.dropped += 1
            return False
        seen.add(key)
        order = self.order
        order.append(key)
        if len(order) > self.window:
            seen.discard(order.popleft())
        return True
