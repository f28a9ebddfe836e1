"""What the LCD shows (manual §3.2 Table 3, §4.7, §7).

"LCD display shows total kWh, kWh demand, instantaneous kWh, reverse phase indication, and
serial number upon boot."  Choices (docs/meter-outputs.md):

* the LCD is lit while the meter is powered (L1 or L2 to N at or above the operating minimum,
  :func:`openamr.field.meter.metrology.lcd_on`); unpowered, it shows nothing (``on`` false and
  every field ``None``);
* during the first ``BOOT_S`` seconds after power-up it shows the serial number, then it cycles
  through total kWh, demand and instantaneous power (:func:`screen_at`);
* "kWh demand" is read as kW *maximum* demand, "instantaneous kWh" as instantaneous kW
  (reference §3, §7.3);
* total kWh is truncated to 3 decimals like a register (never shows energy not yet registered);
  kW values are rounded to 3 decimals;
* reverse phase per element: the element's power is negative while its current is at or above
  the starting threshold (reference §4.3 rule 1, §7.3).  In no-load the indication holds its
  last state (as the ADE7953 holds its reverse-power flag).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.field.meter.registers import kwh_display

__all__ = [
    "BOOT_S",
    "SCREEN_CYCLE",
    "SCREEN_DWELL_S",
    "LcdReading",
    "reverse_phase_flags",
    "screen_at",
]

BOOT_S = 5.0
"""How long the serial number is shown after power-up [s] (assumption: not in the manual)."""

SCREEN_DWELL_S = 5.0
"""How long each screen is shown after boot [s] (assumption)."""

SCREEN_CYCLE: tuple[str, ...] = ("total_kwh", "demand_kw", "instant_kw")
"""Screens cycled after boot, in order."""


def _kw(power_w: float) -> str:
    return f"{power_w / 1000.0:.3f}"


def reverse_phase_flags(
    power_w: npt.ArrayLike,
    current_a: npt.ArrayLike,
    start_current_a: float,
    noload_w: float = 0.0,
    voltage_v: npt.ArrayLike = 1.0,
) -> bool:
    """Reverse-phase indication of one element at the end of a run of steps.

    Reference §4.3 rule 1: the element is *active* in a step when its current is at or above
    the starting current ``start_current_a`` [A primary], its voltage is present and
    ``|power_w| ≥ noload_w`` [W] (the anti-creep threshold); the indication is on when the
    element's power was negative in the last active step, and off when it was never active.
    ``power_w`` [W], ``current_a`` [A] and ``voltage_v`` [V] are per step (or scalars).  In
    no-load the indication holds its last state.
    """
    p, i, v = np.broadcast_arrays(np.atleast_1d(np.asarray(power_w, dtype=float)),
                                  np.atleast_1d(np.asarray(current_a, dtype=float)),
                                  np.atleast_1d(np.asarray(voltage_v, dtype=float)))
    active = (i >= start_current_a) & (v > 0) & (np.abs(p) >= noload_w) & (p != 0)
    if not np.any(active):
        return False
    last = int(np.flatnonzero(active)[-1])
    return bool(p[last] < 0)


@dataclass(frozen=True)
class LcdReading:
    """The values on the display at the end of a run (strings as displayed)."""

    on: bool
    serial: str | None
    total_kwh: str | None
    """Total kWh register, truncated to 3 decimals."""
    demand_kw: str | None
    """kW maximum demand (the LCD's "kWh demand"), 3 decimals."""
    instant_kw: str | None
    """Instantaneous kW (the LCD's "instantaneous kWh"), 3 decimals."""
    reverse_phase: tuple[bool, bool] | None
    """Reverse-phase indication of element 1 and element 2."""

    @classmethod
    def show(
        cls,
        *,
        on: bool,
        serial: str,
        register_wh: float,
        max_demand_w: float,
        instant_power_w: float,
        reverse_phase: tuple[bool, bool],
    ) -> LcdReading:
        """The display of a powered (``on``) or unpowered meter."""
        if not on:
            return cls(on=False, serial=None, total_kwh=None, demand_kw=None,
                       instant_kw=None, reverse_phase=None)
        return cls(
            on=True,
            serial=serial,
            total_kwh=kwh_display(register_wh, 3),
            demand_kw=_kw(max_demand_w),
            instant_kw=_kw(instant_power_w),
            reverse_phase=(bool(reverse_phase[0]), bool(reverse_phase[1])),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the ``lcd`` object of ``openamr meter simulate --json``)."""
        return {
            "on": self.on,
            "serial": self.serial,
            "total_kwh": self.total_kwh,
            "demand_kw": self.demand_kw,
            "instant_kw": self.instant_kw,
            "reverse_phase": list(self.reverse_phase) if self.reverse_phase else None,
        }


def screen_at(sim_t_s: float, *, on: bool = True) -> str | None:
    """Which screen is shown at ``sim_t_s`` [s from power-up]: ``serial`` while booting, then
    the cycle of :data:`SCREEN_CYCLE`; ``None`` when unpowered."""
    if not on:
        return None
    if sim_t_s < BOOT_S:
        return "serial"
    k = int((sim_t_s - BOOT_S) // SCREEN_DWELL_S) % len(SCREEN_CYCLE)
    return SCREEN_CYCLE[k]
