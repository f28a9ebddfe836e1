"""The tamper micro-switch under the enclosure cover (manual §2.2, §2.5.2, §5.1).

The switch closes when the cover is on.  Removing the cover and putting it back are recorded as
events with their simulation time; the MDT wires the switch (white and black) so that the AMR
system can report it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from openamr.errors import InputError

__all__ = ["TAMPER_KINDS", "TamperEvent", "TamperSwitch"]

TAMPER_KINDS: tuple[str, ...] = ("cover_removed", "cover_replaced")
"""The two kinds of tamper event."""


@dataclass(frozen=True)
class TamperEvent:
    """The cover was removed or replaced at ``sim_t_s`` [s from power-up]."""

    kind: Literal["cover_removed", "cover_replaced"]
    sim_t_s: float

    def to_dict(self) -> dict[str, object]:
        """JSON form: ``{"kind": ..., "sim_t_s": ...}``."""
        return {"kind": self.kind, "sim_t_s": self.sim_t_s}


@dataclass
class TamperSwitch:
    """The cover switch: its state and the events so far, in time order."""

    cover_on: bool = True
    events: list[TamperEvent] = field(default_factory=list)

    def _check_time(self, sim_t_s: float, where: str) -> None:
        if not math.isfinite(sim_t_s) or sim_t_s < 0:
            raise InputError(f"tamper time must be a non-negative number of seconds, "
                             f"got {sim_t_s!r}", where=where)
        if self.events and sim_t_s < self.events[-1].sim_t_s:
            raise InputError(f"tamper time {sim_t_s!r} s is before the previous event at "
                             f"{self.events[-1].sim_t_s!r} s", where=where)

    def remove_cover(self, sim_t_s: float) -> TamperEvent:
        """Open the enclosure at ``sim_t_s`` [s]; refused if the cover is already off."""
        self._check_time(sim_t_s, "tamper_open_s")
        if not self.cover_on:
            raise InputError("the cover is already removed", where="tamper_open_s")
        self.cover_on = False
        event = TamperEvent("cover_removed", float(sim_t_s))
        self.events.append(event)
        return event

    def replace_cover(self, sim_t_s: float) -> TamperEvent:
        """Put the cover back at ``sim_t_s`` [s]; refused if it is on."""
        self._check_time(sim_t_s, "tamper_close_s")
        if self.cover_on:
            raise InputError("the cover is not removed", where="tamper_close_s")
        self.cover_on = True
        event = TamperEvent("cover_replaced", float(sim_t_s))
        self.events.append(event)
        return event

    def events_until(self, sim_t_s: float) -> list[TamperEvent]:
        """Events at or before ``sim_t_s`` [s]."""
        return [e for e in self.events if e.sim_t_s <= sim_t_s]

    def cover_on_at(self, sim_t_s: float) -> bool:
        """Whether the cover is on at ``sim_t_s`` [s] (after the events at that instant)."""
        state = True
        for event in self.events_until(sim_t_s):
            state = event.kind == "cover_replaced"
        return state
