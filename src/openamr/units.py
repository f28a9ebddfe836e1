"""Unit constants and conversions: the one home for units in openamr.

Names carry their unit everywhere (``energy_wh``, ``power_w``, ``rssi_dbm``, ``battery_mah``);
see ``docs/nomenclature.md``.  Energy is kept in Wh as float or int inside the system and becomes
a ``Decimal`` number of kWh only at the edges where people read it (bills, LCD, reports).
"""

from __future__ import annotations

import math
from decimal import Decimal

__all__ = [
    "INTERVAL_LENGTH_S",
    "S_PER_DAY",
    "S_PER_H",
    "WH_PER_KWH",
    "dbm_from_mw",
    "kwh_decimal",
    "mw_from_dbm",
    "wh_from_ws",
]

WH_PER_KWH = 1000
"""Watt-hours in one kilowatt-hour."""

S_PER_H = 3600
"""Seconds in one hour: energy_wh = power_w * length_s / S_PER_H."""

S_PER_DAY = 86_400
"""Seconds in one UTC day (a local day may have 82,800 or 90,000: see openamr.timeutil)."""

INTERVAL_LENGTH_S = 900
"""Length of one MDT interval [s]: the manual's 15 minutes."""


def wh_from_ws(energy_ws: float) -> float:
    """Convert watt-seconds (joules) to watt-hours."""
    return energy_ws / S_PER_H


def kwh_decimal(energy_wh: float | int, places: int = 3) -> Decimal:
    """Energy [Wh] as a ``Decimal`` number of kWh rounded half-even to ``places`` decimals."""
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(str(energy_wh)) / WH_PER_KWH).quantize(quantum)


def dbm_from_mw(power_mw: float) -> float:
    """Power [mW] to [dBm]."""
    return 10.0 * math.log10(power_mw)


def mw_from_dbm(power_dbm: float) -> float:
    """Power [dBm] to [mW]."""
    return float(10.0 ** (power_dbm / 10.0))
