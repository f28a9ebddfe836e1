"""The MDT's battery ledger: charge drawn per radio/MCU/LED state, and life projections.

The radio driver reports how long each consumer was on (``charge(rx_s=…, tx_s=…, led_s=…)``);
the sleep floor runs all the time, so the driver reports the elapsed time as ``sleep_s`` and the
other currents are added on top of it (over-counting the floor by 1.5 µA while awake, which is
negligible).  Charge is kept in mAh: ``mAh = A × s / 3.6``.

:func:`project_unjoined_life_days` answers the question of manual §5.2 ("if no network is in
range, turn off the device so the battery will not drain"): how long an MDT that never hears a
beacon lasts when it searches ``search_window_s`` and then sleeps by a retry schedule.

Beyond the load, a primary cell loses charge to **self-discharge** and does not outlive its
**shelf life**, whatever the load (assumptions, from the bobbin lithium thionyl chloride cell
makers' brochures: Saft's "Primary lithium batteries" handbook (2008) and Tadiran's LTC
technical brochure give self-discharge below 1 % of capacity per year at +20 °C and service
lives of 10-20 years): :data:`SELF_DISCHARGE_RATIO_PER_YEAR` (1 % of the nominal capacity per
year) and :data:`SHELF_LIFE_YEARS` (20 years) cap every projection, so an MDT that draws
microamps projects years, not a century.  The cell's voltage (:meth:`BatteryLedger.voltage_mv`)
is flat at ``nominal_mv`` until the last ``knee_ratio`` of the charge, then falls linearly to
``cutoff_mv`` (the flat discharge curve of a Li-SOCl2 cell, same sources; the figures are
assumptions and parameters).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from openamr.errors import InputError
from openamr.units import S_PER_DAY, S_PER_H

__all__ = ["SELF_DISCHARGE_RATIO_PER_YEAR", "SHELF_LIFE_YEARS", "BatteryCurrents",
           "BatteryLedger", "mah_from_as", "project_unjoined_life_days", "search_cycle_mah"]

SELF_DISCHARGE_RATIO_PER_YEAR = 0.01
"""Charge lost to self-discharge per year, as a share of the nominal capacity (assumption: the
Li-SOCl2 makers' "below 1 % per year at +20 °C", Saft handbook 2008, Tadiran LTC brochure)."""

SHELF_LIFE_YEARS = 20.0
"""No projection exceeds this [years] (assumption: the upper end of the 10-20 year service
life the same sources give for bobbin Li-SOCl2 cells)."""

_S_PER_YEAR = 365.25 * S_PER_DAY

_MAH_PER_AS = 1000.0 / S_PER_H


def mah_from_as(charge_as: float) -> float:
    """Charge [A·s] to [mAh]."""
    return charge_as * _MAH_PER_AS


@dataclass(frozen=True)
class BatteryCurrents:
    """Currents [A] of each consumer (a CC1310-class radio, reference mesh.md §6)."""

    sleep_a: float = 1.5e-6
    rx_a: float = 5.4e-3
    tx_a: float = 13.4e-3
    mcu_a: float = 3.0e-3
    led_a: float = 2.0e-3
    slow_flash_duty_ratio: float = 0.01
    """Fraction of the time the LED is lit while flashing slowly (searching)."""

    def __post_init__(self) -> None:
        for name in ("sleep_a", "rx_a", "tx_a", "mcu_a", "led_a"):
            if getattr(self, name) < 0:
                raise InputError(f"{name} must not be negative", where=name)
        if not 0 <= self.slow_flash_duty_ratio <= 1:
            raise InputError("slow_flash_duty_ratio must be in [0, 1]",
                             where="slow_flash_duty_ratio")


@dataclass
class BatteryLedger:
    """Charge drawn from a battery of ``capacity_mah`` [mAh]."""

    capacity_mah: float = 2000.0
    currents: BatteryCurrents = field(default_factory=BatteryCurrents)
    used_mah: float = 0.0
    """Charge drawn by the load and lost to self-discharge so far [mAh]."""
    elapsed_s: float = 0.0
    self_discharge_ratio_per_year: float = SELF_DISCHARGE_RATIO_PER_YEAR
    shelf_life_years: float = SHELF_LIFE_YEARS
    nominal_mv: int = 3000
    """Voltage of the fresh pack under the MDT's load [mV] (the value the join request has
    always carried)."""
    cutoff_mv: int = 2000
    """Voltage when the charge is gone [mV] (assumption)."""
    knee_ratio: float = 0.1
    """Share of the capacity left at which the voltage starts to fall (assumption)."""

    def __post_init__(self) -> None:
        if self.capacity_mah <= 0:
            raise InputError("capacity_mah must be positive", where="capacity_mah")

    def charge(self, *, sleep_s: float = 0.0, rx_s: float = 0.0, tx_s: float = 0.0,
               mcu_s: float = 0.0, led_s: float = 0.0) -> float:
        """Add the time [s] spent in each state; return the charge added [mAh].

        ``sleep_s`` is the elapsed time (the floor current flows always).
        """
        if not (sleep_s >= 0 and rx_s >= 0 and tx_s >= 0 and mcu_s >= 0 and led_s >= 0
                and math.isfinite(sleep_s + rx_s + tx_s + mcu_s + led_s)):
            durations = {"sleep_s": sleep_s, "rx_s": rx_s, "tx_s": tx_s, "mcu_s": mcu_s,
                         "led_s": led_s}
            bad = [k for k, v in durations.items() if not (v >= 0 and math.isfinite(v))]
            raise InputError(f"durations must be finite and not negative: {', '.join(bad)}",
                             where=bad[0])
        c = self.currents
        added = mah_from_as(c.sleep_a * sleep_s + c.rx_a * rx_s + c.tx_a * tx_s
                            + c.mcu_a * mcu_s + c.led_a * led_s)
        added += self.capacity_mah * self.self_discharge_ratio_per_year * sleep_s / _S_PER_YEAR
        self.used_mah += added
        self.elapsed_s += sleep_s
        return added

    @property
    def battery_remaining_mah(self) -> float:
        """Charge left [mAh] (never below 0)."""
        return max(self.capacity_mah - self.used_mah, 0.0)

    def voltage_mv(self) -> int:
        """Battery voltage [mV] for the charge left (flat, then a linear fall past the knee)."""
        left = self.battery_remaining_mah / self.capacity_mah
        if left >= self.knee_ratio:
            return self.nominal_mv
        return round(self.cutoff_mv + (self.nominal_mv - self.cutoff_mv) * left / self.knee_ratio)

    def projection_years(self) -> float:
        """Years a full battery lasts at the average drain so far (load and self-discharge),
        never more than ``shelf_life_years``."""
        if self.elapsed_s <= 0 or self.used_mah <= 0:
            return self.shelf_life_years
        years = self.capacity_mah / self.used_mah * self.elapsed_s / _S_PER_YEAR
        return min(years, self.shelf_life_years)

    @property
    def average_current_a(self) -> float:
        """Mean current [A] over the elapsed time reported so far (0 before any)."""
        if self.elapsed_s <= 0:
            return 0.0
        return self.used_mah / _MAH_PER_AS / self.elapsed_s

    def days_remaining(self, recent_average_current_a: float) -> float:
        """Days [d] the remaining charge lasts at ``recent_average_current_a`` [A]."""
        if recent_average_current_a < 0:
            raise InputError("average current must not be negative",
                             where="recent_average_current_a")
        drain_ma = (recent_average_current_a * 1000.0 + self.capacity_mah
                    * self.self_discharge_ratio_per_year * 3600.0 / _S_PER_YEAR)
        if drain_ma == 0:
            return math.inf
        return min(self.battery_remaining_mah / drain_ma / 24.0,
                   self.shelf_life_years * 365.25 - self.elapsed_s / S_PER_DAY)

    def to_state(self) -> dict[str, float]:
        """The ledger's running figures."""
        return {"capacity_mah": self.capacity_mah, "used_mah": self.used_mah,
                "elapsed_s": self.elapsed_s}


def search_cycle_mah(search_window_s: float, sleep_s: float,
                     currents: BatteryCurrents | None = None) -> float:
    """Charge [mAh] of one unjoined cycle: search (RX, slow-flash LED) then light sleep."""
    c = currents or BatteryCurrents()
    search_as = (c.rx_a + c.led_a * c.slow_flash_duty_ratio) * search_window_s
    floor_as = c.sleep_a * (search_window_s + sleep_s)
    return mah_from_as(search_as + floor_as)


def project_unjoined_life_days(capacity_mah: float = 2000.0, *, search_window_s: float = 90.0,
                               retry_sleep_s: Sequence[float] = (300.0, 900.0, 3600.0, 14400.0),
                               currents: BatteryCurrents | None = None,
                               self_discharge_ratio_per_year: float = SELF_DISCHARGE_RATIO_PER_YEAR,
                               ) -> float:
    """Days [d] a never-joining MDT lasts: search, sleep ``retry_sleep_s[i]``, … (last repeats),
    self-discharge included.

    A fixed retry is a schedule of one entry, e.g. ``(300.0,)``.
    """
    if not retry_sleep_s or any(s <= 0 for s in retry_sleep_s):
        raise InputError("retry_sleep_s must be non-empty and positive", where="retry_sleep_s")
    leak_mah_per_s = capacity_mah * self_discharge_ratio_per_year / _S_PER_YEAR

    def cycle(sleep_s: float) -> tuple[float, float]:
        cycle_s = search_window_s + sleep_s
        return search_cycle_mah(search_window_s, sleep_s, currents) + leak_mah_per_s * cycle_s, \
            cycle_s

    left_mah = capacity_mah
    elapsed_s = 0.0
    for sleep_s in retry_sleep_s[:-1]:
        cycle_mah, cycle_s = cycle(sleep_s)
        if cycle_mah >= left_mah:
            return (elapsed_s + cycle_s * left_mah / cycle_mah) / S_PER_DAY
        left_mah -= cycle_mah
        elapsed_s += cycle_s
    cycle_mah, cycle_s = cycle(retry_sleep_s[-1])
    return (elapsed_s + cycle_s * left_mah / cycle_mah) / S_PER_DAY
