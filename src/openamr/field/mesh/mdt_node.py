"""An MDT on the radio: drives the MDT's power state table (manual §5.2) over the mesh.

The power state machine (:class:`openamr.field.mdt.power_states.PowerStateMachine`) decides;
this node performs its actions: timers become kernel wake-ups, ``start_search`` turns the
receiver on and sends a DIS (joined neighbours answer with beacons within a Trickle Imin),
``send_join`` picks the best parent after the join handshake and sends a join request sealed
under the install-code key, ``start_reporting`` schedules the hourly uplinks.

Interval records come from the meter's Kh 10 pulses through the MDT room's fleet
(:mod:`openamr.field.sim.mdt_records`), computed up front for the whole run; the MDT closes them
by index: record ``seq`` covers interval ``first_interval + seq``.  Which records to send is the
MDT room's :class:`~openamr.field.mdt.delivery.DeliveryLog` (one for all the site's MDTs, this
node its row ``row``): on each report the records never sent, then the ranges the head-end asked
for (``Ack.gaps``) and, when nothing was acknowledged for ``ack_timeout_s``, everything
unacknowledged again (a lost last frame leaves no gap for the head-end to see); nothing older
than the 35-day buffer.  ``Ack.acked_seq`` releases records.  After ``max_missed_acks`` reports with
no end-to-end ACK, or an uplink that fails every retry on every candidate, the parent is lost
and the MDT searches again.

The node counts receive, transmit and LED time; the MDT room's :class:`BatteryLedger` turns
them, the sleep floor and self-discharge into charge (:meth:`MdtNode.battery_ledger`); the
projection (years of life at the average drain so far, capped by the cell's shelf life) is a KPI.

Health: a joined MDT sends a ``STATUS`` frame every ``status_period_s`` and once after each join
or parent change (on its next wake): battery voltage and charge left from the ledger, the
parent with the RSSI and margin of the parent link, path ETX, hops, frames, retries and drops
since the previous status, uptime and the clock offset the last TIME_SYNC found.  The MDT's
clock (:class:`~openamr.field.mdt.clock.MdtClock`) drifts by its crystal's ``clock_drift_ppm``
and is set by the JOIN_RESPONSE's time and every TIME_SYNC.

The meter's supply (+12 VDC) can fail (the meter is dark: a site ``[[outages]]`` entry): the
MDT runs on its battery, queues ``power.lost`` / ``power.restored`` and the intervals it closes
meanwhile are flagged ``POWER_FAIL | PARTIAL`` (from :attr:`supply_outages`, known up front).
"""

from __future__ import annotations

import functools
from array import array
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from openamr.field.mdt.battery import BatteryCurrents, BatteryLedger
from openamr.field.mdt.clock import MdtClock
from openamr.field.mdt.delivery import DeliveryLog
from openamr.field.mdt.events import EventQueue
from openamr.field.mdt.fleet import MdtFleet
from openamr.field.mdt.power_states import (
    LED_PATTERNS,
    Action,
    MdtEvent,
    PowerParams,
    PowerState,
    PowerStateMachine,
)
from openamr.field.mdt.uplink import event_payload, tou_schedule_from_frame
from openamr.field.mesh.join import accept_join_response, join_request
from openamr.field.mesh.node import MeshNode, Packet
from openamr.field.mesh.params import MeshParams
from openamr.field.mesh.routing import Candidate, choose_parent
from openamr.field.mesh.security import DeviceSecurity
from openamr.frames import (
    INTERVALS_HEAD_STRUCT,
    RECORD_DTYPE,
    Ack,
    DeviceRole,
    FrameType,
    IntervalFlag,
    JoinResponse,
    Status,
    TimeSync,
)
from openamr.frames import TouSchedule as TouSchedulePayload
from openamr.units import INTERVAL_LENGTH_S

if TYPE_CHECKING:
    from openamr.field.mesh.network import Network

__all__ = ["KH_WH", "MdtNode"]

_AWAKE = (PowerState.SEARCHING, PowerState.JOINING)
_INTERVALS_HEAD = INTERVALS_HEAD_STRUCT.pack
"""An ``Intervals`` payload's head: register [Wh], TOU registers, records (docs/frames.md)."""
_REC_DTYPE = RECORD_DTYPE
_REC_SIZE = _REC_DTYPE.itemsize
_REPORTING = (PowerState.JOINED, PowerState.JOINED_LED)
KH_WH = 10
"""Meter constant of the output an MDT counts [Wh per pulse] (terminal 10, manual §3.2)."""


@functools.cache
def _currents(p: MeshParams) -> BatteryCurrents:
    """The ``MeshParams`` currents as the ledger's (built once per parameter set)."""
    return BatteryCurrents(sleep_a=p.sleep_current_ma / 1000.0, rx_a=p.rx_current_ma / 1000.0,
                           tx_a=p.tx_current_ma / 1000.0, led_a=p.led_current_ma / 1000.0)


class MdtNode(MeshNode):
    """A battery MDT wired to one meter."""

    role = DeviceRole.MDT

    def __init__(self, net: Network, idx: int, eui: int, install_code: bytes | str,
                 energy_wh: npt.NDArray[np.int64], first_interval: int = 0, *,
                 model: str = "TW-113", power_params: PowerParams | None = None,
                 clock_drift_ppm: float = 0.0, delivery: DeliveryLog | None = None,
                 row: int = 0) -> None:
        super().__init__(net, idx, eui)
        p = net.params
        self.security = DeviceSecurity(eui, install_code)
        self.model = model
        self.psm = PowerStateMachine(power_params or PowerParams(
            join_timeout_s=p.discovery_imin_s + p.join_handshake_s + p.join_timeout_s))
        self.energy_wh = np.asarray(energy_wh, dtype=np.int64)
        """Energy of each interval of the run [Wh] (pulses x Kh), by global interval index."""
        self.cum_wh = np.concatenate(([0], np.cumsum(self.energy_wh[first_interval:])))
        self.first_interval = first_interval
        self.delivery = delivery if delivery is not None else DeliveryLog(1)
        """The MDT room's :class:`DeliveryLog` (shared by a site's MDTs): sent, acknowledged
        and asked-again records; this node is row :attr:`row`."""
        self.row = row
        self.report_period_s = p.report_period_s
        self.missed_acks = 0
        self._awaiting_ack = False
        self._acked_this_wake = False
        self._last_ack_s = 0.0
        self._timer_gen: dict[str, int] = {}
        self._report_gen = 0
        self._search_on_s: float | None = None
        self.rx_s = 0.0
        """Receiver-on time of search windows so far [s] (at their duty); the transmit
        attempts and their ACK windows are ``tx_attempts`` × ``frame_tx_s`` / ``ack_rx_s``."""
        self.led_s = 0.0
        """LED-on time so far [s]."""
        self.searches = 0
        n = max(0, self.energy_wh.size - first_interval)
        self._delivered = np.full(n, np.inf)
        self._deliveries: list[tuple[int, int, float]] = []
        self._records_bytes: bytes | None = None
        self._n_records = n
        self._cum: array[int] = array("q", self.cum_wh.astype(np.int64).tobytes())
        self._table: npt.NDArray[np.void] | None = None
        self._n_tou = 0
        self._tou: npt.NDArray[np.int64] | None = None
        self._tou_bytes = b""
        self.led_log: list[tuple[float, str]] = []
        """``(sim_t_s, pattern)`` each time the steady LED pattern changed (slow_flash,
        rapid_flash, solid, off): the timing the manual describes, as it emerged."""
        self.tou_schedules = 0
        """TOU_SCHEDULE frames applied."""
        self.events = EventQueue()
        """Events waiting for the head-end's ACK (the MDT room's queue)."""
        self._event_sent: dict[int, tuple[int, float]] = {}
        """Event seq -> (frame counter, when sent [sim s]) of events in flight."""
        self.tamper_periods: list[tuple[float, float | None]] = []
        """Cover removed ``(start_s, duration_s)`` [sim s] (known up front: record flags)."""
        self.cover_open = False
        self._events_acked_end = 0
        self._delivered_upto = 0
        self.supply_outages: list[tuple[float, float]] = []
        """The meter dark ``(start_s, duration_s)`` [sim s] (known up front: record flags)."""
        self.supply_present = True
        self.clock = MdtClock(base_clock_s=float(net.epoch_s), drift_ppm=clock_drift_ppm)
        """The MDT's real-time clock (set at the factory to UTC at simulation time 0)."""
        self.clock_offset_ms = 0
        """Clock minus network time found by the last sync [ms] (0: never synced)."""
        self.frames_sent = 0
        """Uplink frames handed to the parent (first attempts)."""
        self.statuses_sent = 0
        self._status_due = False
        self._next_status_s = 0.0
        self._status_base = (0, 0, 0)
        """(frames_sent, tx_attempts, tx_failures) at the previous STATUS."""

    # ------------------------------------------------------------------ state machine driver
    def turn_on(self) -> None:
        """The first meter pulse (or a long press) turns the MDT on."""
        if self.powered_s is None:
            self.powered_s = self.net.kernel.now_s
        self._handle(MdtEvent.PULSE)

    def press(self, held_s: float) -> None:
        """A button press of ``held_s`` [s] (4 s or more: a hold, manual §5.2).

        A hold that turns the MDT off leaves it off until its meter's next pulse: "the first
        pulse will automatically turn on the MDT" (manual §5.2; the MDT core's ``off`` +
        ``pulse`` → ``searching``), so on a meter with a load it comes back on by itself."""
        if self.powered_s is None:
            self.powered_s = self.net.kernel.now_s
        now = self.net.kernel.now_s
        self._run(self.psm.on_button(held_s, now))
        if self.psm.state is PowerState.OFF:
            at_s = self.next_closure_s(now)
            if at_s is not None:
                gen = self._timer_gen.get("pulse", 0) + 1
                self._timer_gen["pulse"] = gen
                self.net.kernel.at(at_s, self._pulse, gen)

    def _pulse(self, gen: int) -> None:
        if self._timer_gen.get("pulse") == gen and self.psm.state is PowerState.OFF:
            self._handle(MdtEvent.PULSE)

    def next_closure_s(self, after_s: float) -> float | None:
        """When the meter's Kh 10 output next closes after ``after_s`` [sim s]; None if it
        does not within the run.  The interval's closures are spread evenly over it (an
        assumption of openamr: constant power within the interval; the counts are the meter
        model's)."""
        closures = self.energy_wh // KH_WH
        k = max(0, int(after_s // INTERVAL_LENGTH_S))
        if k < closures.size and closures[k] > 0:
            step_s = INTERVAL_LENGTH_S / int(closures[k])
            start_s = k * INTERVAL_LENGTH_S
            j = max(0, int(np.floor((after_s - start_s) / step_s - 0.5)) + 1)
            if j < closures[k]:
                return float(start_s + (j + 0.5) * step_s)
        later = np.flatnonzero(closures[k + 1:])
        if not later.size:
            return None
        k += 1 + int(later[0])
        return float(k * INTERVAL_LENGTH_S + 0.5 * INTERVAL_LENGTH_S / int(closures[k]))

    def temperature_changed(self, temperature_c: float, t_s: int) -> None:
        """The E02's 1 % delta rule reported a reading [°C] taken at ``t_s`` [UTC epoch s]:
        queue ``temperature.changed`` and, if joined, send it."""
        if self.powered_s is None:
            return
        self.events.push(t_s, "temperature.changed", temperature_c,
                         clock_synced=self.joined_s is not None)
        self._send_events()

    def supply(self, present: bool) -> None:
        """The meter's +12 VDC appeared or disappeared: queue ``power.restored`` /
        ``power.lost`` and, if joined, send it at once (the MDT runs on its battery)."""
        if present == self.supply_present:
            return
        self.supply_present = present
        if self.powered_s is None:
            return
        t_s = int(self.net.epoch_s + self.net.kernel.now_s)
        self.events.push(t_s, "power.restored" if present else "power.lost",
                         clock_synced=self.joined_s is not None)
        self._send_events()

    def tamper(self, removed: bool) -> None:
        """The enclosure's tamper switch opened (``removed``) or closed: queue the event and,
        if joined, send it at once (the switch wakes the MDT)."""
        if removed == self.cover_open:
            return
        self.cover_open = removed
        if self.powered_s is None:
            return  # not on yet: nothing records it
        t_s = int(self.net.epoch_s + self.net.kernel.now_s)
        self.events.push(t_s, "tamper.cover_removed" if removed else "tamper.cover_replaced",
                         clock_synced=self.joined_s is not None)
        self._send_events()

    def _send_events(self) -> bool:
        """Send queued events not in flight (or in flight longer than ``ack_timeout_s``);
        False if an uplink failed."""
        if self.psm.state not in _REPORTING or self.security.network_key is None:
            return True
        now = self.net.kernel.now_s
        timeout_s = self.net.params.ack_timeout_s
        for rec in self.events.pending():
            sent = self._event_sent.get(rec.seq)
            if sent is not None and now - sent[1] <= timeout_s:
                continue
            data, counter = self.security.seal(self.net.dcap_eui, event_payload(rec))
            self._event_sent[rec.seq] = (counter, now)
            if not self._uplink(Packet(data, self.idx, counter, FrameType.EVENT, now,
                                       [self.idx])):
                return False
        return True

    def _handle(self, event: MdtEvent) -> None:
        self._run(self.psm.handle(event, self.net.kernel.now_s))

    def _run(self, actions: tuple[Action, ...]) -> None:
        state = self.psm.state
        if not self.led_log or self.led_log[-1][1] != LED_PATTERNS[state]:
            self.led_log.append((self.net.kernel.now_s, LED_PATTERNS[state]))
        for a in actions:
            self._act(a)

    def _act(self, a: Action) -> None:
        k = self.net.kernel
        if a.kind == "start_timer":
            assert a.name is not None
            assert a.duration_s is not None
            gen = self._timer_gen.get(a.name, 0) + 1
            self._timer_gen[a.name] = gen
            k.after(a.duration_s, self._timer, a.name, gen)
        elif a.kind == "cancel_timer":
            self._timer_gen[a.name or ""] = self._timer_gen.get(a.name or "", 0) + 1
        elif a.kind == "start_search":
            self._radio_on()
            self.searches += 1
            self.forget_neighbours()
            self.net.log("search", self)
            # solicitations on a discovery Trickle: one at a random time of each interval's
            # second half, the interval doubling from Imin up to 4 x Imin (Wi-SUN's PAS timer)
            imin = self.net.params.discovery_imin_s
            gen = self._timer_gen.get("dis", 0) + 1
            self._timer_gen["dis"] = gen
            k.after(imin * (0.5 + 0.5 * self.net.medium.uniform()), self._solicit, gen,
                    k.now_s, imin)
        elif a.kind == "stop_radio":
            self._radio_off()
        elif a.kind == "send_join":
            # the PAN configuration arrives within a discovery Trickle interval, then the
            # authentication exchange: the rapid flash (see MeshParams.join_handshake_s)
            gen = self._timer_gen.get("handshake", 0) + 1
            self._timer_gen["handshake"] = gen
            p = self.net.params
            config_s = p.discovery_imin_s * (0.5 + 0.5 * self.net.medium.uniform())
            k.after(config_s + p.join_handshake_s, self._send_join, gen)
        elif a.kind == "start_reporting":
            self._radio_off()
            self._report_gen += 1
            first = self.report_period_s * self.net.medium.uniform()
            k.after(first, self._report, self._report_gen)
        elif a.kind == "stop_reporting":
            self._report_gen += 1
        elif a.kind == "send_data":
            self._wake()
        elif a.kind == "led":
            self.led_s += a.duration_s or 0.0

    def _solicit(self, gen: int, interval_start_s: float, interval_s: float) -> None:
        if self._timer_gen.get("dis") != gen or self.psm.state != PowerState.SEARCHING:
            return
        self.net.broadcast_dis(self)
        start_s = interval_start_s + interval_s
        interval_s = min(2.0 * interval_s, 4.0 * self.net.params.discovery_imin_s)
        self.net.kernel.at(start_s + interval_s * (0.5 + 0.5 * self.net.medium.uniform()),
                           self._solicit, gen, start_s, interval_s)

    def _timer(self, name: str, gen: int) -> None:
        if self._timer_gen.get(name) != gen:
            return
        if name == "led":
            self.led_s += self.psm.params.led_solid_s
        self._run(self.psm.on_timer(name, self.net.kernel.now_s))

    def _radio_on(self) -> None:
        if self._search_on_s is None:
            self._search_on_s = self.net.kernel.now_s
            self.net.listening.add(self.idx)

    def _radio_off(self) -> None:
        if self._search_on_s is not None:
            p = self.net.params
            self.rx_s += p.search_rx_duty_ratio * (self.net.kernel.now_s - self._search_on_s)
            self._search_on_s = None
            self.net.listening.discard(self.idx)

    def awake_for_downlink(self) -> bool:
        return self.psm.state in _AWAKE

    # ------------------------------------------------------------------ search and join
    def on_beacon(self, sender: int, rank: int, hops: int, path_etx: float, rssi_dbm: float,
                  ) -> None:
        now = self.net.kernel.now_s
        self.candidates[sender] = Candidate(rank, hops, path_etx, rssi_dbm, now)
        p = self.net.params
        if (self.psm.state == PowerState.SEARCHING and hops < p.max_hops
                and rssi_dbm >= self.net.medium.sensitivity_dbm + p.candidate_margin_db):
            self._handle(MdtEvent.BEACON_HEARD)

    def _send_join(self, gen: int) -> None:
        if self._timer_gen.get("handshake") != gen or self.psm.state != PowerState.JOINING:
            return
        parent, _ = choose_parent(self.candidates, self.estimator, None, self.net.params,
                                  self.net.medium.sensitivity_dbm)
        if parent is None:
            self._handle(MdtEvent.JOIN_FAILED)
            return
        self.parent = parent
        data, counter = join_request(self.security, self.net.nodes[0].eui, DeviceRole.MDT,
                                     model=self.model,
                                     battery_mv=self.battery_ledger().voltage_mv())
        self._uplink(Packet(data, self.idx, counter, FrameType.JOIN_REQUEST,
                            self.net.kernel.now_s, [self.idx]))

    def receive_down(self, data: bytes) -> None:
        if data[1] == FrameType.ACK:
            ack = self.security.open_ack(data)
            if ack is not None:
                self._on_ack(*ack)
            return
        frame = self.security.open(data)
        if frame is None:
            return
        payload = frame.payload
        if isinstance(payload, JoinResponse):
            if self.psm.state != PowerState.JOINING:
                return
            if accept_join_response(self.security, payload):
                now = self.net.kernel.now_s
                self.joined = True
                if self.joined_s is None:
                    self.joined_s = now
                if payload.report_period_s:
                    self.report_period_s = float(payload.report_period_s)
                if payload.utc_s:
                    self._sync_clock(float(payload.utc_s))
                self._status_due = True
                self._last_ack_s = now
                self.missed_acks = 0
                self._update_path()
                self.net.log("joined", self, parent=f"{self.net.nodes[self.parent].eui:016x}"
                             if self.parent is not None else None, hops=self.hops)
                self._handle(MdtEvent.JOIN_OK)
            else:
                self._handle(MdtEvent.JOIN_FAILED)
        elif isinstance(payload, Ack):
            self._on_ack(payload.acked_counter, payload.acked_seq, payload.gaps)
        elif isinstance(payload, TimeSync):
            self._sync_clock(payload.utc_ms / 1000.0)
        elif isinstance(payload, TouSchedulePayload):
            self.apply_tou_schedule(payload)

    def _sync_clock(self, utc_s: float) -> None:
        step_s = self.clock.sync(self.net.kernel.now_s, utc_s)
        self.clock_offset_ms = round(-step_s * 1000.0)

    # ------------------------------------------------------------------ health
    def status(self) -> Status:
        """The health this MDT reports now (see the module docstring)."""
        net = self.net
        ledger = self.battery_ledger()
        parent = self.parent
        rssi = None if parent is None else net.medium.rssi_dbm(parent, self.idx)
        frames0, attempts0, failures0 = self._status_base
        frames = self.frames_sent - frames0
        now = net.kernel.now_s
        return Status(
            parent=0 if parent is None else net.nodes[parent].eui,
            rssi_dbm=-128 if rssi is None else round(rssi),
            etx=min(self.path_etx, 655.0) if self.path_etx != float("inf") else 655.0,
            hops=self.hops, battery_mv=ledger.voltage_mv(),
            battery_remaining_mah=round(ledger.battery_remaining_mah),
            tx_frames=frames, retries=max(0, self.tx_attempts - attempts0 - frames),
            queue_frames=-(-max(0, self.closed_end() - self.acked_end)
                           // net.params.records_per_report),  # report frames still owed
            parent_changes=self.parent_changes,
            link_margin_db=0.0 if rssi is None else round(rssi - net.medium.sensitivity_dbm, 1),
            drops=self.tx_failures - failures0,
            uptime_s=0 if self.powered_s is None else int(now - self.powered_s),
            clock_offset_ms=self.clock_offset_ms)

    def _send_status(self) -> bool:
        """Seal and send a STATUS; False if the uplink failed."""
        net = self.net
        status = self.status()
        data, counter = self.security.seal(net.dcap_eui, status)
        self._status_base = (self.frames_sent + 1, self.tx_attempts, self.tx_failures)
        self._status_due = False
        self._next_status_s = net.kernel.now_s + net.params.status_period_s
        self.statuses_sent += 1
        return self._uplink(Packet(data, self.idx, counter, FrameType.STATUS,
                                   net.kernel.now_s, [self.idx]))

    def _update_path(self) -> None:
        if self.parent is None:
            return
        cand = self.candidates.get(self.parent)
        if cand is not None:
            self.hops = cand.hops + 1
            self.path_etx = cand.path_etx + self.estimator.get(self.parent, cand.rssi_dbm)

    # ------------------------------------------------------------------ reporting
    @property
    def sent_end(self) -> int:
        """Records with seq below this were sent at least once (:attr:`delivery`)."""
        return self.delivery.sent_end[self.row]

    @property
    def acked_end(self) -> int:
        """Records with seq below this are stored at the head-end (:attr:`delivery`)."""
        return self.delivery.acked_end[self.row]

    def closed_end(self) -> int:
        """Records closed so far (seq < this)."""
        k_end = int(self.net.kernel.now_s // INTERVAL_LENGTH_S) - self.first_interval
        return max(0, min(k_end, self._delivered.size))

    def register_wh(self) -> int:
        """The MDT's running total [Wh]: every closed interval's energy."""
        return int(self.cum_wh[self.closed_end()])

    def _report(self, gen: int) -> None:
        if gen != self._report_gen:
            return
        net = self.net
        jitter = 1.0 + net.params.report_jitter_ratio * (2.0 * net.medium.uniform() - 1.0)
        kernel = net.kernel
        kernel.at(kernel.now_s + self.report_period_s * jitter, self._report, gen)
        self._wake()

    def _wake(self) -> None:
        if self.psm.state not in _REPORTING:
            return
        p = self.net.params
        now = self.net.kernel.now_s
        closed = int(now // INTERVAL_LENGTH_S) - self.first_interval
        if closed > self._n_records:
            closed = self._n_records
        elif closed < 0:
            closed = 0
        delivery, row = self.delivery, self.row
        if now - self._last_ack_s > p.ack_timeout_s and delivery.on_timeout(row):
            self._last_ack_s = now
        frames_left = 1 + p.gap_frames_per_wake
        any_ok = False
        failed = False
        if self.events.next_seq > self._events_acked_end and not self._send_events():
            failed = True
        if (not failed and p.status_period_s
                and (self._status_due or now >= self._next_status_s)
                and not self._send_status()):
            failed = True
        # new records first, then gap ranges
        per_frame = p.records_per_report
        while frames_left > 0 and not failed:
            span = delivery.next_new(row, closed, per_frame)
            if span is None:
                break
            if not self._send_records(*span):
                failed = True
                break
            any_ok = True
            delivery.mark_sent(row, span[1])
            frames_left -= 1
        while frames_left > 0 and not failed:
            span = delivery.next_gap(row, closed, per_frame)
            if span is None:
                break
            if not self._send_records(*span):
                failed = True
                break
            any_ok = True
            frames_left -= 1
            delivery.gap_sent(row, span[1])
        if any_ok:
            self._poll_parent()
        if self._acked_this_wake:
            self.missed_acks = 0
        elif (self._awaiting_ack or failed) and not any_ok:
            self.missed_acks += 1  # no ACK for the last report, and nothing got through now
        elif self._awaiting_ack:
            self.missed_acks += 1
        self._acked_this_wake = False
        self._awaiting_ack = any_ok
        if self.missed_acks >= p.max_missed_acks or (failed and self.parent is None):
            self.missed_acks = 0
            self.net.log("parent_lost", self)
            self.joined = False
            self.parent = None
            self._handle(MdtEvent.PARENT_LOST)

    def _send_records(self, a: int, b: int) -> bool:
        rec = self._records_bytes
        if rec is None:
            rec = self._records_bytes = self._pack_records()
        n_tou = self._n_tou
        if n_tou:
            # the TOU registers as they stood when record b - 1 closed
            tou = self._tou_bytes[(b - 1) * 8 * n_tou:b * 8 * n_tou]
            payload = (_INTERVALS_HEAD(self._cum[b], n_tou, b - a) + tou
                       + rec[a * _REC_SIZE:b * _REC_SIZE])
        else:
            payload = (_INTERVALS_HEAD(self._cum[b], 0, b - a)
                       + rec[a * _REC_SIZE:b * _REC_SIZE])
        net = self.net
        data, counter = self.security.seal_packed(net.dcap_eui, FrameType.INTERVALS, payload)
        pkt = Packet(data, self.idx, counter, FrameType.INTERVALS, net.kernel.now_s,
                     [self.idx], a, b - 1)
        return self._uplink(pkt)

    def set_records(self, records: npt.NDArray[np.void],
                    tou_register_wh: npt.NDArray[np.int64] | None = None) -> None:
        """Records seq 0.. of the run as the MDT room made them: packed as on the wire
        (:meth:`openamr.field.mdt.intervals.IntervalBatch.wire_records`) and the TOU registers
        after each record [Wh] ``(n, registers)``."""
        n = min(self._delivered.size, len(records))
        table = records[:n].copy()
        table["seq"] = np.arange(n)  # this MDT numbers its records from its first interval
        self._table = table
        self.cum_wh = np.concatenate(([0], np.cumsum(table["energy_wh"], dtype=np.int64)))
        self._cum = array("q", self.cum_wh.tobytes())
        if tou_register_wh is not None and tou_register_wh.size:
            self._n_tou = int(tou_register_wh.shape[1])
            self._tou = np.ascontiguousarray(tou_register_wh[:n], dtype=np.int64)
            self._tou_bytes = self._tou.astype(">u8").tobytes()

    def apply_tou_schedule(self, payload: TouSchedulePayload) -> int:
        """A ``TOU_SCHEDULE`` from the head-end: the intervals not closed yet accrue to the
        schedule's registers (``TOU_STALE`` where it does not cover them); the closed ones keep
        what they had.  The MDT room's fleet recomputes them (:class:`MdtFleet` with the
        schedule, starting from the registers as they stand).  Returns the first seq changed."""
        table, tou = self._table, self._tou
        if table is None or tou is None or not tou.shape[1]:
            return -1
        schedule = tou_schedule_from_frame(payload)
        k = self.closed_end()
        n = len(table)
        if k >= n:
            return k
        fleet = MdtFleet(1, self.model, tou=schedule, n_tou_registers=tou.shape[1],
                         buffer_days=(n - k) * INTERVAL_LENGTH_S / 86400.0 + 1.0)
        if k > 0:
            fleet.tou_register_wh[0] = tou[k - 1]
        flags = table["flags"][k:].astype(np.uint16) & np.uint16(~IntervalFlag.TOU_STALE
                                                                 & 0xFFFF)
        fleet.append_intervals(table["start_s"][k:].astype(np.int64),
                               table["energy_wh"][k:].astype(np.int64).reshape(1, -1),
                               flags=flags.reshape(1, -1))
        batch = fleet.ring.records_in(0, 0, n - k - 1)
        table["flags"][k:] = batch.flags
        tou[k:] = batch.tou_register_wh
        # reports carry the registers the schedule uses (the others hold nothing: before any
        # schedule everything accrued to register 0)
        n_used = max(1, min(int(payload.registers), tou.shape[1]))
        if not tou[:, n_used:].any():
            self._n_tou = n_used
        self._tou_bytes = np.ascontiguousarray(tou[:, :self._n_tou]).astype(">u8").tobytes()
        if self._records_bytes is not None:
            self._records_bytes = table.tobytes()
        self.tou_schedules += 1
        return k

    def _pack_records(self) -> bytes:
        """Every interval record of the run, packed once as on the wire (16 bytes each).

        Records that closed before the first join carry ``CLOCK_UNSYNCED`` (packed at the first
        report, after the join, so the flag is known)."""
        first = self.first_interval
        n = self._delivered.size
        table = self._table
        if table is None:
            raise RuntimeError("the MDT has no records: SimRun gives every MDT its records "
                               "through attach_fleet_records")
        joined_s = self.joined_s
        synced_from = n if joined_s is None else int(joined_s // INTERVAL_LENGTH_S) - first
        if synced_from > 0:
            table["flags"][:synced_from] |= np.uint16(IntervalFlag.CLOCK_UNSYNCED)
        return table.tobytes()

    def _uplink(self, pkt: Packet) -> bool:
        """Send to the parent; on failure try the next-best candidate once (re-parent)."""
        self.frames_sent += 1
        ok = self.parent is not None and self.net.send_up(self, pkt)
        if not ok:
            p = self.net.params
            failed = {self.parent} if self.parent is not None else set()
            alt, _ = choose_parent(self.candidates, self.estimator, None, p,
                                   self.net.medium.sensitivity_dbm, excluded=failed)
            if alt is not None:
                old, self.parent = self.parent, alt
                ok = self.net.send_up(self, pkt)
                if ok:
                    self.parent_changes += 1
                    self._status_due = True
                    self._update_path()
                    self.net.log("parent_changed", self,
                                 parent=f"{self.net.nodes[alt].eui:016x}")
                else:
                    self.parent = old
        return ok

    def _poll_parent(self) -> None:
        if self.parent is None:
            return
        parent = self.net.nodes[self.parent]
        held = parent.held.pop(self.idx, None)
        if not held:
            return
        carry = self.net.carry
        for data in held:
            if carry(parent.idx, self.idx, len(data)):
                self.receive_down(data)

    def _on_ack(self, acked_counter: int, acked_seq: int,
                gaps: tuple[tuple[int, int], ...]) -> None:
        if self._event_sent:
            for seq, (counter, _) in list(self._event_sent.items()):
                if counter == acked_counter:
                    del self._event_sent[seq]
                    self.events.acknowledge(seq)
                    self._events_acked_end = max(self._events_acked_end, seq + 1)
                    for old in [s for s in self._event_sent if s < seq]:
                        del self._event_sent[old]
                    return  # an event's ACK says nothing about the interval records
        self._acked_this_wake = True
        self._last_ack_s = self.net.kernel.now_s
        self.delivery.on_ack(self.row, acked_seq, gaps)

    def frame_delivered(self, pkt: Packet, sim_t_s: float) -> None:
        if pkt.seq_first >= 0:
            self._deliveries.append((pkt.seq_first, pkt.seq_last, sim_t_s))

    @property
    def delivered_s(self) -> npt.NDArray[np.float64]:
        """When each record first reached the DCAP [sim s] (inf: never) — a KPI oracle."""
        if self._delivered_upto < len(self._deliveries):
            arr = self._delivered
            for first, last, t_s in self._deliveries[self._delivered_upto:]:
                view = arr[first:last + 1]
                np.minimum(view, t_s, out=view)
            self._delivered_upto = len(self._deliveries)
        return self._delivered

    # ------------------------------------------------------------------ battery
    def battery_ledger(self) -> BatteryLedger:
        """The MDT room's :class:`BatteryLedger` charged with this MDT's times since power-on
        (the radio, the LED, the sleep floor) at the ``MeshParams`` currents."""
        p = self.net.params
        ledger = BatteryLedger(p.battery_mah, _currents(p))
        if self.powered_s is None:
            return ledger
        now = self.net.kernel.now_s
        rx_s = self.rx_s + self.tx_attempts * p.ack_rx_s
        if self._search_on_s is not None:
            rx_s += p.search_rx_duty_ratio * (now - self._search_on_s)
        ledger.charge(sleep_s=now - self.powered_s, rx_s=rx_s,
                      tx_s=self.tx_attempts * p.frame_tx_s, led_s=self.led_s)
        return ledger

    def battery_projection_years(self) -> float:
        """Years a full battery lasts at the average drain since power-on (load and
        self-discharge), capped by the cell's shelf life (:class:`BatteryLedger`)."""
        return self.battery_ledger().projection_years()
