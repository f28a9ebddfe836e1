"""Validation rules as vectorised masks over a ``(meters, intervals)`` grid.

Each rule has a bit (:class:`VeeRule`) and a dotted code (:data:`RULE_CODES`); a cell's
``rules`` value in ``vee_intervals`` is the OR of the bits it failed.  *Hard* failures
(:data:`HARD_RULES`: a missing, impossible or negative interval) are replaced by an estimate;
*soft* ones (a suspicious run of zeros, a clock or partial flag, a sum that disagrees with the
register, a conflicting duplicate) keep the measured value and mark it ``failed_validation``.
"""

from __future__ import annotations

from enum import IntFlag

import numpy as np
import numpy.typing as npt

from openamr.frames import IntervalFlag
from openamr.units import INTERVAL_LENGTH_S, S_PER_H

__all__ = ["HARD_RULES", "RULE_CODES", "VeeRule", "clock_mask", "negative_mask",
           "partial_mask", "runs", "spike_mask", "zero_run_mask"]

_CLOCK_BITS = int(IntervalFlag.CLOCK_UNSYNCED | IntervalFlag.CLOCK_STEPPED)
_PARTIAL_BITS = int(IntervalFlag.PARTIAL | IntervalFlag.RATE_LIMITED)


class VeeRule(IntFlag):
    """The VEE rules; a cell's ``rules`` is the OR of those it failed."""

    GAP = 0x01
    """No interval stored (expected 96 a local day, 92/100 on DST days)."""
    SPIKE = 0x02
    """Energy above the meter's physical maximum."""
    NEGATIVE = 0x04
    """Negative energy."""
    ZERO_RUN = 0x08
    """Part of a long run of zeros on an occupied unit."""
    CLOCK = 0x10
    """The MDT's clock was unsynchronised or stepped (CLOCK_UNSYNCED / CLOCK_STEPPED)."""
    PARTIAL = 0x20
    """The MDT was off, restarted or rate-limited (PARTIAL / RATE_LIMITED)."""
    SUM_MISMATCH = 0x40
    """The intervals between two register reads do not add up to the register's advance."""
    DUPLICATE = 0x80
    """The interval was received again with a different value (the first is kept)."""


RULE_CODES: dict[VeeRule, str] = {
    VeeRule.GAP: "vee.gap",
    VeeRule.SPIKE: "vee.spike",
    VeeRule.NEGATIVE: "vee.negative",
    VeeRule.ZERO_RUN: "vee.zero_run",
    VeeRule.CLOCK: "vee.clock",
    VeeRule.PARTIAL: "vee.partial",
    VeeRule.SUM_MISMATCH: "vee.sum_mismatch",
    VeeRule.DUPLICATE: "vee.duplicate",
}

HARD_RULES = VeeRule.GAP | VeeRule.SPIKE | VeeRule.NEGATIVE
"""Rules whose intervals are estimated (the value is missing or cannot be true)."""


def spike_mask(energy_wh: npt.NDArray[np.float64], max_power_w: npt.NDArray[np.float64],
               factor: float = 1.0) -> npt.NDArray[np.bool_]:
    """Cells above ``factor × max_power_w × 900 s`` [Wh]; ``max_power_w`` one per meter [W]."""
    limit_wh = factor * np.asarray(max_power_w, dtype=np.float64) * INTERVAL_LENGTH_S / S_PER_H
    with np.errstate(invalid="ignore"):
        mask: npt.NDArray[np.bool_] = energy_wh > limit_wh[:, None]
    return mask


def negative_mask(energy_wh: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Cells with negative energy (a delivered channel never runs backwards)."""
    with np.errstate(invalid="ignore"):
        mask: npt.NDArray[np.bool_] = energy_wh < 0
    return mask


def clock_mask(flags: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Cells the MDT closed with its clock unsynchronised or stepped."""
    mask: npt.NDArray[np.bool_] = (flags & _CLOCK_BITS) != 0
    return mask


def partial_mask(flags: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Cells the MDT marked partial (off, restarted) or rate-limited."""
    mask: npt.NDArray[np.bool_] = (flags & _PARTIAL_BITS) != 0
    return mask


def runs(mask: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                                                npt.NDArray[np.int64]]:
    """The runs of True along each row: ``(row, first column, end column (exclusive))``."""
    m = np.asarray(mask, dtype=bool)
    rows, cols = m.shape
    padded = np.zeros((rows, cols + 2), dtype=np.int8)
    padded[:, 1:-1] = m
    edges = np.diff(padded, axis=1)  # +1 where a run starts, -1 one past its end
    r_start, c_start = np.nonzero(edges == 1)
    _, c_end = np.nonzero(edges == -1)  # row-major: the i-th end closes the i-th start
    return r_start.astype(np.int64), c_start.astype(np.int64), c_end.astype(np.int64)


def zero_run_mask(energy_wh: npt.NDArray[np.float64], min_intervals: int,
                  vacant: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.bool_]:
    """Zero cells in runs of at least ``min_intervals`` zeros, except where the unit is
    ``vacant`` (a vacant unit may well use nothing)."""
    zero: npt.NDArray[np.bool_] = np.equal(energy_wh, 0)
    if vacant is not None:
        zero &= ~vacant
    out: npt.NDArray[np.bool_] = np.zeros(zero.shape, dtype=bool)
    r, a, b = runs(zero)
    for row, lo, hi in zip(r[(b - a) >= min_intervals].tolist(),
                           a[(b - a) >= min_intervals].tolist(),
                           b[(b - a) >= min_intervals].tolist(), strict=True):
        out[row, lo:hi] = True
    return out
