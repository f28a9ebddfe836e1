"""The Meter Data Transceiver: pulse input, clock, intervals, log, events, power and LED.

:class:`Mdt` composes the parts of this package into one sans-IO object that the mesh simulator
drives.  Every method takes the simulation time ``sim_t_s`` [s]; the MDT converts it to its own
clock's UTC [epoch s] (:class:`~openamr.field.mdt.clock.MdtClock`) to label intervals.

The interval in progress ``[current_start_s, current_start_s + 900)`` collects accepted pulses;
it closes when the MDT's clock passes its end (:meth:`Mdt.tick`, called by every other method).
Intervals are closed only while the MDT is on; an MDT that was off resumes at the interval its
clock shows, and the intervals in between are never made (no record, no seq: the head-end sees a
time gap without a seq gap).  Clock steps on sync (docs/mdt.md "Clock"):

* forward past the end of the interval in progress: that interval closes at once, the next one
  starts at the new clock's interval; skipped intervals are not made;
* backward: the interval in progress *holds* its label and closes when the clock reaches its end
  again, so labels never repeat;
* a step of ``clock_step_flag_s`` or more flags the intervals it touched ``CLOCK_STEPPED`` (and
  ``PARTIAL`` when it crossed a boundary) and queues a ``clock.stepped`` event;
* at the first sync of a clock never synced, an interval in progress under another label closes
  at once (flags ``CLOCK_UNSYNCED | CLOCK_STEPPED | PARTIAL``), whichever way the clock moved (a
  clock synced before but stale follows the two rules above, flagged ``CLOCK_UNSYNCED``).

Sequence numbers are assigned when a record is stored: contiguous by construction.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.field.mdt.battery import BatteryLedger
from openamr.field.mdt.buffer import IntervalRing
from openamr.field.mdt.clock import MdtClock
from openamr.field.mdt.delivery import DeliveryLog
from openamr.field.mdt.events import EventQueue, MdtEventRecord
from openamr.field.mdt.fleet import DEFAULT_TOU_REGISTERS, MdtFleet
from openamr.field.mdt.intervals import IntervalBatch, IntervalFlag
from openamr.field.mdt.power_states import (
    Action,
    MdtEvent,
    PowerParams,
    PowerState,
    PowerStateMachine,
)
from openamr.field.mdt.pulse_input import PulseInput, PulseInputParams
from openamr.field.mdt.temperature import DeltaTemperatureRule
from openamr.field.mdt.tou import TouSchedule
from openamr.field.mdt.variants import MdtVariant, TemperatureMode, variant_for_model
from openamr.frames import NO_SEQ
from openamr.timeutil import align_down_s
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["Mdt", "MdtParams"]

_JOINED = (PowerState.JOINED, PowerState.JOINED_LED)


@dataclass(frozen=True)
class MdtParams:
    """Parameters of one MDT (defaults: the manual and reference mesh.md §7.3)."""

    power: PowerParams = field(default_factory=PowerParams)
    pulse: PulseInputParams = field(default_factory=PulseInputParams)
    interval_s: int = INTERVAL_LENGTH_S
    buffer_days: float = 35.0
    n_tou_registers: int = DEFAULT_TOU_REGISTERS
    clock_step_flag_s: float = 2.0
    event_depth: int = 256
    temperature_rule: DeltaTemperatureRule = field(default_factory=DeltaTemperatureRule)
    temperature_mode: TemperatureMode | None = None
    """What a temperature variant records per interval: ``None`` the variant's default
    (``per_interval`` for D02 and E02), ``on_change`` (E02: the 1 % delta events only)."""


class Mdt:
    """One MDT of kit ``model`` (``MMSMT-C02``/``-D02``/``-E02``), driven by the simulator.

    ``temperature_source(sim_t_s) -> °C`` is read when an interval closes (D02 records it, E02
    applies its report-on-change rule); :meth:`on_temperature` feeds readings in between.
    """

    def __init__(self, model: str, *, device_id: str, clock: MdtClock,
                 params: MdtParams | None = None, tou: TouSchedule | None = None,
                 battery: BatteryLedger | None = None,
                 temperature_source: Callable[[float], float] | None = None) -> None:
        self.variant: MdtVariant = variant_for_model(model)
        if not device_id:
            raise InputError("an MDT needs a device_id", where="device_id")
        self.device_id = device_id
        self.params = params or MdtParams()
        self.clock = clock
        self.power = PowerStateMachine(self.params.power)
        self.pulse_input = PulseInput(self.params.pulse)
        self.log = MdtFleet(1, self.variant.model, tou=tou, buffer_days=self.params.buffer_days,
                            pulse=self.params.pulse, n_tou_registers=self.params.n_tou_registers,
                            interval_s=self.params.interval_s,
                            temperature_mode=self.params.temperature_mode)
        self.events = EventQueue(self.params.event_depth)
        self.delivery = DeliveryLog(1, self.log.ring.depth)
        """Sent / acknowledged / asked-again records (the MDT room's one implementation)."""
        self.battery = battery or BatteryLedger()
        self.temperature_source = temperature_source
        self.cover_open = False
        self.supply_present = True
        self.current_start_s: int | None = None
        self.current_pulses = 0
        self.current_flags = IntervalFlag.NONE
        self.last_temperature_c: float | None = None
        self.last_reported_temperature_c: float | None = None
        self._was_on = False

    # -- what the driver reads ---------------------------------------------------------------

    @property
    def state(self) -> PowerState:
        """The power state."""
        return self.power.state

    @property
    def is_on(self) -> bool:
        """Whether the MDT is on (any state but OFF)."""
        return self.power.state is not PowerState.OFF

    @property
    def total_wh(self) -> int:
        """Running total [Wh] of accepted pulses × Kh (kept across restarts)."""
        return self.pulse_input.total_wh

    @property
    def tou_register_wh(self) -> tuple[int, ...]:
        """TOU register totals [Wh] now, the interval in progress included (so they add up to
        :attr:`total_wh`); empty for a variant without TOU."""
        totals = [int(v) for v in self.log.tou_register_wh[0]]
        if totals and self.current_pulses and self.current_start_s is not None:
            tou = self.log.tou
            reg = 0 if tou is None else int(tou.register_at([self.current_start_s])[0])
            totals[reg] += self.current_pulses * self.params.pulse.kh_wh
        return tuple(totals)

    @property
    def buffer(self) -> IntervalRing:
        """The interval log (row 0)."""
        return self.log.ring

    @property
    def timers(self) -> dict[str, float]:
        """Running timers: name -> due time [sim s]."""
        return self.power.timers

    def led_pattern(self, sim_t_s: float) -> str:
        """The LED pattern at ``sim_t_s``: off, slow_flash, rapid_flash, solid, single_flash,
        double_flash or on_10s."""
        return self.power.led_pattern(sim_t_s)

    def next_timer(self) -> tuple[str, float] | None:
        """``(name, due_sim_t_s)`` of the next timer, or None."""
        return self.power.next_timer()

    def clock_s(self, sim_t_s: float) -> float:
        """The MDT's clock [UTC epoch s] at ``sim_t_s``."""
        return self.clock.read_s(sim_t_s)

    # -- the log, for the radio --------------------------------------------------------------

    def unacknowledged(self) -> IntervalBatch:
        """Closed records not yet acknowledged, oldest first."""
        return self.log.ring.unacknowledged(0)

    def records_since(self, seq: int) -> IntervalBatch:
        """Records after ``seq`` still in the log."""
        return self.log.ring.records_since(0, seq)

    def records_in(self, seq_from: int, seq_to: int) -> IntervalBatch:
        """Records ``seq_from..seq_to`` (inclusive) still in the log (a gap request)."""
        return self.log.ring.records_in(0, seq_from, seq_to)

    def acknowledge(self, up_to_seq: int, gaps: tuple[tuple[int, int], ...] = ()) -> None:
        """The DCAP has every record up to ``up_to_seq`` and misses ``gaps``: the
        :class:`DeliveryLog` decides (the same code as every simulated MDT's), the log frees the
        acknowledged slots.  An acknowledgement beyond the last record is refused."""
        last = int(self.log.ring.next_seq[0]) - 1
        if up_to_seq != NO_SEQ and up_to_seq > last:
            raise InputError(f"acknowledgement of seq {up_to_seq} but the last record is "
                             f"{last}", where="up_to_seq")
        self.delivery.on_ack(0, up_to_seq, gaps, limit_end=last + 1)
        acked_end = self.delivery.acked_end[0]
        if acked_end > 0:
            self.log.ring.acknowledge(0, acked_end - 1)

    @property
    def lost_count(self) -> int:
        """Records overwritten before they were acknowledged."""
        return int(self.log.ring.lost_count[0])

    def pending_events(self) -> list[MdtEventRecord]:
        """Unacknowledged events (tamper, supply, temperature, clock), oldest first."""
        return self.events.pending()

    def acknowledge_events(self, up_to_seq: int) -> None:
        """The DCAP has every event up to ``up_to_seq``."""
        self.events.acknowledge(up_to_seq)

    # -- the state machine -------------------------------------------------------------------

    def on_event(self, event: MdtEvent | str, sim_t_s: float) -> tuple[Action, ...]:
        """A radio or button event (see :mod:`~openamr.field.mdt.power_states`)."""
        self.tick(sim_t_s)
        before = self.power.state
        actions = self.power.handle(event, sim_t_s)
        self._after_transition(before, sim_t_s)
        return actions

    def on_button(self, sim_t_s: float, *, held_s: float) -> tuple[Action, ...]:
        """The button was released at ``sim_t_s`` after ``held_s`` [s] (≥ 4 s: a hold)."""
        self.tick(sim_t_s)
        before = self.power.state
        actions = self.power.on_button(held_s, sim_t_s)
        self._after_transition(before, sim_t_s)
        return actions

    def on_timer(self, name: str, sim_t_s: float) -> tuple[Action, ...]:
        """The timer ``name`` expired at ``sim_t_s``."""
        self.tick(sim_t_s)
        before = self.power.state
        actions = self.power.on_timer(name, sim_t_s)
        self._after_transition(before, sim_t_s)
        return actions

    def fire_due_timers(self, sim_t_s: float) -> tuple[Action, ...]:
        """Deliver every timer due at or before ``sim_t_s``, in order."""
        out: list[Action] = []
        while (nxt := self.power.next_timer()) is not None and nxt[1] <= sim_t_s:
            out.extend(self.on_timer(nxt[0], nxt[1]))
        return tuple(out)

    def boot(self, sim_t_s: float) -> tuple[Action, ...]:
        """After :meth:`from_state`: queue ``device.restarted``; an MDT that was on before the
        restart starts searching (the actions to perform are returned)."""
        self.events.push(math.floor(self.clock.read_s(sim_t_s)), "device.restarted",
                         clock_synced=self.clock.is_synced(sim_t_s))
        if self.is_on or not self._was_on:
            return ()
        return self.on_event(MdtEvent.BUTTON_HOLD, sim_t_s)

    def _after_transition(self, before: PowerState, sim_t_s: float) -> None:
        after = self.power.state
        if before is PowerState.OFF and after is not PowerState.OFF:
            self._power_up(sim_t_s)
        elif before is not PowerState.OFF and after is PowerState.OFF:
            self.current_flags |= IntervalFlag.PARTIAL
        self._was_on = after is not PowerState.OFF

    def _power_up(self, sim_t_s: float) -> None:
        now_c = self.clock.read_s(sim_t_s)
        start_s = align_down_s(math.floor(now_c), self.params.interval_s)
        if self.current_start_s is not None and now_c >= self.current_start_s + \
                self.params.interval_s:
            self._close_block(sim_t_s, np.asarray([self.current_pulses], np.int64),
                              extra_flags=None)
            self.current_start_s = None
        if self.current_start_s is None:
            self.current_start_s = start_s
            self.current_pulses = 0
            self.current_flags = self._ambient_flags()
        self.current_flags |= IntervalFlag.PARTIAL

    # -- pulses ------------------------------------------------------------------------------

    def on_pulse(self, sim_t_s: float) -> tuple[Action, ...]:
        """A closure on the pulse input at ``sim_t_s``; the first one turns an OFF MDT on."""
        actions: tuple[Action, ...] = ()
        if not self.is_on:
            before = self.power.state
            actions = self.power.handle(MdtEvent.PULSE, sim_t_s)
            self._after_transition(before, sim_t_s)
        self.tick(sim_t_s)
        overruns = self.pulse_input.overrun_count
        if self.pulse_input.on_pulse(sim_t_s):
            self.current_pulses += 1
        elif self.pulse_input.overrun_count > overruns:
            self.current_flags |= IntervalFlag.RATE_LIMITED
        return actions

    def ingest_edges(self, edge_t_s: npt.ArrayLike, until_sim_t_s: float
                     ) -> tuple[Action, ...]:
        """Vectorised :meth:`on_pulse` for sorted edge times [sim s] before ``until_sim_t_s``,
        then :meth:`tick` at ``until_sim_t_s``.  No sync may fall inside the span."""
        t = np.asarray(edge_t_s, dtype=np.float64)
        if t.size and t[-1] >= until_sim_t_s:
            raise InputError("edge times must be before until_sim_t_s", where="edge_t_s")
        actions: tuple[Action, ...] = ()
        if not self.is_on:
            # only the first closure matters to an OFF MDT: it turns it on
            if t.size == 0:
                return ()
            actions = self.on_pulse(float(t[0]))
            t = t[1:]
        self.tick(float(t[0]) if t.size else until_sim_t_s)
        accepted, overrun = self.pulse_input.accept_edges(t)
        assert self.current_start_s is not None
        offsets = self._offsets(accepted)
        over_offsets = self._offsets(overrun)
        now_c = self.clock.read_s(until_sim_t_s)
        n_close = max(0, math.floor((now_c - self.current_start_s) / self.params.interval_s))
        size = max(n_close + 1, int(offsets.max(initial=0)) + 1,
                   int(over_offsets.max(initial=0)) + 1)
        counts = np.bincount(offsets, minlength=size).astype(np.int64)
        over = np.bincount(over_offsets, minlength=size) > 0
        counts[0] += self.current_pulses
        flags = np.where(over, np.uint16(IntervalFlag.RATE_LIMITED), np.uint16(0))
        self._roll(until_sim_t_s, counts, flags)
        return actions

    def _offsets(self, sim_t_s: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        assert self.current_start_s is not None
        clock_s = self.clock.read_array_s(sim_t_s)
        j = np.floor((clock_s - self.current_start_s) / self.params.interval_s)
        return np.maximum(j, 0).astype(np.int64)  # before the start: a held interval

    def ingest_counts(self, first_start_s: int, counts: npt.ArrayLike, *,
                      temperature_c: npt.ArrayLike | None = None) -> None:
        """Fast path: pulse counts [pulses] of consecutive intervals from ``first_start_s``.

        Labels come from the caller (the simulator's UTC), not from the clock; the MDT is
        taken as on.  Pulses already counted in the interval ``first_start_s`` are merged.
        """
        c = np.asarray(counts).reshape(1, -1)
        if self.current_start_s is not None and self.current_start_s > first_start_s:
            raise InputError(f"counts from {first_start_s} overlap the MDT's interval "
                             f"{self.current_start_s}", where="first_start_s")
        accepted, overrun = self.pulse_input.accept_counts(c, self.params.interval_s)
        flags = np.where(overrun, np.uint16(IntervalFlag.RATE_LIMITED), np.uint16(0))
        if self.current_start_s is not None:
            if self.current_start_s == first_start_s and accepted.size:
                accepted[0, 0] += self.current_pulses
                flags[0, 0] |= np.uint16(self.current_flags)
            elif self.current_start_s < first_start_s:
                self._store(np.asarray([self.current_start_s]),
                            np.asarray([self.current_pulses]),
                            np.asarray([self.current_flags], np.uint16), None)
        temps = None if temperature_c is None else np.asarray(temperature_c).reshape(1, -1)
        lost_before = self.lost_count
        self.log.append_intervals(first_start_s + self.params.interval_s *
                                  np.arange(accepted.shape[1], dtype=np.int64),
                                  accepted * self.params.pulse.kh_wh, flags=flags,
                                  temperature_c=temps if self._records_temperature else None)
        self.current_start_s = first_start_s + self.params.interval_s * accepted.shape[1]
        self._report_lost(lost_before, self.current_start_s)
        self.current_pulses = 0
        self.current_flags = self._ambient_flags()

    # -- closing intervals -------------------------------------------------------------------

    def tick(self, sim_t_s: float) -> int:
        """Close every interval whose end the clock has passed at ``sim_t_s``; return how many.

        An MDT that is off closes nothing.
        """
        if not self.is_on or self.current_start_s is None:
            return 0
        return self._roll(sim_t_s, np.asarray([self.current_pulses], np.int64), None)

    def _roll(self, sim_t_s: float, counts: npt.NDArray[np.int64],
              extra_flags: npt.NDArray[np.uint16] | None) -> int:
        """``counts[j]`` pulses belong to interval ``current_start_s + j·900`` (j=0: current)."""
        assert self.current_start_s is not None
        now_c = self.clock.read_s(sim_t_s)
        n_close = max(0, math.floor((now_c - self.current_start_s) / self.params.interval_s))
        if counts.size > n_close + 1:
            raise InputError("pulses after the end of the span", where="edge_t_s")
        if n_close == 0:
            self.current_pulses = int(counts[0])
            if extra_flags is not None:
                self.current_flags |= IntervalFlag(int(extra_flags[0]))
            return 0
        full = np.zeros(n_close + 1, np.int64)
        full[:counts.size] = counts
        fl = np.zeros(n_close + 1, np.uint16)
        if extra_flags is not None:
            fl[:extra_flags.size] = extra_flags
        self._close_block(sim_t_s, full[:n_close], fl[:n_close])
        self.current_start_s += n_close * self.params.interval_s
        self.current_pulses = int(full[n_close])
        self.current_flags = self._ambient_flags() | IntervalFlag(int(fl[n_close]))
        return n_close

    def _close_block(self, sim_t_s: float, pulses: npt.NDArray[np.int64],
                     extra_flags: npt.NDArray[np.uint16] | None) -> None:
        """Store ``len(pulses)`` intervals from ``current_start_s`` (the first carries the
        current interval's flags, the rest the ambient ones)."""
        assert self.current_start_s is not None
        k = pulses.size
        length_s = self.params.interval_s
        starts = self.current_start_s + length_s * np.arange(k, dtype=np.int64)
        end_sim_s = np.minimum(self.clock.sim_time_at_array(starts + length_s), sim_t_s)
        flags = np.full(k, np.uint16(self._ambient_flags()), np.uint16)
        flags[0] = np.uint16(self.current_flags | self._ambient_flags())
        if extra_flags is not None:
            flags |= extra_flags
        last_sync = self.clock.last_sync_sim_t_s
        if last_sync is None:
            flags |= np.uint16(IntervalFlag.CLOCK_UNSYNCED)
        else:
            stale = (end_sim_s - last_sync) > self.clock.sync_valid_s
            flags |= np.where(stale, np.uint16(IntervalFlag.CLOCK_UNSYNCED), np.uint16(0))
        temps: npt.NDArray[np.float64] | None = None
        if self.variant.temperature is not TemperatureMode.NONE:
            temps = self._sample_temperatures(end_sim_s)
        self._store(starts, pulses, flags, temps)

    def _store(self, starts: npt.NDArray[np.int64], pulses: npt.NDArray[np.int64],
               flags: npt.NDArray[np.uint16], temps: npt.NDArray[np.float64] | None) -> None:
        lost_before = self.lost_count
        self.log.append_intervals(starts, pulses.reshape(1, -1) * self.params.pulse.kh_wh,
                                  flags=flags.reshape(1, -1),
                                  temperature_c=(temps.reshape(1, -1) if temps is not None
                                                 and self._records_temperature else None))
        self._report_lost(lost_before, int(starts[-1]) + self.params.interval_s)

    def _report_lost(self, lost_before: int, t_s: int) -> None:
        if self.lost_count > lost_before:
            self.events.push(t_s, "buffer.records_lost", float(self.lost_count - lost_before))

    @property
    def temperature_mode(self) -> TemperatureMode:
        """What goes in the interval records (the setting, else the variant's default)."""
        if self.variant.temperature is TemperatureMode.NONE:
            return TemperatureMode.NONE
        return self.params.temperature_mode or self.variant.temperature

    @property
    def _records_temperature(self) -> bool:
        return self.temperature_mode is TemperatureMode.PER_INTERVAL

    @property
    def _delta_events(self) -> bool:
        return self.variant.delta_events or self.temperature_mode is TemperatureMode.ON_CHANGE

    def _sample_temperatures(self, at_sim_s: npt.NDArray[np.float64]
                             ) -> npt.NDArray[np.float64]:
        if self.temperature_source is not None:
            values = np.asarray([self.temperature_source(float(t)) for t in at_sim_s])
            if self._delta_events:
                for t, value in zip(at_sim_s, values, strict=True):
                    self._apply_delta_rule(float(t), float(value))
            self.last_temperature_c = float(values[-1])
            return values
        last = math.nan if self.last_temperature_c is None else self.last_temperature_c
        return np.full(at_sim_s.size, last)

    def _ambient_flags(self) -> IntervalFlag:
        flags = IntervalFlag.NONE
        if self.cover_open:
            flags |= IntervalFlag.TAMPER_OPEN
        if not self.supply_present:
            flags |= IntervalFlag.POWER_FAIL
        return flags

    # -- clock, tamper, supply, temperature --------------------------------------------------

    def on_time_sync(self, sim_t_s: float, utc_s: float) -> float:
        """A time-sync message with the DCAP's ``utc_s`` [UTC epoch s]; return the step [s]."""
        self.tick(sim_t_s)
        was_synced = self.clock.is_synced(sim_t_s)
        never_synced = self.clock.last_sync_sim_t_s is None
        step_s = self.clock.sync(sim_t_s, utc_s)
        big = abs(step_s) >= self.params.clock_step_flag_s
        if big:
            self.events.push(math.floor(utc_s), "clock.stepped", step_s)
        if not self.is_on or self.current_start_s is None:
            return step_s
        length_s = self.params.interval_s
        new_start = align_down_s(math.floor(utc_s), length_s)
        if big:
            self.current_flags |= IntervalFlag.CLOCK_STEPPED
        moved = new_start != self.current_start_s
        if not was_synced and moved:
            self.current_flags |= IntervalFlag.CLOCK_UNSYNCED
        if (never_synced and moved) or new_start >= self.current_start_s + length_s:
            if not was_synced:
                self.current_flags |= IntervalFlag.CLOCK_UNSYNCED
            if big:
                self.current_flags |= IntervalFlag.PARTIAL
            self._close_block(sim_t_s, np.asarray([self.current_pulses], np.int64), None)
            self.current_start_s = new_start
            self.current_pulses = 0
            self.current_flags = self._ambient_flags()
            if big:
                self.current_flags |= IntervalFlag.CLOCK_STEPPED | IntervalFlag.PARTIAL
        return step_s

    def on_cover(self, sim_t_s: float, cover_open: bool) -> tuple[Action, ...]:
        """The tamper micro-switch changed: the enclosure cover was removed or replaced."""
        self.tick(sim_t_s)
        if cover_open == self.cover_open:
            return ()
        self.cover_open = cover_open
        if cover_open:
            self.current_flags |= IntervalFlag.TAMPER_OPEN
        kind = "tamper.cover_removed" if cover_open else "tamper.cover_replaced"
        return self._event(sim_t_s, kind)

    def on_supply(self, sim_t_s: float, present: bool) -> tuple[Action, ...]:
        """The meter's +12 VDC supply appeared or disappeared."""
        self.tick(sim_t_s)
        if present == self.supply_present:
            return ()
        self.supply_present = present
        if not present:
            self.current_flags |= IntervalFlag.POWER_FAIL
        return self._event(sim_t_s, "power.restored" if present else "power.lost")

    def on_temperature(self, sim_t_s: float, temperature_c: float) -> tuple[Action, ...]:
        """A sensor reading [°C]; E02 reports it when it moved ≥ 1 % of span."""
        if not math.isfinite(temperature_c):
            raise InputError("temperature reading must be finite", where="temperature_c")
        if self.variant.temperature is TemperatureMode.NONE:
            raise InputError(f"{self.variant.model} has no temperature sensor",
                             where="temperature_c")
        self.tick(sim_t_s)
        self.last_temperature_c = temperature_c
        reported = self._delta_events and self._apply_delta_rule(sim_t_s, temperature_c)
        return (Action("send_data"),) if reported and self.power.state in _JOINED else ()

    def _apply_delta_rule(self, sim_t_s: float, temperature_c: float) -> bool:
        rule = self.params.temperature_rule
        if not rule.should_report(temperature_c, self.last_reported_temperature_c):
            return False
        self.last_reported_temperature_c = temperature_c
        self.events.push(math.floor(self.clock.read_s(sim_t_s)), "temperature.changed",
                         temperature_c, clock_synced=self.clock.is_synced(sim_t_s))
        return True

    def _event(self, sim_t_s: float, kind: str) -> tuple[Action, ...]:
        self.events.push(math.floor(self.clock.read_s(sim_t_s)), kind,
                         clock_synced=self.clock.is_synced(sim_t_s))
        return (Action("send_data"),) if self.power.state in _JOINED else ()

    # -- persistence -------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """What the MDT keeps in flash (counters, log, events, interval in progress)."""
        return {
            "model": self.variant.model, "device_id": self.device_id,
            "pulse_input": self.pulse_input.to_state(), "log": self.log.to_state(),
            "events": self.events.to_state(),
            "current_start_s": self.current_start_s, "current_pulses": self.current_pulses,
            "current_flags": int(self.current_flags), "cover_open": self.cover_open,
            "supply_present": self.supply_present, "was_on": self._was_on,
            "tou": self.log.tou,
            "last_reported_temperature_c": self.last_reported_temperature_c,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], *, clock: MdtClock,
                   params: MdtParams | None = None, battery: BatteryLedger | None = None,
                   temperature_source: Callable[[float], float] | None = None) -> Mdt:
        """Restore an MDT after a restart; it is OFF until :meth:`boot`.

        ``clock`` is the RTC after the restart: the same object for a soft reset, a fresh
        unsynced clock after a battery change.  The interval in progress is flagged PARTIAL.
        """
        mdt = cls(state["model"], device_id=state["device_id"], clock=clock, params=params,
                  tou=state.get("tou"), battery=battery, temperature_source=temperature_source)
        mdt.pulse_input = PulseInput.from_state(mdt.params.pulse, state["pulse_input"])
        mdt.log.restore(state["log"])
        mdt.delivery.acked_end[0] = mdt.delivery.sent_end[0] = int(mdt.log.ring.acked_seq[0]) + 1
        mdt.events = EventQueue.from_state(state["events"])
        mdt.current_start_s = state["current_start_s"]
        mdt.current_pulses = int(state["current_pulses"])
        mdt.current_flags = IntervalFlag(int(state["current_flags"]))
        if mdt.current_start_s is not None:
            mdt.current_flags |= IntervalFlag.PARTIAL
        mdt.cover_open = bool(state["cover_open"])
        mdt.supply_present = bool(state["supply_present"])
        mdt._was_on = bool(state["was_on"])
        mdt.last_reported_temperature_c = state.get("last_reported_temperature_c")
        return mdt

    def set_tou_schedule(self, tou: TouSchedule) -> None:
        """Install the TOU schedule the DCAP sent."""
        self.log.set_tou_schedule(tou)
