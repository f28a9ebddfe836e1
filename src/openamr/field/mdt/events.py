"""Event records the MDT queues for the radio (tamper, supply, temperature, clock).

Kinds (dotted codes):

============================  ===================================================  ==========
kind                          when                                                 ``value``
============================  ===================================================  ==========
``tamper.cover_removed``      the enclosure's tamper micro-switch opens            —
``tamper.cover_replaced``     it closes again                                      —
``power.lost``               the meter's +12 VDC supply disappears               —
``power.restored``           it comes back                                        —
``temperature.changed``       E02: the reading moved ≥ 1 % of span                 °C
``clock.stepped``             a time sync moved the clock by ≥ clock_step_flag_s   step [s]
``device.restarted``          the MDT booted from its persisted state              —
``buffer.records_lost``       records overwritten before they were acknowledged    how many
============================  ===================================================  ==========

The kinds are the dotted codes of :class:`openamr.frames.EventKind`.

Each record has its own ``seq`` (contiguous per MDT, like intervals) and the MDT clock's time
``t_s`` [UTC epoch s].  The queue is bounded (``depth``); the oldest unacknowledged record is
dropped when full and counted in ``lost_count``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass

from openamr.errors import InputError

__all__ = ["EVENT_KINDS", "EventQueue", "MdtEventRecord"]

EVENT_KINDS = frozenset({
    "tamper.cover_removed", "tamper.cover_replaced", "power.lost", "power.restored",
    "temperature.changed", "clock.stepped", "device.restarted", "buffer.records_lost",
})


@dataclass(frozen=True)
class MdtEventRecord:
    """One event for the radio; ``t_s`` [UTC epoch s by the MDT clock]."""

    seq: int
    t_s: int
    kind: str
    value: float | None = None
    clock_synced: bool = True


class EventQueue:
    """Bounded queue of :class:`MdtEventRecord`, acknowledged cumulatively by seq."""

    def __init__(self, depth: int = 256, next_seq: int = 0) -> None:
        if depth < 1:
            raise InputError("the event queue needs at least one slot", where="event_depth")
        self.depth = depth
        self.next_seq = next_seq
        self.lost_count = 0
        self._records: deque[MdtEventRecord] = deque()

    def push(self, t_s: int, kind: str, value: float | None = None, *,
             clock_synced: bool = True) -> MdtEventRecord:
        """Queue an event; return it."""
        if kind not in EVENT_KINDS:
            raise InputError(f"unknown MDT event kind {kind!r}", where="kind")
        record = MdtEventRecord(self.next_seq, int(t_s), kind, value, clock_synced)
        self.next_seq += 1
        if len(self._records) >= self.depth:
            self._records.popleft()
            self.lost_count += 1
        self._records.append(record)
        return record

    def pending(self) -> list[MdtEventRecord]:
        """Unacknowledged events, oldest first."""
        return list(self._records)

    def acknowledge(self, up_to_seq: int) -> None:
        """Drop every event with ``seq <= up_to_seq``."""
        if up_to_seq >= self.next_seq:
            raise InputError(f"acknowledgement of event {up_to_seq} but the last is "
                             f"{self.next_seq - 1}", where="up_to_seq")
        while self._records and self._records[0].seq <= up_to_seq:
            self._records.popleft()

    def to_state(self) -> dict[str, object]:
        """Queue contents and counters (kept in flash)."""
        return {"depth": self.depth, "next_seq": self.next_seq, "lost_count": self.lost_count,
                "records": [asdict(r) for r in self._records]}

    @classmethod
    def from_state(cls, state: dict[str, object]) -> EventQueue:
        """Inverse of :meth:`to_state`."""
        queue = cls(int(state["depth"]), int(state["next_seq"]))  # type: ignore[call-overload]
        queue.lost_count = int(state["lost_count"])  # type: ignore[call-overload]
        records = state["records"]
        assert isinstance(records, list)
        queue._records.extend(MdtEventRecord(**r) for r in records)
        return queue
