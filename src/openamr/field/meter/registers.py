"""The energy register: cumulative energy of a piecewise-constant registered power.

Everything the meter shows or outputs (pulses, LED, counter, kWh register, demand) derives from
one function, the cumulative registered energy E(t).  For a piecewise-constant power E(t) is
piecewise linear, so it is held exactly as its values at the step boundaries
(:class:`EnergyCurve`): E at any instant is a linear interpolation inside a step, and the
instant at which E reaches a threshold is found by ``np.searchsorted`` over the boundary values
and one linear solve inside the step.  No time stepping anywhere.

Exactness: energies are accumulated in W·s (an integer load in W for an integer number of
seconds gives an integer, exact in float64 up to 2**53 W·s = 2.5 TWh), and converted to Wh
once, by one correctly rounded division: 200 W × 180 s is exactly 36,000 W·s = 10.0 Wh.  The
boundary values are snapped to a grid of ``ENERGY_QUANTUM_WS`` = 2**-20 W·s (≈ 1 µW·s, exact
binary arithmetic, a no-op for integers), so that rounding noise of non-binary step lengths
(200 W over 1,800 steps of 0.1 s) does not leave a total a few ulp below a pulse boundary.  Every
count derived from the register uses the exact floor division of that one float
(:func:`floor_count`), so ``count × Kh ≤ register_wh < (count + 1) × Kh`` holds exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.units import S_PER_H, WH_PER_KWH

__all__ = [
    "ENERGY_QUANTUM_WS",
    "EnergyCurve",
    "floor_count",
    "kwh_display",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ENERGY_QUANTUM_WS = 2.0**-20
"""Grid the cumulative energy is snapped to [W·s] (a power of two: snapping is exact)."""


def _floor_div(x: FloatArray, quantum: float) -> FloatArray:
    """Exact ``floor(x / quantum)`` as floats.

    For an integer-valued quantum and |x| < 2**52 (every product n·quantum below is then exact):
    floor of the rounded quotient, corrected by one where the rounding crossed an integer; four
    times faster than numpy's remainder-based float ``floor_divide``, which is used otherwise.
    """
    if quantum > 0 and float(quantum).is_integer() and x.size and (
            float(np.max(np.abs(x))) < 2.0**52):
        n = np.floor(x / quantum)
        n -= n * quantum > x
        n += (n + 1.0) * quantum <= x
        return n
    result: FloatArray = np.floor_divide(x, quantum)
    return result


def floor_count(energy_wh: Any, quantum_wh: float) -> Any:
    """``floor(energy_wh / quantum_wh)`` computed exactly on the float values [-].

    The result is the floor of the *real* quotient of the two floats, not of a rounded quotient:
    for ``quantum_wh`` = 10, ``n × 10 ≤ energy_wh < (n + 1) × 10`` holds exactly.  Returns an
    int64 array (or a Python int for a scalar).
    """
    x = np.asarray(energy_wh, dtype=np.float64)
    counts = _floor_div(np.atleast_1d(x), float(quantum_wh)).astype(np.int64)
    if x.ndim == 0:
        return int(counts[0])
    return counts.reshape(x.shape)


def kwh_display(energy_wh: float, places: int = 3) -> str:
    """The kWh register as the LCD shows it: truncated (like a register), ``places`` decimals."""
    quantum = Decimal(1).scaleb(-places)
    value = (Decimal(repr(float(energy_wh))) / WH_PER_KWH).quantize(quantum, rounding=ROUND_DOWN)
    return f"{value:.{places}f}"


@dataclass(frozen=True)
class EnergyCurve:
    """Cumulative registered energy E(t) of a piecewise-constant registered power.

    ``t_s`` are the step boundaries (n + 1 values from 0 to the end of the run [s]) and
    ``power_w`` the registered power of each of the n steps [W] (already through the register
    rule, so ≥ 0).
    """

    t_s: FloatArray
    power_w: FloatArray
    cum_ws: FloatArray = field(init=False)
    """E at each boundary [W·s]; ``cum_ws[0] = 0``."""

    def __post_init__(self) -> None:
        t = np.asarray(self.t_s, dtype=np.float64)
        p = np.asarray(self.power_w, dtype=np.float64)
        if t.ndim != 1 or p.ndim != 1 or t.shape[0] != p.shape[0] + 1 or p.shape[0] == 0:
            raise ValueError("t_s must have one more value than power_w (n + 1 boundaries)")
        if np.any(np.diff(t) <= 0):
            raise ValueError("step boundaries must be strictly increasing")
        if np.any(p < 0) or not np.all(np.isfinite(p)):
            raise ValueError("registered power must be finite and non-negative")
        cum = np.empty(t.shape[0], dtype=np.float64)
        cum[0] = 0.0
        np.cumsum(p * np.diff(t), out=cum[1:])
        # snap to the binary grid: exact operations, monotone, a no-op for integers and for
        # values beyond 2**33 W·s where the float spacing is already coarser than the grid
        cum *= 1.0 / ENERGY_QUANTUM_WS
        np.rint(cum, out=cum)
        cum *= ENERGY_QUANTUM_WS
        object.__setattr__(self, "t_s", t)
        object.__setattr__(self, "power_w", p)
        object.__setattr__(self, "cum_ws", cum)

    @classmethod
    def constant(cls, power_w: float, duration_s: float) -> EnergyCurve:
        """A constant registered power [W] over ``[0, duration_s]``."""
        return cls(np.array([0.0, float(duration_s)]), np.array([float(power_w)]))

    @property
    def duration_s(self) -> float:
        """Length of the run [s]."""
        return float(self.t_s[-1])

    @property
    def register_wh(self) -> float:
        """Total registered energy at the end of the run [Wh] (one exact conversion)."""
        return float(self.cum_ws[-1] / S_PER_H)

    @property
    def last_power_w(self) -> float:
        """Registered power of the last step [W]: the instantaneous power at the end."""
        return float(self.power_w[-1])

    def energy_ws_at(self, sim_t_s: Any) -> FloatArray:
        """E(t) [W·s] at the given instants (clipped to the run), exact for piecewise-constant
        power: the boundary value plus power × time into the step."""
        t = np.clip(np.asarray(sim_t_s, dtype=np.float64), self.t_s[0], self.t_s[-1])
        i = np.clip(np.searchsorted(self.t_s, t, side="right") - 1, 0, self.power_w.shape[0] - 1)
        energy: FloatArray = self.cum_ws[i] + self.power_w[i] * (t - self.t_s[i])
        # at a boundary the stored value is exact; avoid adding a rounded 0 × power
        at_boundary = t == self.t_s[i]
        return np.where(at_boundary, self.cum_ws[i], energy)

    def time_at_energy_ws(self, energy_ws: Any) -> FloatArray:
        """The first instant [s] at which E(t) reaches each of the given energies [W·s].

        Energies must be positive; values beyond the end (float rounding of a threshold derived
        from the Wh register) are clipped to the final energy.  The returned instant always lies
        inside (or at the end of) a step with positive power, so nothing happens while the
        registered power is zero.
        """
        e = np.minimum(np.asarray(energy_ws, dtype=np.float64), self.cum_ws[-1])
        j = np.searchsorted(self.cum_ws, e, side="left")
        i = np.clip(j - 1, 0, self.power_w.shape[0] - 1)
        p = self.power_w[i]
        safe_p = np.where(p > 0, p, 1.0)
        t = self.t_s[i] + (e - self.cum_ws[i]) / safe_p
        t = np.where(e == self.cum_ws[i + 1], self.t_s[i + 1], t)
        result: FloatArray = np.clip(t, self.t_s[i], self.t_s[i + 1])
        return result
