"""The Trickle timer (RFC 6206) that paces the beacons of joined nodes.

One kernel wake-up per interval: at the random point ``t`` in ``[I/2, I)`` the node beacons
unless it heard ``k`` consistent beacons since the interval began, then the next interval
(doubled, up to Imax) is scheduled.  While ``I`` is below the building Imax, ``k`` is 0 (always
beacon, Wi-SUN "small"); once it reaches it, the network counts as stable and redundant beacons
are suppressed.  An inconsistency (a DIS from a searching node, a parent change) resets ``I`` to
Imin.
"""

from __future__ import annotations

from collections.abc import Callable

from openamr.field.kernel import Kernel
from openamr.field.mesh.medium import Medium
from openamr.field.mesh.params import MeshParams

__all__ = ["Trickle"]


class Trickle:
    """Beacon pacing of one node; ``transmit()`` is called when a beacon is due."""

    __slots__ = (
        "_imax",
        "_imax_building",
        "_imin",
        "_k",
        "_kernel",
        "_medium",
        "_transmit",
        "gen",
        "heard",
        "interval_s",
        "sent",
        "start_s",
        "suppressed",
    )

    def __init__(self, kernel: Kernel, medium: Medium, params: MeshParams,
                 transmit: Callable[[], None]) -> None:
        self._kernel = kernel
        self._medium = medium
        self._transmit = transmit
        self._imin = params.beacon_imin_s
        self._imax_building = params.beacon_imax_s
        self._imax = params.beacon_stable_imax_s
        self._k = params.beacon_redundancy_k
        self.interval_s = self._imin
        self.start_s = 0.0
        self.heard = 0
        self.gen = 0
        self.sent = 0
        self.suppressed = 0

    def start(self) -> None:
        """(Re)start at Imin."""
        self.gen += 1
        self.interval_s = self._imin
        self._begin(self._kernel.now_s)

    def stop(self) -> None:
        """No more beacons (the node left the network)."""
        self.gen += 1

    def reset(self) -> None:
        """An inconsistency: back to Imin unless already there."""
        if self.interval_s > self._imin:
            self.start()

    def consistent(self, sim_t_s: float) -> None:
        """A consistent beacon was heard at ``sim_t_s``."""
        if sim_t_s >= self.start_s:
            self.heard += 1

    def _begin(self, start_s: float) -> None:
        self.start_s = start_s
        self.heard = 0
        u = self._medium.uniform()
        self._kernel.at(start_s + self.interval_s * (0.5 + 0.5 * u), self._fire, self.gen)

    def _fire(self, gen: int) -> None:
        if gen != self.gen:
            return
        stable = self.interval_s >= self._imax_building
        if not stable or self._k == 0 or self.heard < self._k:
            self.sent += 1
            self._transmit()
        else:
            self.suppressed += 1
        if gen != self.gen:  # the transmit callback restarted or stopped the timer
            return
        next_start = self.start_s + self.interval_s
        self.interval_s = min(self.interval_s * 2, self._imax)
        self._begin(next_start)
