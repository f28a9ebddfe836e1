"""Link layer: acknowledged unicast with retries, and duplicate suppression.

A unicast is up to ``1 + max_retries`` attempts (MAC_MAX_RETRIES = 3); each attempt is a data
frame ``src → dst`` and, if it arrived, a short link ACK ``dst → src``.  When the data arrives
but its ACK is lost the sender tries again and the receiver gets a second copy: the receiver
drops copies it has seen by ``(originator, frame counter)`` (:class:`DuplicateFilter`).  An
exchange is a cheap computation, not a series of events: its duration is folded into the hop
latency of the caller.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from openamr.field.mesh.medium import Medium

__all__ = ["ACK_FRAME_BYTES", "DuplicateFilter", "Exchange", "unicast"]

ACK_FRAME_BYTES = 12
"""Length of a link ACK [bytes] (802.15.4 immediate ACK with a short header)."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """The outcome of one acknowledged unicast."""

    copies: int
    """Copies the receiver got (0: lost; > 1: duplicates to suppress)."""
    acked: bool
    """The sender saw a link ACK (it stops and counts a success)."""
    attempts: int
    """Transmissions made (1 .. 1 + max_retries)."""


def unicast(medium: Medium, src: int, dst: int, length_bytes: int, max_retries: int = 3,
            ) -> Exchange:
    """Send one frame ``src → dst`` with link ACKs and up to ``max_retries`` retries."""
    copies = 0
    for attempt in range(1, max_retries + 2):
        if medium.delivered(src, dst, length_bytes):
            copies += 1
            if medium.delivered(dst, src, ACK_FRAME_BYTES):
                return Exchange(copies, True, attempt)
    return Exchange(copies, False, max_retries + 1)


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
