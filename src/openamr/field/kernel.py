"""The event kernel: a binary heap of ``(sim_t_s, seq, callback, args)`` wake-ups.

Chosen by benchmark (``bench/bench_sim.py``): on the same wake-up workload a bare heap of
callbacks runs about twice as many events per second as SimPy's ``env.timeout`` processes, and
the mesh model needs several million events per simulated month.  Nodes are sans-IO state
machines; the kernel only calls them back at the time they asked for.

Ties are broken by the order of scheduling (``seq``), so a run is deterministic for a seed.
Cancelling is the caller's job: a node keeps a generation number per timer and ignores stale
wake-ups (cheaper than removing entries from the heap).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

__all__ = ["Kernel"]


class Kernel:
    """A discrete-event loop in simulation seconds [s]."""

    __slots__ = ("_heap", "_seq", "events", "now_s")

    def __init__(self, start_s: float = 0.0) -> None:
        self._heap: list[tuple[float, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._seq = 0
        self.now_s = start_s
        """The current simulation time [s]."""
        self.events = 0
        """Wake-ups processed so far."""

    def at(self, sim_t_s: float, callback: Callable[..., Any], *args: Any) -> None:
        """Call ``callback(*args)`` at ``sim_t_s`` [s] (never earlier than now)."""
        if sim_t_s < self.now_s:
            sim_t_s = self.now_s
        self._seq += 1
        heapq.heappush(self._heap, (sim_t_s, self._seq, callback, args))

    def after(self, delay_s: float, callback: Callable[..., Any], *args: Any) -> None:
        """Call ``callback(*args)`` ``delay_s`` [s] from now."""
        self.at(self.now_s + delay_s, callback, *args)

    def pending(self) -> int:
        """Wake-ups still scheduled."""
        return len(self._heap)

    def run(self, until_s: float) -> None:
        """Process every wake-up due before ``until_s`` [s]; leaves ``now_s`` at ``until_s``."""
        heap = self._heap
        pop = heapq.heappop
        n = 0
        while heap and heap[0][0] < until_s:
            t_s, _, callback, args = pop(heap)
            self.now_s = t_s
            callback(*args)
            n += 1
        self.events += n
        self.now_s = max(self.now_s, until_s)
