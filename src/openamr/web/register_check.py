"""The register check: the meter's LCD against the MDT's total, and what a mismatch means.

The installer reads the LCD's kWh (and, optionally, what it showed when the MDT was installed);
the MDT counts the pulses of the meter's Kh 10 output (manual §5.1: "green wire to terminal 10")
at 10 Wh each.  The MDT's total is the latest stored register read.  Wired to the 100 Wh
terminal (Kh 100, manual §3 Table "Isolated Output") the MDT sees a tenth of the pulses and its
total is 1/10 of the LCD's; on the 1000 Wh terminal, 1/100.  The tolerance covers the energy
used between the last register read and the LCD reading (assumption: 3 % or 0.1 kWh).
"""

from __future__ import annotations

from dataclasses import dataclass

from openamr.errors import InputError

__all__ = ["TOLERANCE_KWH", "TOLERANCE_RATIO", "RegisterCheck", "check_register"]

TOLERANCE_RATIO = 0.03
"""Relative difference still counted as a match (assumption)."""
TOLERANCE_KWH = 0.1
"""Absolute difference still counted as a match [kWh] (assumption: one hour at 100 W)."""

_WIRING = (
    ("wiring.pulse_terminal_100", 10.0,
     "the MDT counts 1/10 of the LCD: its pulse input is on the 100 Wh terminal (Kh 100); "
     "move the green wire to terminal 10 (§5.1)"),
    ("wiring.pulse_terminal_1000", 100.0,
     "the MDT counts 1/100 of the LCD: its pulse input is on the 1000 Wh terminal (Kh 1000); "
     "move the green wire to terminal 10 (§5.1)"),
)


@dataclass(frozen=True)
class RegisterCheck:
    """The outcome of comparing the LCD with the MDT's total."""

    code: str
    """``register.match``, ``register.mismatch``, ``register.no_reads``,
    ``wiring.pulse_terminal_100`` or ``wiring.pulse_terminal_1000``."""
    ok: bool
    lcd_kwh: float
    """The LCD's reading minus its reading at installation [kWh]."""
    mdt_kwh: float | None
    """The MDT's latest stored total [kWh]."""
    ratio: float | None
    """``mdt_kwh / lcd_kwh``."""
    message: str


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(TOLERANCE_RATIO * abs(b), TOLERANCE_KWH)


def check_register(lcd_kwh: float, mdt_register_wh: float | None,
                   lcd_at_install_kwh: float = 0.0) -> RegisterCheck:
    """Compare the LCD's kWh (minus the reading at installation) with the MDT's total [Wh]."""
    if not lcd_kwh >= 0 or lcd_kwh > 1e9:
        raise InputError(f"LCD reading must be a number of kWh ≥ 0, got {lcd_kwh!r}",
                         where="lcd_kwh")
    if not 0 <= lcd_at_install_kwh <= lcd_kwh:
        raise InputError("the reading at installation must be between 0 and the LCD reading",
                         where="lcd_at_install_kwh")
    lcd = lcd_kwh - lcd_at_install_kwh
    if mdt_register_wh is None:
        return RegisterCheck("register.no_reads", False, lcd, None, None,
                             "the head-end holds no register read from this MDT yet: is it "
                             "joined and wired (§5.1)?")
    mdt = mdt_register_wh / 1000.0
    ratio = mdt / lcd if lcd > 0 else None
    if _close(mdt, lcd):
        return RegisterCheck("register.match", True, lcd, mdt, ratio,
                             f"the MDT's {mdt:.3f} kWh matches the LCD's {lcd:.3f} kWh")
    for code, factor, message in _WIRING:
        if lcd > TOLERANCE_KWH * factor and _close(mdt * factor, lcd):
            return RegisterCheck(code, False, lcd, mdt, ratio, message)
    return RegisterCheck("register.mismatch", False, lcd, mdt, ratio,
                         f"the MDT's {mdt:.3f} kWh differs from the LCD's {lcd:.3f} kWh: check "
                         "the reading, the CT orientation and phases (§4.5) and the pulse wiring "
                         "(§5.1)")
