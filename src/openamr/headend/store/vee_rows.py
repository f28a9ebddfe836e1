"""Rows of the VEE tables (schema version 6): validated values, edits, findings.

Raw intervals (table ``intervals``) are never changed.  What validation, estimation and editing
decide lives beside them (``vee_intervals``): a row overrides the raw interval of the same
``(meter, start_s)`` in the validated view, or fills a gap.  See ``docs/vee.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["VEE_METHODS", "VeeEdit", "VeeFinding", "VeeRows"]

VEE_METHODS: tuple[str, ...] = ("kept", "linear", "like_day", "linear_scaled",
                                "like_day_scaled", "manual")
"""How a validated value was made; stored as its index.

``kept``: the raw value, flagged by a rule (quality ``failed_validation``); ``linear``: a
straight line between the good intervals around a short gap; ``like_day``: the mean of the same
local weekday and time in the previous weeks; ``*_scaled``: then scaled so the interval sum
between two register reads equals the register's advance; ``manual``: a person's edit.
"""


@dataclass(frozen=True, slots=True)
class VeeRows:
    """Validated rows of many meters (long format, parallel arrays), by meter key then start."""

    meter_key: npt.NDArray[np.int64]
    start_s: npt.NDArray[np.int64]
    """Interval starts [UTC epoch s] on the 900-s grid."""
    energy_wh: npt.NDArray[np.float64]
    """Validated energy of the interval [Wh]."""
    quality: npt.NDArray[np.int64]
    """Index into :data:`~openamr.headend.store.base.QUALITIES`."""
    method: npt.NDArray[np.int64]
    """Index into :data:`VEE_METHODS`."""
    rules: npt.NDArray[np.int64]
    """Bits of the VEE rules the raw interval failed (``openamr.headend.vee.VeeRule``)."""

    def __len__(self) -> int:
        return int(self.start_s.size)

    @classmethod
    def empty(cls) -> VeeRows:
        i = np.empty(0, dtype=np.int64)
        return cls(i, i.copy(), np.empty(0, dtype=np.float64), i.copy(), i.copy(), i.copy())

    def take(self, index: npt.NDArray[np.int64] | npt.NDArray[np.bool_]) -> VeeRows:
        """The rows at ``index`` (positions or a mask)."""
        return VeeRows(self.meter_key[index], self.start_s[index], self.energy_wh[index],
                       self.quality[index], self.method[index], self.rules[index])


@dataclass(frozen=True, slots=True)
class VeeEdit:
    """One manual edit of an interval, as kept in the audit trail."""

    meter_id: str
    start_s: int
    """Start of the edited interval [UTC epoch s]."""
    after_wh: float
    """The value set by the edit [Wh]."""
    user: str
    """Who made it (the API token's label and id, or the CLI user)."""
    reason: str
    """Why (free text, required)."""
    edited_s: int
    """When [UTC epoch s]."""
    before_wh: float | None = None
    """The validated value before the edit [Wh] (None: the interval was missing)."""
    edit_id: int | None = None
    """Assigned by the store."""


@dataclass(frozen=True, slots=True)
class VeeFinding:
    """What a VEE rule found on a run of intervals of one meter."""

    meter_id: str
    code: str
    """Dotted rule code, e.g. ``vee.gap``, ``vee.spike`` (see ``docs/vee.md``)."""
    start_s: int
    """Start of the first interval concerned [UTC epoch s]."""
    end_s: int
    """End of the last interval concerned (exclusive) [UTC epoch s]."""
    intervals: int
    """How many intervals the finding covers."""
    detail: str = ""
