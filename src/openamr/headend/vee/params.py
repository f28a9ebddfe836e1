"""The parameters of VEE, with their defaults and where the defaults come from.

Sources (full references in ``docs/vee.md``): IESO MDP_STD_0002 "Validating, Estimating and
Editing" (Issue 3.0, 2004): point-to-point estimation up to 1 hour, historical (same weekday of
the previous 3 weeks) beyond; California DASMMD Attachment VEE §3.5: interval sums checked
against the meter register on the billing cycle; Oracle Utilities MDM rule catalogue: Zero
Consumption, Interval Spike, Negative Consumption, Interval Adjustment From Scalar; Itron IEE
MDM: linear interpolation with a maximum range, two-week like-day tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from openamr.errors import InputError

__all__ = ["VeeParams"]


@dataclass(frozen=True, slots=True)
class VeeParams:
    """Thresholds of the validation rules and limits of the estimation methods."""

    max_linear_gap_intervals: int = 4
    """Longest gap filled by a straight line [intervals]: 4 = 1 h (IESO MDP_STD_0002
    point-to-point ≤ 1 h; Itron's example is 3 h, California's 2 h is unverified)."""
    like_day_weeks: int = 3
    """Previous weeks searched for like days (IESO: 3 weeks; Itron: 2)."""
    like_day_min_days: int = 1
    """Like days that must have a good value for an interval to be estimated."""
    zero_run_intervals: int = 96
    """A run of at least this many zero intervals on an occupied unit is flagged [intervals]:
    96 = 24 h (the research synthesis of billing.md §1.3 after Oracle's Zero Consumption
    Check; an assumption, not a regulation)."""
    spike_factor: float = 1.0
    """An interval above ``spike_factor × max_power_w × 900 / 3600`` Wh is impossible (the
    meter's physical maximum: rating × voltage × elements); 1.0 because ``max_power_w`` is
    already the catalogue maximum (IESO "data overflow"; Oracle Interval Spike Check)."""
    sum_tolerance_ratio: float = 0.01
    """Interval sum against register advance: tolerated relative difference (1 %)."""
    sum_tolerance_pulses: float = 2.0
    """… or this many pulses of the meter constant ``kh_wh``, whichever is larger (the MDT
    counts whole pulses; the register read may fall between two)."""
    scale_to_registers: bool = True
    """Scale estimates so intervals sum to the register's advance where reads bracket them
    (Oracle "Interval Adjustment From Scalar")."""

    def __post_init__(self) -> None:
        checks = (("max_linear_gap_intervals", self.max_linear_gap_intervals >= 0),
                  ("like_day_weeks", 1 <= self.like_day_weeks <= 8),
                  ("like_day_min_days",
                   1 <= self.like_day_min_days <= max(1, self.like_day_weeks)),
                  ("zero_run_intervals", self.zero_run_intervals >= 1),
                  ("spike_factor", self.spike_factor > 0),
                  ("sum_tolerance_ratio", self.sum_tolerance_ratio >= 0),
                  ("sum_tolerance_pulses", self.sum_tolerance_pulses >= 0))
        for name, ok in checks:
            if not ok:
                raise InputError(f"{name} = {getattr(self, name)!r} is out of range",
                                 where=name)
