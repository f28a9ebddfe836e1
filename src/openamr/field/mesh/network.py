"""The mesh as a whole: nodes, the medium between them, and the way frames cross it.

The :class:`Network` owns the kernel, the :class:`~openamr.field.mesh.medium.Medium`, the
parameters and the nodes (index 0 is the DCAP).  Nodes ask it to broadcast a beacon or a DIS,
to move a frame one hop up (link ACK and retries: :meth:`Network.hop`,
:mod:`~openamr.field.mesh.mac`) and to route a downlink from the DCAP.  Beacons are events
carrying a value (never bytes); every application frame is real bytes end to end.

Backhaul: a plain callable ``backhaul(frames, sim_t_s) -> downlinks`` takes the frames that
reached the DCAP and returns the downlink frames to route back (the head-end's ingest, or a
stand-in).  The field never imports the head-end.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any

from openamr.field.kernel import Kernel
from openamr.field.mesh.mac import ACK_FRAME_BYTES
from openamr.field.mesh.medium import Medium
from openamr.field.mesh.node import MeshNode, Packet
from openamr.field.mesh.params import MeshParams
from openamr.frames import HEADER_LENGTH, DeviceRole

__all__ = ["Backhaul", "Network"]

Backhaul = Callable[[list[bytes], float], list[bytes]]
"""``backhaul(uplink frames, sim_t_s) -> downlink frames``."""


class Network:
    """Nodes, medium, kernel and backhaul of one DCAP's mesh."""

    def __init__(self, kernel: Kernel, medium: Medium, params: MeshParams, backhaul: Backhaul,
                 *, epoch_s: int = 0, trace: IO[str] | None = None) -> None:
        self.kernel = kernel
        self.medium = medium
        self.params = params
        self.backhaul = backhaul
        self.epoch_s = epoch_s
        """UTC epoch second of simulation time 0 [s]."""
        self.trace = trace
        self.nodes: list[MeshNode] = []
        self.by_eui: dict[int, int] = {}
        self.dcap_eui = 0
        """EUI-64 of node 0 (the DCAP): the destination of every uplink frame."""
        self.mains: set[int] = set()
        """Indices of mains-powered nodes (DCAP, repeaters): they listen while powered."""
        self.listening: set[int] = set()
        """Battery nodes (MDTs) whose receiver is on to search for beacons."""
        self.hop_failures = 0
        self.hops_tried = 0
        self.last_copies = 0
        """Copies the receiver got in the last :meth:`hop` (> 0 with no ACK: a duplicate)."""
        self.delivered_frames = 0
        self.delivered_hops = 0
        self._mains_cache: dict[int, list[tuple[int, float, float]]] = {}
        self._mains_nodes_cache: dict[int, list[tuple[MeshNode, float, float]]] = {}
        self._links: list[dict[int, tuple[float, float, float]]] = [
            {} for _ in range(medium.n_nodes)]
        self._tries = params.mac_max_retries + 1

    # ----------------------------------------------------------------- building
    def add(self, node: MeshNode) -> None:
        """Register ``node`` (its ``idx`` must be the next index)."""
        if node.idx != len(self.nodes):
            raise ValueError("nodes must be added in index order")
        self.nodes.append(node)
        self.by_eui[node.eui] = node.idx
        if node.idx == 0:
            self.dcap_eui = node.eui
        if node.role != DeviceRole.MDT:
            self.mains.add(node.idx)
            self._mains_cache.clear()
            self._mains_nodes_cache.clear()

    def set_link(self, a: int, b: int, rssi_dbm: float, delivery_probability: float) -> None:
        """Change the link between nodes ``a`` and ``b`` (both directions) from now on: a door
        of a metal cabinet shut, furniture moved.  Clears the cached link figures."""
        for src, dst in ((a, b), (b, a)):
            self.medium.links[src][dst] = (float(rssi_dbm), float(delivery_probability))
            self._links[src].clear()
        self._mains_cache.clear()
        self._mains_nodes_cache.clear()

    def log(self, kind: str, node: MeshNode | None = None, **fields: Any) -> None:
        """Write one JSONL trace record (only when tracing)."""
        if self.trace is None:
            return
        rec: dict[str, Any] = {"sim_t_s": round(self.kernel.now_s, 3), "kind": kind}
        if node is not None:
            rec["node"] = f"{node.eui:016x}"
            rec["role"] = node.role.name.lower()
        rec.update(fields)
        self.trace.write(json.dumps(rec, sort_keys=True) + "\n")

    # ----------------------------------------------------------------- broadcast
    def broadcast_beacon(self, sender: MeshNode) -> None:
        """``sender`` beacons: every listening node that hears it is told (a value, no bytes)."""
        medium = self.medium
        links = medium.links[sender.idx]
        nodes = self.nodes
        rank, hops, etx = sender.rank, sender.hops, sender.path_etx
        src = sender.idx
        for node, rssi, p in self._mains_hearers(src):  # most of a large run's work
            if p >= 1.0 or medium.uniform() < p:
                node.on_beacon(src, rank, hops, etx, rssi)
        listening = self.listening
        if not listening:
            return
        # searching MDTs that hear the sender, in ascending index order either way
        if len(listening) < len(links):
            heard = [(j, links[j]) for j in sorted(listening) if j in links]
        else:
            heard = [(j, link) for j, link in links.items() if j in listening]
        for j, link in heard:
            if link[1] >= 1.0 or medium.uniform() < link[1]:
                nodes[j].on_beacon(src, rank, hops, etx, link[0])

    def poison(self, sender: MeshNode) -> None:
        """``sender`` left: it advertises an infinite rank (repeated until heard, so no draw)."""
        for j, _, _ in self._mains_links(sender.idx):
            self.nodes[j].on_poison(sender.idx)

    def broadcast_dis(self, sender: MeshNode) -> None:
        """A searching node solicits beacons from the mains-powered nodes that hear it."""
        draw = self.medium.uniform
        for j, _, p in self._mains_links(sender.idx):
            if p >= 1.0 or draw() < p:
                self.nodes[j].on_dis(sender.idx)

    def _mains_hearers(self, idx: int) -> list[tuple[MeshNode, float, float]]:
        """:meth:`_mains_links` with the node objects (the beacon loop's view)."""
        cached = self._mains_nodes_cache.get(idx)
        if cached is None:
            nodes = self.nodes
            cached = [(nodes[j], r, p) for j, r, p in self._mains_links(idx)]
            self._mains_nodes_cache[idx] = cached
        return cached

    def _mains_links(self, idx: int) -> list[tuple[int, float, float]]:
        cached = self._mains_cache.get(idx)
        if cached is None:
            links = self.medium.links[idx]
            # only links that can carry a parent relation matter to beacons and DIS:
            # RSSI >= sensitivity + candidate margin - hysteresis (weaker ones never qualify)
            floor = (self.medium.sensitivity_dbm + self.params.candidate_margin_db
                     - self.params.candidate_hysteresis_db)
            mains = self.mains
            cached = [(j, r, p) for j, (r, p) in links.items()  # in dst order
                      if j in mains and r >= floor]
            self._mains_cache[idx] = cached
        return cached

    # ----------------------------------------------------------------- unicast
    def _link(self, src: int, dst: int, length_bytes: int) -> tuple[float, float, float]:
        """``(p_ok, p_data, rssi_dbm)`` of one attempt ``src → dst`` for a frame of
        ``length_bytes``: the data frame and its link ACK both arrive with ``p_ok``, the data
        frame arrives with ``p_data`` (cached per sender, receiver and length)."""
        medium = self.medium
        ref = medium.reference_frame_bytes
        fwd = medium.links[src].get(dst)
        if fwd is None:
            link = (0.0, 0.0, -200.0)
        else:
            back = medium.links[dst].get(src)
            p_data = fwd[1]
            if 0.0 < p_data < 1.0 and length_bytes != ref:
                p_data = p_data ** (length_bytes / ref)
            p_ack = 0.0 if back is None else back[1]
            if 0.0 < p_ack < 1.0:
                p_ack = p_ack ** (ACK_FRAME_BYTES / ref)
            link = (p_data * p_ack, p_data, fwd[0])
        self._links[src][dst * 65536 + length_bytes] = link
        return link

    def hop(self, sender: MeshNode, receiver_idx: int, length_bytes: int,
            first_u: float | None = None) -> bool:
        """One acknowledged unicast ``sender → receiver``; updates ETX; True if link-ACKed.

        Up to ``1 + mac_max_retries`` attempts, each a data frame and, if it arrived, a link
        ACK back (:mod:`openamr.field.mesh.mac`).  One uniform draw ``u`` decides an attempt:
        ``u < p_data·p_ack`` both arrived, ``u < p_data`` the data arrived but its ACK was lost
        (a copy), else the data was lost.  ``first_u``: the first attempt's draw, already made
        by the caller.  A receiver that cannot take children (unpowered, not joined) never
        ACKs.
        """
        self.hops_tried += 1
        link = self._links[sender.idx].get(receiver_idx * 65536 + length_bytes)
        if link is None:
            link = self._link(sender.idx, receiver_idx, length_bytes)
        p_ok, p_data, rssi = link
        attempts = self._tries
        acked = False
        copies = 0
        if p_data > 0.0 and self.nodes[receiver_idx].accepts_children:
            medium = self.medium
            for attempt in range(1, attempts + 1):
                if first_u is None:
                    u = medium.uniform()
                else:
                    u, first_u = first_u, None
                if u < p_ok:
                    copies += 1
                    attempts, acked = attempt, True
                    break
                if u < p_data:
                    copies += 1
        self.last_copies = copies
        sender.tx_attempts += attempts
        stats = sender.link_stats.get(receiver_idx)
        if stats is None:
            stats = sender.link_stats[receiver_idx] = [0, 0, 0]
        stats[0] += attempts
        stats[2] += 1
        sender.estimator.update(receiver_idx, rssi, attempts, acked)
        if acked:
            stats[1] += 1
            return True
        sender.tx_failures += 1
        self.hop_failures += 1
        return False

    def send_up(self, sender: MeshNode, pkt: Packet) -> bool:
        """Move ``pkt`` from ``sender`` to its parent; the parent takes custody on success.

        The relay is a loop, not a recursion: a repeater that takes the frame and can forward
        it at once (:meth:`Repeater.accept_up`) sends it on in the same loop; one that cannot
        queues it (:meth:`Repeater.enqueue`).  Returns whether the first hop was link-ACKed.
        """
        nodes = self.nodes
        length = len(pkt.data)
        now = self.kernel.now_s
        first = True
        while True:
            parent = sender.parent
            if parent is None:
                if not first:
                    sender.enqueue(pkt)
                return not first
            receiver = nodes[parent]
            # the first attempt's draw is made here even for a link that cannot carry it (a
            # run's random stream, and so its results, stay those of a given seed)
            if not self.hop(sender, parent, length, self.medium.uniform()):
                if self.last_copies:
                    # the frame arrived but every link ACK was lost: the parent forwards it
                    # while the sender keeps its copy and tries again later (a duplicate)
                    dup = Packet(pkt.data, pkt.src, pkt.counter, pkt.frame_type,
                                 pkt.created_s, [*pkt.chain, parent], pkt.seq_first,
                                 pkt.seq_last)
                    receiver.receive_up(dup, sender.idx)
                if first:
                    return False
                sender.enqueue(pkt)
                return True
            cand = sender.candidates.get(parent)
            if cand is not None:
                cand.heard_s = now  # a link ACK proves the parent is alive
            pkt.chain.append(parent)
            if not receiver.relays:  # the DCAP
                receiver.receive_up(pkt, sender.idx)
                return True
            if not receiver.accept_up(pkt, sender.idx):
                return True  # dropped (a loop, a duplicate) or queued
            sender = receiver
            first = False

    def on_delivered(self, pkt: Packet) -> None:
        """A frame reached the DCAP (called once per frame, duplicates already dropped)."""
        self.delivered_frames += 1
        self.delivered_hops += len(pkt.chain) - 1
        if pkt.seq_first >= 0:
            self.nodes[pkt.src].frame_delivered(pkt, self.kernel.now_s)

    # ----------------------------------------------------------------- downlink
    def route_down(self, data: bytes, path: list[int]) -> None:
        """Carry a downlink back along an uplink ``path`` (destination first, DCAP last).

        The destination's parent holds frames for a sleeping MDT until it next wakes
        (indirect transmission); a hop that fails every retry drops the frame (end-to-end
        timers recover).
        """
        nodes = self.nodes
        length = len(data)
        last = len(path) - 1
        for k in range(last, 0, -1):
            ai, bi = path[k], path[k - 1]
            if k < last and not nodes[ai].accepts_children:
                return
            if k == 1:
                b = nodes[bi]
                if b.role == DeviceRole.MDT and not b.awake_for_downlink():
                    nodes[ai].hold_for_child(bi, data)
                    return
            if not self.carry(ai, bi, length):
                self.hop_failures += 1
                return
            if k == 1:
                nodes[bi].receive_down(data)
                return

    def carry(self, src: int, dst: int, length_bytes: int) -> bool:
        """A downlink hop ``src → dst``: up to ``1 + mac_max_retries`` attempts until the
        frame arrives (one uniform draw each); True if it did."""
        link = self._links[src].get(dst * 65536 + length_bytes)
        if link is None:
            link = self._link(src, dst, length_bytes)
        p = link[1]
        if p >= 1.0:
            return True
        if p <= 0.0:
            return False
        draw = self.medium.uniform
        for _ in range(self._tries):  # noqa: SIM110 (hot path: no generator)
            if draw() < p:
                return True
        return False

    def deliver_downlinks(self, downlinks: list[bytes], routes: dict[int, list[int]]) -> None:
        """Route frames from the backhaul by their destination."""
        for data in downlinks:
            if len(data) < HEADER_LENGTH:
                continue
            # the clear header's dst field (docs/frames.md: bytes 12..19, big-endian)
            route = routes.get(int.from_bytes(data[12:20], "big"))
            if route is not None:
                self.route_down(data, route)
