"""Behaviour shared by the nodes that route (the DCAP and repeaters): beacons and candidates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openamr.field.mesh.node import MeshNode
from openamr.field.mesh.routing import Candidate
from openamr.field.mesh.trickle import Trickle

if TYPE_CHECKING:
    from openamr.field.mesh.network import Network

__all__ = ["RouterNode"]


class RouterNode(MeshNode):
    """A mains-powered node that, once joined, beacons on a Trickle timer."""

    def __init__(self, net: Network, idx: int, eui: int) -> None:
        super().__init__(net, idx, eui)
        self.trickle = Trickle(net.kernel, net.medium, net.params, self._beacon_due)
        self._dis_answered_s = float("-inf")
        self._dis_pending = False
        self.listening = False
        """Receiver on (mains nodes listen while powered and scanning or joined)."""

    def _beacon_due(self) -> None:
        self.housekeeping()
        if self.joined:
            self.net.broadcast_beacon(self)

    def housekeeping(self) -> None:
        """Called before each beacon (parent checks)."""

    def on_beacon(self, sender: int, rank: int, hops: int, path_etx: float, rssi_dbm: float,
                  ) -> None:
        if not self.listening:
            return
        now = self.net.kernel.now_s
        cand = self.candidates.get(sender)
        if cand is None:
            self.candidates[sender] = Candidate(rank, hops, path_etx, rssi_dbm, now)
            self.estimator.etx.pop(sender, None)  # a rediscovered neighbour starts afresh
        else:
            cand.rank, cand.hops, cand.path_etx, cand.heard_s = rank, hops, path_etx, now
        if self.joined:
            self.trickle.consistent(now)

    def on_dis(self, sender: int) -> None:
        """Answer a solicitation with one unscheduled beacon soon (mesh.md §7.2), rate-limited:
        solicitations that arrive while an answer is pending share it, and answers are at
        least ``dis_answer_min_s`` apart.  A DIS does not reset Trickle here, so thousands of
        MDTs powering up do not keep every router at Imin."""
        if not self.joined or self._dis_pending:
            return
        p = self.net.params
        now = self.net.kernel.now_s
        imin = p.discovery_imin_s
        at_s = max(now + imin * (0.5 + 0.5 * self.net.medium.uniform()),
                   self._dis_answered_s + p.dis_answer_min_s)
        self._dis_pending = True
        self.net.kernel.at(at_s, self._dis_beacon)

    def _dis_beacon(self) -> None:
        self._dis_pending = False
        self._dis_answered_s = self.net.kernel.now_s
        if self.joined:
            self.net.broadcast_beacon(self)
