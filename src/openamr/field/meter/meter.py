"""The meter orchestrator: a :class:`Meter` runs a load profile and reports everything it shows.

Data flow of :meth:`Meter.run` (one run from power-up)::

    LoadProfile (true load per leg, per step)
      → wiring: measured_element_powers_w / measure_elements   (P1, P2, currents, voltages)
      → register rule: register_power_w (anti-creep, negative clamp)   (registered power)
      → EnergyCurve (exact cumulative energy at step boundaries)
      → outputs (Kh 10/100/1000, LED, counter), register, demand, LCD, reverse phase

The meter is self-powered: when neither voltage input reaches the operating minimum it is off,
registers nothing and its LCD is dark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.field.meter.catalogue import MeterModel, Service
from openamr.field.meter.ct import CT
from openamr.field.meter.demand import DemandResult, DemandSettings, compute_demand
from openamr.field.meter.lcd import LcdReading, reverse_phase_flags
from openamr.field.meter.limits import LimitCheck, check_limits, peak_current_a
from openamr.field.meter.metrology import (
    DEFAULT_CREEP,
    DEFAULT_SUPPLY,
    CreepParams,
    RegisterMode,
    SupplyParams,
    lcd_on,
    register_power_w,
)
from openamr.field.meter.outputs import (
    LED_KH_WH,
    OutputResult,
    PulseOutput,
    counter_counts,
)
from openamr.field.meter.profile import LoadProfile
from openamr.field.meter.registers import EnergyCurve
from openamr.field.meter.tamper import TamperEvent, TamperSwitch
from openamr.field.meter.wiring import Wiring, measure_elements, measured_element_powers_w

__all__ = ["DEFAULT_SERIAL", "MAX_DURATION_S", "MAX_LISTED_TOGGLES", "Meter", "MeterRunResult"]

FloatArray = npt.NDArray[np.float64]

DEFAULT_SERIAL = "SIM0000001"
"""Serial number of a simulated meter when none is given."""

MAX_DURATION_S = 10 * 366 * 86_400.0
"""Longest run [s] (10 years): the demand series grows with the run's length."""

MAX_LISTED_TOGGLES = 10_000_000
"""Most LED toggle instants listed in full by :meth:`MeterRunResult.to_json_dict`; beyond it a
cap (``max_led_toggles``) must be given.  30 days at 48 kW is 6.9 M toggles."""


@dataclass(frozen=True)
class MeterRunResult:
    """Everything one run shows: registers, outputs, demand, LCD, tamper events."""

    model: str
    service: str
    serial: str
    duration_s: float
    powered: bool
    """The meter had supply (and so registered) during the run."""
    curve: EnergyCurve
    """Cumulative registered energy over the run."""
    outputs: dict[str, OutputResult]
    """``kh10``, ``kh100``, ``kh1000``: the isolated pulse outputs."""
    led: OutputResult
    """The load LED (the Kh 10 cycle)."""
    counter_wh_per_count: float
    counter_counts: int
    demand: DemandResult
    element_power_w: tuple[float, float]
    """Power measured by element 1 and 2 in the last step [W]."""
    reverse_phase: tuple[bool, bool]
    lcd: LcdReading
    tamper_events: tuple[TamperEvent, ...]
    wiring: Wiring
    limits: LimitCheck | None = None
    """The run against the kit's supply and current limits (manual Table 2)."""

    @property
    def register_wh(self) -> float:
        """Total registered energy [Wh]."""
        return self.curve.register_wh

    @property
    def instant_power_w(self) -> float:
        """Registered power of the last step [W] (what the LCD shows as instantaneous kW)."""
        return self.curve.last_power_w

    @property
    def max_demand_w(self) -> float:
        """Maximum demand as displayed at the end of the run [W]."""
        return self.demand.max_demand_w

    @property
    def pulses(self) -> dict[str, int]:
        """Completed pulses of each isolated output."""
        return {name: out.completed for name, out in self.outputs.items()}

    def to_json_dict(self, max_led_toggles: int | None = None) -> dict[str, Any]:
        """The JSON object of ``openamr meter simulate --json`` (stable keys).

        ``led_toggle_times_s`` is complete unless ``max_led_toggles`` caps it (then
        ``led_toggles_truncated`` is true; ``led_toggles`` always counts all of them).  More
        than :data:`MAX_LISTED_TOGGLES` toggles without a cap is refused (``InputError``).
        """
        count = self.led.toggles
        if max_led_toggles is None and count > MAX_LISTED_TOGGLES:
            raise InputError(f"the load LED toggles {count} times in this run; listing more than "
                             f"{MAX_LISTED_TOGGLES} needs an explicit cap", where="max_led_toggles")
        truncated = max_led_toggles is not None and count > max_led_toggles
        shown = self.led.toggle_times(limit=max_led_toggles if truncated else None)
        return {
            "model": self.model,
            "service": self.service,
            "serial": self.serial,
            "duration_s": self.duration_s,
            "powered": self.powered,
            "wiring": {"ct1": self.wiring.ct1, "ct2": self.wiring.ct2,
                       "v1": self.wiring.v1, "v2": self.wiring.v2},
            "register_wh": self.register_wh,
            "register_kwh": self.register_wh / 1000.0,
            "pulses": self.pulses,
            "rising_edges": {name: out.rising for name, out in self.outputs.items()},
            "outputs_on": {name: out.on_at_end for name, out in self.outputs.items()},
            "counter_wh_per_count": self.counter_wh_per_count,
            "counter_counts": self.counter_counts,
            "led_on": self.led.on_at_end,
            "led_toggles": count,
            "led_toggle_times_s": shown.tolist(),
            "led_toggles_truncated": bool(truncated),
            "max_demand_w": self.max_demand_w,
            "demand_w": self.demand.present_demand_w,
            "demand_method": self.demand.settings.method,
            "demand_fill": self.demand.settings.fill,
            "instant_power_w": self.instant_power_w,
            "element_power_w": list(self.element_power_w),
            "reverse_phase": list(self.reverse_phase),
            "lcd": self.lcd.to_dict(),
            "tamper_events": [e.to_dict() for e in self.tamper_events],
            "limits": None if self.limits is None else self.limits.to_dict(),
            "warnings": [] if self.limits is None else list(self.limits.warnings),
        }


@dataclass
class Meter:
    """A meter as installed: its model, service, wiring, serial number and parameters.

    ``start_on`` is the power-up phase of the pulse outputs and the LED (False: OFF, residual
    0, reference §7).  ``counter_wh_per_count`` defaults to the model's first counter weight
    (100 Wh).  ``register_mode``: ``net`` (default) or ``element`` (reference §4.3).
    """

    model: MeterModel
    service: str = "split"
    wiring: Wiring = field(default_factory=Wiring)
    serial: str = DEFAULT_SERIAL
    voltage_v: float = 120.0
    ct: CT | None = None
    register_mode: RegisterMode = "net"
    creep: CreepParams = DEFAULT_CREEP
    supply: SupplyParams = DEFAULT_SUPPLY
    demand_settings: DemandSettings = field(default_factory=DemandSettings)
    counter_wh_per_count: float | None = None
    start_on: bool = False
    tamper: TamperSwitch = field(default_factory=TamperSwitch)

    def __post_init__(self) -> None:
        svc = Service.parse(self.service)
        if svc not in self.model.services:
            raise InputError(f"model {self.model.catalogue_number} does not support service "
                             f"{svc.value}", where="service")
        self.service = svc.value
        if self.counter_wh_per_count is None:
            self.counter_wh_per_count = float(self.model.counter_wh_per_count[0])
        elif self.counter_wh_per_count not in self.model.counter_wh_per_count:
            known = ", ".join(str(c) for c in self.model.counter_wh_per_count)
            raise InputError(f"counter weight {self.counter_wh_per_count!r} Wh per count is not "
                             f"one of the model's ({known})", where="counter_wh")
        if not np.isfinite(self.voltage_v) or self.voltage_v < 0:
            raise InputError(f"voltage must be a non-negative number, got {self.voltage_v!r}",
                             where="voltage_v")

    # -- tamper switch -------------------------------------------------------------------

    def remove_cover(self, sim_t_s: float) -> TamperEvent:
        """Open the enclosure at ``sim_t_s`` [s]: a ``cover_removed`` tamper event."""
        return self.tamper.remove_cover(sim_t_s)

    def replace_cover(self, sim_t_s: float) -> TamperEvent:
        """Close the enclosure at ``sim_t_s`` [s]: a ``cover_replaced`` tamper event."""
        return self.tamper.replace_cover(sim_t_s)

    # -- running -------------------------------------------------------------------------

    def run(self, profile: LoadProfile, duration_s: float) -> MeterRunResult:
        """Run ``profile`` from power-up for ``duration_s`` [s] and collect what the meter shows."""
        if not np.isfinite(duration_s) or duration_s <= 0:
            raise InputError(f"duration must be a positive number of seconds, got {duration_s!r}",
                             where="duration_s")
        if duration_s > MAX_DURATION_S:
            raise InputError(f"duration {duration_s:g} s is longer than the {MAX_DURATION_S:g} s "
                             f"(10 years) a run may last", where="duration_s")
        steps = profile.steps(duration_s)
        p1, p2 = measured_element_powers_w(
            self.service, steps.l1_w, steps.l2_w, steps.pf1, steps.pf2,
            wiring=self.wiring, voltage_v=self.voltage_v, ct=self.ct)
        m1, m2 = measure_elements(
            self.service, steps.l1_w, steps.l2_w, steps.pf1, steps.pf2,
            wiring=self.wiring, voltage_v=self.voltage_v, ct=self.ct)
        p1 = np.broadcast_to(np.asarray(p1, dtype=np.float64), (len(steps),))
        p2 = np.broadcast_to(np.asarray(p2, dtype=np.float64), (len(steps),))
        v1 = float(np.max(m1.voltage_v))
        v2 = float(np.max(m2.voltage_v))
        powered = bool(lcd_on(v1, v2, self.supply))
        if powered:
            registered = np.asarray(register_power_w(p1, p2, mode=self.register_mode,
                                                     creep=self.creep), dtype=np.float64)
        else:
            registered = np.zeros(len(steps), dtype=np.float64)
        curve = EnergyCurve(steps.t_s, np.broadcast_to(registered, (len(steps),)).copy())

        outputs = {f"kh{int(kh)}": PulseOutput(float(kh), self.start_on).run(curve)
                   for kh in self.model.pulse_outputs_wh}
        led_key = f"kh{int(LED_KH_WH)}"
        led = outputs[led_key] if led_key in outputs else PulseOutput(
            LED_KH_WH, self.start_on).run(curve)
        counter_wh = float(self.counter_wh_per_count or self.model.counter_wh_per_count[0])
        demand = compute_demand(curve, self.demand_settings)

        if powered:
            start_a, noload_w = self.creep.start_current_a, self.creep.element_noload_w
            reverse = (
                reverse_phase_flags(p1, m1.current_a, start_a, noload_w, m1.voltage_v),
                reverse_phase_flags(p2, m2.current_a, start_a, noload_w, m2.voltage_v),
            )
        else:
            reverse = (False, False)
        lcd = LcdReading.show(
            on=powered, serial=self.serial, register_wh=curve.register_wh,
            max_demand_w=demand.max_demand_w, instant_power_w=curve.last_power_w,
            reverse_phase=reverse)
        return MeterRunResult(
            model=self.model.catalogue_number,
            service=self.service,
            serial=self.serial,
            duration_s=float(duration_s),
            powered=powered,
            curve=curve,
            outputs=outputs,
            led=led,
            counter_wh_per_count=counter_wh,
            counter_counts=int(counter_counts(curve.register_wh, counter_wh)),
            demand=demand,
            element_power_w=(float(p1[-1]) + 0.0, float(p2[-1]) + 0.0),
            reverse_phase=reverse,
            lcd=lcd,
            tamper_events=tuple(self.tamper.events_until(duration_s)),
            wiring=self.wiring,
            limits=check_limits(self.model, self.voltage_v, max(
                peak_current_a(steps.l1_w, self.voltage_v, steps.pf1),
                peak_current_a(steps.l2_w, self.voltage_v, steps.pf2))),
        )
