"""Interval sums against register reads: windows, rollover, the sum check and scaling.

A register read ``register_wh`` at ``t_s`` is the meter's cumulative energy at the end of the
interval ending at ``t_s`` (the ingest stores the total at the end of each frame's newest
record).  Two consecutive reads bracket a *window* of intervals ``[t_a, t_b)``; its intervals
should add up to the register's advance ``register_b - register_a`` (California DASMMD
Attachment VEE §3.5; IESO "meter reading vs load profile").

A register that goes down is a rollover when it was near a power of ten and restarted near zero
(the advance is then taken modulo that power: billing.md §1.3 "handle rollover modulo 10^n";
the modulus is inferred, an assumption), else a negative delta (a meter swap or a fault): that
window is not used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.units import INTERVAL_LENGTH_S

__all__ = ["RegisterWindows", "register_windows", "scale_to_registers", "window_sums"]

_NEAR = 0.1
"""A rollover leaves the top and restarts in the bottom tenth of the register's range."""


@dataclass(frozen=True, slots=True)
class RegisterWindows:
    """Windows of one meter between consecutive register reads, as grid columns."""

    first_col: npt.NDArray[np.int64]
    """First interval column of each window."""
    end_col: npt.NDArray[np.int64]
    """One past the last interval column (exclusive)."""
    advance_wh: npt.NDArray[np.float64]
    """The register's advance over the window [Wh] (rollover corrected; NaN: unusable)."""
    rollover: npt.NDArray[np.bool_]
    """The register rolled over inside the window."""
    negative: npt.NDArray[np.bool_]
    """The register went down (not a rollover): the window is not used."""


def register_windows(t_s: npt.NDArray[np.int64], register_wh: npt.NDArray[np.float64],
                     grid_start_s: int, columns: int) -> RegisterWindows:
    """Windows between consecutive reads that lie on the grid ``[grid_start_s, + columns ×
    900)``; reads off the 900-s grid are ignored."""
    t = np.asarray(t_s, dtype=np.int64)
    reg = np.asarray(register_wh, dtype=np.float64)
    off = t - int(grid_start_s)
    keep = (off % INTERVAL_LENGTH_S == 0) & (off >= 0) & (off <= columns * INTERVAL_LENGTH_S)
    t, reg = t[keep], reg[keep]
    col = (t - int(grid_start_s)) // INTERVAL_LENGTH_S
    a, b = reg[:-1], reg[1:]
    delta = b - a
    modulus = 10.0 ** np.ceil(np.log10(np.maximum(a, 1.0) + 1e-9))
    rollover = (delta < 0) & (a >= (1 - _NEAR) * modulus) & (b < _NEAR * modulus)
    negative = (delta < 0) & ~rollover
    advance = np.where(rollover, delta + modulus, delta)
    advance = np.where(negative, np.nan, advance)
    return RegisterWindows(col[:-1], col[1:], advance, rollover, negative)


def window_sums(values: npt.NDArray[np.float64], windows: RegisterWindows
                ) -> npt.NDArray[np.float64]:
    """Sum of ``values`` (one meter's row; NaN counts as 0) over each window."""
    cum = np.concatenate(([0.0], np.cumsum(np.nan_to_num(values, nan=0.0))))
    sums: npt.NDArray[np.float64] = cum[windows.end_col] - cum[windows.first_col]
    return sums


def scale_to_registers(estimate_wh: npt.NDArray[np.float64], measured_wh: npt.NDArray[np.float64],
                       windows: RegisterWindows) -> tuple[npt.NDArray[np.float64],
                                                          npt.NDArray[np.bool_]]:
    """Scale one meter's estimates so each window adds up to its register advance.

    ``estimate_wh``: estimates (NaN where none); ``measured_wh``: the good values (NaN where
    none).  A window is scaled when it holds estimates, has a usable advance, every interval
    has a value (good or estimated) and the estimates must make up ``advance - measured >= 0``:
    the estimates are multiplied by ``(advance - measured) / estimated`` (shared equally when
    they add up to 0).  Returns the new estimates and a mask of the scaled cells.
    """
    out = estimate_wh.copy()
    scaled = np.zeros(out.size, dtype=bool)
    if len(windows.first_col) == 0:
        return out, scaled
    est = ~np.isnan(estimate_wh)
    have = est | ~np.isnan(measured_wh)
    n_est = window_sums(est.astype(np.float64), windows)
    n_have = window_sums(have.astype(np.float64), windows)
    length = (windows.end_col - windows.first_col).astype(np.float64)
    est_sum = window_sums(estimate_wh, windows)
    target = windows.advance_wh - window_sums(measured_wh, windows)
    usable = (n_est > 0) & (n_have == length) & np.isfinite(target) & (target >= 0)
    for w in np.flatnonzero(usable).tolist():
        lo, hi = int(windows.first_col[w]), int(windows.end_col[w])
        cells = est[lo:hi]
        if est_sum[w] > 0:
            out[lo:hi][cells] *= target[w] / est_sum[w]
        else:
            out[lo:hi][cells] = target[w] / n_est[w]
        scaled[lo:hi] |= cells
    return out, scaled
