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
        if self.joined:
            self.trickle.reset()
