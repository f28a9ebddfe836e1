"""What every node of the mesh shares: identity, routing state and the uplink packet.

A :class:`Packet` is an application frame in flight: its bytes (real, sealed by the
originator through :mod:`openamr.frames`) plus what the simulator knows about it (originator,
counter, frame type, the custody chain of nodes it crossed, and, for interval reports, the
sequence range it carries, used only for the KPIs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from openamr.field.mesh.mac import DuplicateFilter
from openamr.field.mesh.routing import Candidate, LinkEstimator
from openamr.frames import DeviceRole, FrameType

if TYPE_CHECKING:
    from openamr.field.mesh.network import Network

__all__ = ["INFINITE_RANK", "MeshNode", "Packet"]

INFINITE_RANK = 0xFFFF
_NO_DEDUP = DuplicateFilter(0)


@dataclass(slots=True)
class Packet:
    """An uplink frame in flight."""

    data: bytes
    src: int
    """Originator node index."""
    counter: int
    """Originator's frame counter."""
    frame_type: FrameType
    created_s: float
    """When the originator sent it [sim s]."""
    chain: list[int] = field(default_factory=list)
    """Node indices it crossed, originator first."""
    seq_first: int = -1
    """First interval sequence number carried (-1: none)."""
    seq_last: int = -1


class MeshNode:
    """Identity and routing state of a DCAP, repeater or MDT."""

    role: DeviceRole = DeviceRole.MDT
    relays = False
    """Whether the node forwards uplinks through :meth:`accept_up` / :meth:`enqueue`."""

    def __init__(self, net: Network, idx: int, eui: int) -> None:
        self.net = net
        self.idx = idx
        self.eui = eui
        self.joined = False
        self.joined_s: float | None = None
        """When the node first joined [sim s]."""
        self.powered_s: float | None = None
        """When the node was first powered or turned on [sim s]."""
        self.parent: int | None = None
        self.rank = INFINITE_RANK
        self.hops = 0
        self.path_etx = float("inf")
        self.candidates: dict[int, Candidate] = {}
        self.estimator = LinkEstimator(net.params.etx_alpha, net.params.etx_noack_tx)
        # only routers receive uplinks: MDTs share one empty filter (memory: 10,000 MDTs)
        self.dedup = (_NO_DEDUP if self.role == DeviceRole.MDT
                      else DuplicateFilter(net.params.dedup_window_frames))
        self.held: dict[int, list[bytes]] = {}
        """Downlinks held for sleeping children, by child index."""
        self.link_stats: dict[int, list[int]] = {}
        """Per neighbour this node sent to: [attempts, frames link-ACKed, frames]."""
        self.parent_changes = 0
        self.tx_attempts = 0
        self.tx_failures = 0

    @property
    def accepts_children(self) -> bool:
        """Joined and powered: can be a parent."""
        return self.joined

    def on_beacon(self, sender: int, rank: int, hops: int, path_etx: float, rssi_dbm: float,
                  ) -> None:
        """A beacon of ``sender`` was heard (only listening nodes are called)."""

    def on_poison(self, sender: int) -> None:
        """``sender`` advertised an infinite rank (it left the network)."""

    def on_dis(self, sender: int) -> None:
        """A searching node asked for beacons."""

    def receive_up(self, pkt: Packet, from_idx: int) -> None:
        """An uplink frame arrived from a child."""

    def accept_up(self, pkt: Packet, from_idx: int) -> bool:
        """A relaying node took ``pkt``: True to forward it at once (the network does)."""
        return False

    def enqueue(self, pkt: Packet) -> None:
        """Keep ``pkt`` to forward later (a relaying node whose uplink failed)."""

    def receive_down(self, data: bytes) -> None:
        """A downlink frame for this node arrived."""

    def frame_delivered(self, pkt: Packet, sim_t_s: float) -> None:
        """One of this node's frames reached the DCAP at ``sim_t_s`` (KPI bookkeeping)."""

    def awake_for_downlink(self) -> bool:
        """Whether the node's receiver is on for a downlink now (mains nodes always)."""
        return True

    def forget_neighbours(self) -> None:
        """A search starts afresh: the candidates and their link statistics expire (as
        Contiki-NG's link-stats do) and the beacons heard during the search fill them again.
        Without it, a link that failed while its far end was down (a DCAP without power)
        would keep an ETX above ``max_link_etx`` and never be chosen again."""
        self.candidates.clear()
        self.estimator.etx.clear()

    def hold_for_child(self, child: int, data: bytes) -> None:
        """Keep a downlink until the sleeping ``child`` polls."""
        self.held.setdefault(child, []).append(data)

    def is_descendant(self, other: int) -> bool:
        """Whether ``other``'s path to the DCAP crosses this node."""
        nodes = self.net.nodes
        cur: int | None = other
        for _ in range(self.net.params.max_hops + 2):
            if cur is None:
                return False
            if cur == self.idx:
                return True
            cur = nodes[cur].parent
        return False
