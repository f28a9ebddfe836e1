"""A repeater: mains powered, backup battery, store-and-forward.

States (LED): ``UNPOWERED`` (off), ``SEARCHING`` (slow flash: listens ``rep_scan_window_s``
for beacons of joined nodes, then pauses ``rep_retry_s`` and retries forever), ``JOINING``
(rapid flash: join request sent through the chosen parent), ``JOINED`` (solid 10 s, then off;
beacons on Trickle, forwards its queue), ``ON_BATTERY`` (mains lost: a ``power.lost`` event
goes up, it keeps forwarding for ``rep_backup_battery_s``, then it is ``UNPOWERED``).  Only
joined nodes beacon, so a repeater powered before anything joined is in range stays
searching: the manual's rule to power up from the DCAP outward.

A joined repeater re-evaluates its parent before each beacon (MRHOF with hysteresis, never a
descendant) and declares it lost when it has not heard it for ``parent_loss_beacons`` stable
Trickle intervals or when the link ETX climbs above ``max_link_etx``; with no parent left it
returns to ``SEARCHING`` (its children find out by their failed uplinks and re-parent).
Counters survive power cycles through the persisted frame-counter reservation.

Health: a joined repeater queues a ``STATUS`` every ``status_period_s`` and once after each join
or parent change: the parent with the RSSI and margin of the parent link, ETX, hops, frames,
retries and drops since the previous status (drops: frames that failed every retry, and queue
overflows), queue depth, uptime and ``on_battery``.  ``battery_mv`` is 0 (mains powered) except
on the backup battery, where it reports ``rep_backup_battery_mv``.  The backup battery itself
(``rep_backup_battery_s``, 8 h) is an assumption: the manual describes no repeater battery.
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum
from typing import TYPE_CHECKING

from openamr.field.mesh.join import accept_join_response, join_request
from openamr.field.mesh.node import INFINITE_RANK, Packet
from openamr.field.mesh.router import RouterNode
from openamr.field.mesh.routing import choose_parent
from openamr.field.mesh.security import DeviceSecurity
from openamr.frames import Ack, DeviceRole, Event, EventKind, FrameType, JoinResponse, Status

if TYPE_CHECKING:
    from openamr.field.mesh.network import Network

__all__ = ["Repeater", "RepeaterState"]


_PROBE_BYTES = 20
"""Length of a neighbour-reachability probe [bytes]."""


class RepeaterState(StrEnum):
    """Power/network state of a repeater."""

    UNPOWERED = "unpowered"
    SEARCHING = "searching"
    JOINING = "joining"
    JOINED = "joined"
    ON_BATTERY = "on_battery"


_LED = {
    RepeaterState.UNPOWERED: "off",
    RepeaterState.SEARCHING: "slow_flash",
    RepeaterState.JOINING: "rapid_flash",
    RepeaterState.JOINED: "off",
    RepeaterState.ON_BATTERY: "off",
}


class Repeater(RouterNode):
    """A mains-powered router with a backup battery."""

    role = DeviceRole.REPEATER
    relays = True

    def __init__(self, net: Network, idx: int, eui: int, install_code: bytes | str,
                 model: str = "TW-223") -> None:
        super().__init__(net, idx, eui)
        self.security = DeviceSecurity(eui, install_code)
        self.model = model
        self.state = RepeaterState.UNPOWERED
        self.queue: deque[Packet] = deque()
        self.dropped_frames = 0
        self._gen = 0
        self._retry_pending = False
        self._restored_pending = False
        self._joined_led_until_s = -1.0
        self.events_sent: list[EventKind] = []
        self.loops_detected = 0
        self.scans = 0
        """Scan windows started (1 for a repeater that joined on its first search)."""
        self.statuses_sent = 0
        self._status_gen = 0
        self._status_base = (0, 0, 0)
        """(frames sent, tx_attempts, tx_failures + dropped_frames) at the last STATUS."""

    # ------------------------------------------------------------------ power
    def power_on(self) -> None:
        """Mains applied: start searching."""
        now = self.net.kernel.now_s
        if self.powered_s is None:
            self.powered_s = now
        self.state = RepeaterState.SEARCHING
        self.net.log("power_on", self)
        self._scan()

    def power_lost(self) -> None:
        """Mains lost: run on the backup battery if joined, else go dark."""
        if self.state == RepeaterState.UNPOWERED:
            return
        if not self.joined:
            self._unpower()
            return
        self.state = RepeaterState.ON_BATTERY
        self.net.log("power_lost", self)
        self._send_event(EventKind.POWER_LOST)
        self._gen += 1
        self.net.kernel.after(self.net.params.rep_backup_battery_s, self._battery_empty, self._gen)

    def power_restored(self) -> None:
        """Mains is back."""
        if self.state == RepeaterState.ON_BATTERY:
            self._gen += 1
            self.state = RepeaterState.JOINED
            self.net.log("power_restored", self)
            self._send_event(EventKind.POWER_RESTORED)
        elif self.state == RepeaterState.UNPOWERED:
            self.security.reset()
            self._restored_pending = True
            self.power_on()

    def _battery_empty(self, gen: int) -> None:
        if gen == self._gen and self.state == RepeaterState.ON_BATTERY:
            self._unpower()

    def _unpower(self) -> None:
        self._gen += 1
        self.state = RepeaterState.UNPOWERED
        self._leave()
        self.listening = False
        self.queue.clear()
        self.held.clear()
        self.candidates.clear()
        self.parent = None
        self.net.log("unpowered", self)

    def led_pattern(self) -> str:
        """The LED pattern now (solid for 10 s after joining)."""
        if self.joined and self.net.kernel.now_s < self._joined_led_until_s:
            return "solid"
        return _LED[self.state]

    # ------------------------------------------------------------------ search and join
    def _scan(self) -> None:
        self.scans += 1
        self._gen += 1
        self.forget_neighbours()  # this window's beacons decide
        self.listening = True
        self.net.broadcast_dis(self)
        self.net.kernel.after(self.net.params.rep_scan_window_s, self._scan_end, self._gen)

    def _scan_end(self, gen: int) -> None:
        if gen != self._gen or self.state != RepeaterState.SEARCHING:
            return
        excluded = {n for n in self.candidates if self.is_descendant(n)}
        parent, _ = choose_parent(self.candidates, self.estimator, None, self.net.params,
                                  self.net.medium.sensitivity_dbm, excluded=excluded)
        if parent is None:
            self.listening = False
            self.net.log("search_failed", self)
            self.net.kernel.after(self.net.params.rep_retry_s, self._retry_scan, self._gen)
            return
        self.parent = parent
        self.state = RepeaterState.JOINING
        data, counter = join_request(self.security, self.net.nodes[0].eui, DeviceRole.REPEATER,
                                     model=self.model)
        pkt = Packet(data, self.idx, counter, FrameType.JOIN_REQUEST, self.net.kernel.now_s,
                     [self.idx])
        self.net.send_up(self, pkt)
        self.net.kernel.after(self.net.params.join_timeout_s, self._join_timeout, self._gen)

    def _retry_scan(self, gen: int) -> None:
        if gen == self._gen and self.state == RepeaterState.SEARCHING:
            self._scan()

    def _join_timeout(self, gen: int) -> None:
        if gen == self._gen and self.state == RepeaterState.JOINING:
            self.net.log("join_failed", self)
            self.state = RepeaterState.SEARCHING
            self.parent = None
            self._scan()

    def receive_down(self, data: bytes) -> None:
        if self.state == RepeaterState.UNPOWERED:
            return
        frame = self.security.open(data)
        if frame is None:
            return
        payload = frame.payload
        if isinstance(payload, JoinResponse) and self.state == RepeaterState.JOINING:
            if accept_join_response(self.security, payload):
                self._become_joined()
            else:
                self._join_timeout(self._gen)
        elif isinstance(payload, Ack):
            pass  # the event was stored; nothing to resend

    def _become_joined(self) -> None:
        now = self.net.kernel.now_s
        self._gen += 1
        self.state = RepeaterState.JOINED
        self.joined = True
        if self.joined_s is None:
            self.joined_s = now
        self._joined_led_until_s = now + 10.0
        self._update_path()
        self.trickle.start()
        self.net.log("joined", self, parent=f"{self.net.nodes[self.parent].eui:016x}"
                     if self.parent is not None else None, hops=self.hops)
        if self._restored_pending:
            self._restored_pending = False
            self._send_event(EventKind.POWER_RESTORED)
        self._schedule_status(0.0)
        self._pump()

    # ------------------------------------------------------------------ health
    def _schedule_status(self, delay_s: float) -> None:
        """(Re)start the status timer: the next STATUS goes ``delay_s`` [s] from now."""
        if not self.net.params.status_period_s:
            return
        self._status_gen += 1
        self.net.kernel.after(delay_s, self._status_timer, self._status_gen)

    def _status_timer(self, gen: int) -> None:
        if gen != self._status_gen or not self.joined:
            return
        self._send_status()
        self._schedule_status(self.net.params.status_period_s)

    def frames_sent(self) -> int:
        """Frames this repeater sent (first attempts, every neighbour): its link statistics."""
        return sum(st[2] for st in self.link_stats.values())

    def status(self) -> Status:
        """The health this repeater reports now (see the module docstring)."""
        net = self.net
        parent = self.parent
        rssi = None if parent is None else net.medium.rssi_dbm(parent, self.idx)
        frames0, attempts0, drops0 = self._status_base
        frames = self.frames_sent() - frames0
        on_battery = self.state == RepeaterState.ON_BATTERY
        return Status(
            parent=0 if parent is None else net.nodes[parent].eui,
            rssi_dbm=-128 if rssi is None else round(rssi),
            etx=min(self.path_etx, 655.0), hops=self.hops,
            battery_mv=net.params.rep_backup_battery_mv if on_battery else 0,
            on_battery=on_battery, tx_frames=frames,
            retries=max(0, self.tx_attempts - attempts0 - frames),
            queue_frames=len(self.queue), parent_changes=self.parent_changes,
            link_margin_db=0.0 if rssi is None else round(rssi - net.medium.sensitivity_dbm, 1),
            drops=self.tx_failures + self.dropped_frames - drops0,
            uptime_s=0 if self.powered_s is None else int(net.kernel.now_s - self.powered_s))

    def _send_status(self) -> None:
        if self.security.network_key is None:
            return
        status = self.status()
        self._status_base = (self.frames_sent(), self.tx_attempts,
                             self.tx_failures + self.dropped_frames)
        data, counter = self.security.seal(self.net.nodes[0].eui, status)
        self.statuses_sent += 1
        self.queue.append(Packet(data, self.idx, counter, FrameType.STATUS,
                                 self.net.kernel.now_s, [self.idx]))
        self._pump()

    def _leave(self) -> None:
        was_joined = self.joined
        self.joined = False
        self.trickle.stop()
        self.rank = INFINITE_RANK
        self.path_etx = float("inf")
        if was_joined:
            self.net.poison(self)

    def on_poison(self, sender: int) -> None:
        """A neighbour left the network (advertised an infinite rank)."""
        self.candidates.pop(sender, None)
        if self.joined and self.parent == sender:
            self._reselect(exclude=sender)

    # ------------------------------------------------------------------ routing
    def _update_path(self) -> None:
        if self.parent is None:
            return
        cand = self.candidates.get(self.parent)
        if cand is None:
            return
        link = self.estimator.get(self.parent, cand.rssi_dbm)
        self.path_etx = cand.path_etx + link
        self.hops = cand.hops + 1
        self.rank = min(INFINITE_RANK - 1, max(cand.rank + self.net.params.min_hop_rank_increase,
                                               int(self.path_etx * 128)))

    def housekeeping(self) -> None:
        """Before each beacon: probe a quiet parent (RPL's NUD), forget long-silent neighbours,
        re-select the parent."""
        if not self.joined:
            return
        p = self.net.params
        now = self.net.kernel.now_s
        quiet_s = p.parent_loss_beacons * p.beacon_stable_imax_s
        if self.parent is not None:
            cand = self.candidates.get(self.parent)
            if cand is not None and cand.heard_s < now - quiet_s:
                # Trickle may suppress a parent's beacons: ask it directly before giving up
                if self.net.hop(self, self.parent, _PROBE_BYTES):
                    cand.heard_s = now
                else:
                    del self.candidates[self.parent]
        horizon = now - 4 * quiet_s
        for nbr in [n for n, c in self.candidates.items()
                    if c.heard_s < horizon and n != self.parent]:
            del self.candidates[nbr]
        self._reselect()

    def _reselect(self, exclude: int | None = None) -> bool:
        """Re-run parent selection; returns False when no parent is left (node leaves)."""
        excluded: set[int] = set() if exclude is None else {exclude}
        for _ in range(4):
            current = self.parent if self.parent not in excluded else None
            best, _ = choose_parent(self.candidates, self.estimator, current, self.net.params,
                                    self.net.medium.sensitivity_dbm, excluded=excluded)
            if best is not None and best != self.parent and self.is_descendant(best):
                excluded.add(best)
                continue
            break
        if best is None:
            self.net.log("parent_lost", self)
            self._leave()
            self.state = RepeaterState.SEARCHING
            self.parent = None
            self._scan()
            return False
        if best != self.parent:
            self.parent_changes += 1
            self._schedule_status(0.0)
            self.net.log("parent_changed", self, parent=f"{self.net.nodes[best].eui:016x}")
            self.parent = best
            self.trickle.reset()
        self._update_path()
        return True

    # ------------------------------------------------------------------ forwarding
    def receive_up(self, pkt: Packet, from_idx: int) -> None:
        if self.accept_up(pkt, from_idx) and not self.net.send_up(self, pkt):
            self.enqueue(pkt)

    def accept_up(self, pkt: Packet, from_idx: int) -> bool:
        """Take ``pkt`` from a child: True when it should be forwarded at once (the usual case:
        joined, queue empty); else it was dropped (a loop, a duplicate) or queued."""
        if pkt.chain.count(self.idx) > 1:
            # a loop (RPL's rank error): drop the frame and repair by re-selecting
            self.loops_detected += 1
            self._reselect(exclude=from_idx)
            return False
        if not self.dedup.first_time(pkt.src, pkt.counter):
            return False
        if not self.queue and self.joined:
            return True
        self.enqueue(pkt)
        return False

    def enqueue(self, pkt: Packet) -> None:
        """Queue ``pkt`` (oldest dropped beyond ``rep_queue_frames``) and try to forward."""
        if self.queue and self.queue[-1] is pkt:
            return  # a loop put it back in this queue already
        self.queue.append(pkt)
        if len(self.queue) > self.net.params.rep_queue_frames:
            self.queue.popleft()
            self.dropped_frames += 1
        if len(self.queue) == 1 or not self._retry_pending:
            self._pump()

    def _pump(self) -> None:
        while self.queue and self.joined:
            pkt = self.queue[0]
            if self.net.send_up(self, pkt) or (self._reselect() and self.net.send_up(self, pkt)):
                if self.queue and self.queue[0] is pkt:
                    self.queue.popleft()
                continue
            if not self._retry_pending and self.joined:
                self._retry_pending = True
                self.net.kernel.after(self.net.params.rep_retry_forward_s, self._retry_forward,
                                      self._gen)
            return

    def _retry_forward(self, gen: int) -> None:
        self._retry_pending = False
        if gen == self._gen:
            self._pump()

    def _send_event(self, kind: EventKind) -> None:
        if self.security.network_key is None:
            return
        t_s = int(self.net.epoch_s + self.net.kernel.now_s)
        data, counter = self.security.seal(self.net.nodes[0].eui, Event(kind, t_s, 0))
        self.events_sent.append(kind)
        self.queue.append(Packet(data, self.idx, counter, FrameType.EVENT, self.net.kernel.now_s,
                                 [self.idx]))
        self._pump()
