"""The MDT's pulse input: meter terminal 10, Kh 10 Wh per pulse (manual §3.2, §5.1).

The figures of the input are not the manual's: the 25 ms minimum pulse width (debounce) and the
20 pulses/s maximum come from Tehama's pulse MDT datasheet and support FAQ ("closure must last
>25 ms"; the "Hersey" variant without debounce), reference peers.md §3.1.

The input is a contact pulled up through the meter's +12 VDC/counter terminals.  A closure is
accepted when it comes at least ``debounce_s`` (25 ms) after the previous *accepted* closure:
anything sooner is contact bounce and is not counted, so a bouncing pulse counts once.  The
input cannot resolve more than ``max_pulses_per_s`` (20 /s: 25 ms closed + 25 ms open), so an
edge sooner than ``1 / max_pulses_per_s`` after the previous accepted one is dropped as an
overrun.  Both rules are one dead time after each accepted edge,
``dead_time_s = max(debounce_s, 1 / max_pulses_per_s)``; the two counters tell them apart.

Two paths give the same answer (a test holds them to it): :meth:`PulseInput.on_pulse` per edge,
and :func:`debounce_mask` / :meth:`PulseInput.accept_edges` on a sorted ``np.ndarray`` of edge
times; :meth:`PulseInput.accept_counts` takes pulse counts per interval (from the meter's
``outputs.pulse_counts_per_interval``) and caps them at the input's rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError

__all__ = ["EDGE_TOLERANCE_S", "PulseInput", "PulseInputParams", "debounce_mask"]

EDGE_TOLERANCE_S = 1e-9
"""Edges this close to the end of a dead time [s] count as after it (float rounding of 0.05)."""


@dataclass(frozen=True)
class PulseInputParams:
    """Electrical behaviour of the pulse input."""

    kh_wh: int = 10
    debounce_s: float = 0.025
    max_pulses_per_s: float = 20.0

    def __post_init__(self) -> None:
        if self.kh_wh <= 0:
            raise InputError(f"kh_wh must be a positive whole number of Wh, got {self.kh_wh}",
                             where="kh_wh")
        if self.debounce_s < 0:
            raise InputError("debounce_s must not be negative", where="debounce_s")
        if self.max_pulses_per_s <= 0:
            raise InputError("max_pulses_per_s must be positive", where="max_pulses_per_s")

    @property
    def dead_time_s(self) -> float:
        """Shortest spacing [s] between two accepted edges."""
        return max(self.debounce_s, 1.0 / self.max_pulses_per_s)

    def max_pulses_per_interval(self, interval_s: float) -> int:
        """Most pulses the input can accept in ``interval_s`` [s]."""
        return math.floor(interval_s * self.max_pulses_per_s + EDGE_TOLERANCE_S)


def debounce_mask(edge_t_s: npt.ArrayLike, dead_time_s: float,
                  last_accepted_t_s: float = -math.inf) -> npt.NDArray[np.bool_]:
    """Which of the sorted edge times [s] are accepted (True) after a dead time [s].

    An edge is accepted when it is at least ``dead_time_s`` after the previous accepted edge
    (``last_accepted_t_s`` carries that across batches).  Vectorised: every edge far enough from
    the previous *edge* is accepted outright; only edges inside a burst are walked one by one.
    """
    t = np.asarray(edge_t_s, dtype=np.float64)
    if t.ndim != 1:
        raise InputError("edge times must be a 1-D array", where="edge_t_s")
    if t.size == 0:
        return np.zeros(0, dtype=bool)
    if np.any(np.diff(t) < 0):
        raise InputError("edge times must be sorted ascending", where="edge_t_s")
    prev = np.empty_like(t)
    prev[0] = last_accepted_t_s
    prev[1:] = t[:-1]
    threshold_s = dead_time_s - EDGE_TOLERANCE_S
    accepted = (t - prev) >= threshold_s
    burst = np.flatnonzero(~accepted)
    last_t = last_accepted_t_s
    previous = -2
    for i in burst.tolist():
        if i != previous + 1 and i > 0:
            last_t = float(t[i - 1])  # the edge before a burst was accepted outright
        if t[i] - last_t >= threshold_s:
            accepted[i] = True
            last_t = float(t[i])
        previous = i
    return accepted


@dataclass
class PulseInput:
    """The pulse counter: accepted pulses, rejected edges and the running total [Wh].

    ``total_pulses`` is what the MDT keeps in non-volatile memory; see :meth:`to_state`.
    """

    params: PulseInputParams
    total_pulses: int = 0
    last_accepted_t_s: float = -math.inf
    bounce_count: int = 0
    overrun_count: int = 0

    @property
    def total_wh(self) -> int:
        """Running total [Wh]: accepted pulses × Kh."""
        return self.total_pulses * self.params.kh_wh

    def on_pulse(self, sim_t_s: float) -> bool:
        """An edge at ``sim_t_s`` [s]; True when it is counted."""
        since_s = sim_t_s - self.last_accepted_t_s
        if since_s < -EDGE_TOLERANCE_S:
            raise InputError(f"pulse at {sim_t_s} s is before the previous accepted pulse "
                             f"({self.last_accepted_t_s} s)", where="sim_t_s")
        if since_s >= self.params.dead_time_s - EDGE_TOLERANCE_S:
            self.total_pulses += 1
            self.last_accepted_t_s = sim_t_s
            return True
        if since_s < self.params.debounce_s - EDGE_TOLERANCE_S:
            self.bounce_count += 1
        else:
            self.overrun_count += 1
        return False

    def accept_edges(self, edge_t_s: npt.ArrayLike
                     ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Debounce a sorted array of edge times [s]: ``(accepted, overrun)`` edge times.

        Accepted edges are counted; rejected edges are bounces (not returned) or overruns.
        """
        t = np.asarray(edge_t_s, dtype=np.float64)
        if t.size and t[0] < self.last_accepted_t_s - EDGE_TOLERANCE_S:
            raise InputError("edge times start before the previous accepted pulse",
                             where="edge_t_s")
        mask = debounce_mask(t, self.params.dead_time_s, self.last_accepted_t_s)
        accepted = t[mask]
        rejected = t[~mask]
        overrun = rejected[:0]
        if rejected.size:
            # classify each rejected edge by its distance to the accepted edge before it
            idx = np.searchsorted(accepted, rejected, side="right") - 1
            before = np.where(idx >= 0, accepted[np.maximum(idx, 0)] if accepted.size else 0.0,
                              self.last_accepted_t_s)
            is_bounce = rejected - before < self.params.debounce_s - EDGE_TOLERANCE_S
            overrun = rejected[~is_bounce]
            self.bounce_count += int(np.count_nonzero(is_bounce))
            self.overrun_count += int(overrun.size)
        if accepted.size:
            self.total_pulses += int(accepted.size)
            self.last_accepted_t_s = float(accepted[-1])
        return accepted, overrun

    def accept_counts(self, counts: npt.ArrayLike, interval_s: float = 900.0
                      ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """Pulse counts per interval, capped at the input's rate: ``(accepted, overrun)``.

        ``counts`` may be 1-D (one MDT) or 2-D (MDTs × intervals); the total grows by the sum.
        """
        c = np.asarray(counts)
        if c.size and (not np.issubdtype(c.dtype, np.integer) and
                       np.any(c != np.floor(c))):
            raise InputError("pulse counts must be whole numbers", where="counts")
        c = c.astype(np.int64)
        if c.size and c.min() < 0:
            raise InputError("pulse counts must not be negative", where="counts")
        cap = self.params.max_pulses_per_interval(interval_s)
        overrun = c > cap
        accepted = np.minimum(c, cap)
        self.overrun_count += int((c - accepted).sum())
        self.total_pulses += int(accepted.sum())
        return accepted, overrun

    def to_state(self) -> dict[str, int | float]:
        """What survives a restart (kept in flash)."""
        return {"total_pulses": self.total_pulses, "bounce_count": self.bounce_count,
                "overrun_count": self.overrun_count}

    @classmethod
    def from_state(cls, params: PulseInputParams,
                   state: dict[str, int | float]) -> PulseInput:
        """Restore a counter from :meth:`to_state`; the debounce timing restarts."""
        return cls(params, total_pulses=int(state["total_pulses"]),
                   bounce_count=int(state.get("bounce_count", 0)),
                   overrun_count=int(state.get("overrun_count", 0)))
