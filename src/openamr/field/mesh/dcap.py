"""The DCAP's radio side: the root of the mesh.

It beacons (Trickle) from power-up, takes every uplink frame that reaches it (dropping duplicate
copies), remembers the path each device's last frame took (its downlink route) and hands the
frames to the backhaul every ``dcap_upload_s`` (900 s, the Tehama upload period) — join
requests and events at once, so a join completes in about a minute.  Downlinks returned by
the backhaul (ACKs with gap requests, join responses) are routed back along those paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openamr.field.mesh.node import Packet
from openamr.field.mesh.router import RouterNode
from openamr.frames import DeviceRole, FrameType

if TYPE_CHECKING:
    from openamr.field.mesh.network import Network

__all__ = ["Dcap"]

_URGENT = (FrameType.JOIN_REQUEST, FrameType.EVENT)


class Dcap(RouterNode):
    """The root: always joined while powered."""

    role = DeviceRole.DCAP

    def __init__(self, net: Network, idx: int, eui: int) -> None:
        super().__init__(net, idx, eui)
        self.batch: list[bytes] = []
        self.routes: dict[int, list[int]] = {}
        """Uplink path of each device's last frame, by EUI: node indices, device first."""
        self.frames_received = 0
        self.uploads = 0
        self.downlinks = 0
        self._collect_pending = False
        self._gen = 0

    def power_on(self) -> None:
        """Boot: become the root and start beaconing and uploading."""
        now = self.net.kernel.now_s
        if self.powered_s is None:
            self.powered_s = self.joined_s = now
        self.joined = True
        self.listening = True
        self.rank = self.net.params.min_hop_rank_increase
        self.hops = 0
        self.path_etx = 0.0
        self.trickle.start()
        self.net.kernel.after(self.net.params.dcap_upload_s, self._upload_tick, self._gen)
        self.net.log("joined", self)

    def power_lost(self) -> None:
        """Mains lost (a site ``[[outages]]`` entry on the DCAP): the radio and the computer
        stop; nothing is received, beaconed or uploaded until :meth:`power_on` again.  The
        field keeps its data: repeaters queue, MDTs keep their 35-day buffers and fill the gap
        when the network is back."""
        if not self.joined:
            return
        self.net.log("power_lost", self)
        self.flush(urgent=False)
        self._gen += 1
        self.joined = False
        self.listening = False
        self.trickle.stop()
        self.held.clear()

    def receive_up(self, pkt: Packet, from_idx: int) -> None:
        if not self.joined:
            return
        if not self.dedup.first_time(pkt.src, pkt.counter):
            return
        self.frames_received += 1
        net = self.net
        src = net.nodes[pkt.src]
        self.routes[src.eui] = pkt.chain
        net.on_delivered(pkt)
        self.batch.append(pkt.data)
        if pkt.frame_type in _URGENT:
            self.flush(urgent=True)

    def flush(self, *, urgent: bool = True, final: bool = False) -> None:
        """Hand the batch to the backhaul and route the answers.

        With a pipelined backhaul (one that has ``submit``/``collect``), a periodic upload
        routes the answers to the previous batch and submits this one.  An urgent one waits for
        its answers, unless the backhaul has ``urgent_delay_s``: then it is submitted at once
        and every answer so far is collected ``urgent_delay_s`` of simulated time later (one
        wait for the many joins of a power-up; a fixed simulated time, so still deterministic).
        ``final``: the end of the run, wait for everything.
        """
        backhaul: Any = self.net.backhaul
        pipelined = hasattr(backhaul, "submit")
        delay_s = getattr(backhaul, "urgent_delay_s", None) if pipelined and not final else None
        if urgent and delay_s is not None:
            if self.batch:
                frames, self.batch = self.batch, []
                self.uploads += 1
                backhaul.submit(frames, self.net.kernel.now_s)
            if not self._collect_pending:
                self._collect_pending = True
                self.net.kernel.after(delay_s, self._collect_urgent)
            return
        downlinks: list[bytes] = backhaul.collect() if pipelined else []
        if self.batch:
            frames, self.batch = self.batch, []
            self.uploads += 1
            if pipelined and not urgent:
                backhaul.submit(frames, self.net.kernel.now_s)
            else:
                downlinks.extend(backhaul(frames, self.net.kernel.now_s))
        if downlinks:
            self.downlinks += len(downlinks)
            self.net.deliver_downlinks(downlinks, self.routes)

    def _collect_urgent(self) -> None:
        self._collect_pending = False
        downlinks: list[bytes] = self.net.backhaul.collect()  # type: ignore[attr-defined]
        if downlinks and self.joined:  # a DCAP without power has no radio to send them
            self.downlinks += len(downlinks)
            self.net.deliver_downlinks(downlinks, self.routes)

    def _upload_tick(self, gen: int) -> None:
        if gen != self._gen:
            return
        self.flush(urgent=False)
        self.net.kernel.after(self.net.params.dcap_upload_s, self._upload_tick, gen)
