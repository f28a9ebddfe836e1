"""Time-of-use schedule as the DCAP delivers it to a TOU MDT.

The MDT never does time-zone logic: the DCAP (which knows the site's zone through
:mod:`openamr.timeutil`) sends a list of UTC switch times, each naming the register that accrues
from then on.  An interval accrues wholly to the register active at its start, so every switch
time must be a multiple of the interval length (900 s).  Past ``valid_until_s`` the last
register keeps accruing and the intervals are flagged ``TOU_STALE`` until the DCAP sends more.

:meth:`TouSchedule.daily` expands a daily pattern of local windows with a *fixed* UTC offset
(what a DCAP would send for a span without a DST change).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.units import INTERVAL_LENGTH_S, S_PER_DAY

__all__ = ["TouSchedule"]


@dataclass(frozen=True)
class TouSchedule:
    """Which TOU register each interval accrues to.

    * ``register_names``: e.g. ``("off_peak", "mid_peak", "on_peak")``; registers are indices;
    * ``initial_register``: active before the first switch;
    * ``switch_s``: ascending UTC epoch seconds, multiples of 900;
    * ``switch_register``: the register active from each switch on;
    * ``valid_until_s``: UTC epoch s up to which the DCAP vouches for the schedule.
    """

    register_names: tuple[str, ...]
    initial_register: int
    switch_s: tuple[int, ...]
    switch_register: tuple[int, ...]
    valid_until_s: int

    def __post_init__(self) -> None:
        n = len(self.register_names)
        if not 1 <= n <= 8:
            raise InputError(f"a TOU schedule has 1 to 8 registers, got {n}",
                             where="register_names")
        if len(self.switch_s) != len(self.switch_register):
            raise InputError("switch_s and switch_register differ in length", where="switch_s")
        for i, (t_s, reg) in enumerate(zip(self.switch_s, self.switch_register, strict=True)):
            if t_s % INTERVAL_LENGTH_S:
                raise InputError(f"switch time {t_s} is not on a 15-minute boundary",
                                 where=f"switch_s[{i}]")
            if not 0 <= reg < n:
                raise InputError(f"register {reg} out of range 0..{n - 1}",
                                 where=f"switch_register[{i}]")
        if any(b <= a for a, b in zip(self.switch_s, self.switch_s[1:], strict=False)):
            raise InputError("switch times must be strictly ascending", where="switch_s")
        if not 0 <= self.initial_register < n:
            raise InputError(f"register {self.initial_register} out of range",
                             where="initial_register")

    @property
    def n_registers(self) -> int:
        """Number of TOU registers."""
        return len(self.register_names)

    def register_at(self, start_s: npt.ArrayLike) -> npt.NDArray[np.uint8]:
        """Register index [0..n) active at each interval start [UTC epoch s] (vectorised)."""
        t = np.asarray(start_s, dtype=np.int64)
        table = np.asarray((self.initial_register, *self.switch_register), dtype=np.uint8)
        idx = np.searchsorted(np.asarray(self.switch_s, dtype=np.int64), t, side="right")
        out: npt.NDArray[np.uint8] = table[idx]
        return out

    def is_stale(self, start_s: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """True where an interval starts at or after ``valid_until_s``."""
        return np.asarray(start_s, dtype=np.int64) >= self.valid_until_s

    @classmethod
    def daily(cls, register_names: Sequence[str], windows: Sequence[tuple[int, int]], *,
              utc_offset_s: int, from_s: int, days: int) -> TouSchedule:
        """Expand local daily windows with a fixed offset into UTC switch times.

        ``windows`` are ``(local_minute_of_day, register)`` pairs, the register active from
        that local minute on; ``utc_offset_s`` is local minus UTC [s] (e.g. -28800 for PST);
        ``from_s`` [UTC epoch s] is the UTC instant of a local midnight; ``days`` how many.
        """
        if not windows:
            raise InputError("a daily TOU pattern needs at least one window", where="windows")
        ordered = sorted(windows)
        minutes = [m for m, _ in ordered]
        if len(set(minutes)) != len(minutes) or not all(0 <= m < 1440 for m in minutes):
            raise InputError("window minutes must be distinct and in 0..1439", where="windows")
        if (from_s + utc_offset_s) % S_PER_DAY:
            raise InputError(f"from_s {from_s} is not a local midnight at offset "
                             f"{utc_offset_s} s", where="from_s")
        switch_s: list[int] = []
        switch_register: list[int] = []
        for day in range(days):
            for minute, reg in ordered:
                switch_s.append(from_s + day * S_PER_DAY + minute * 60)
                switch_register.append(reg)
        return cls(register_names=tuple(register_names), initial_register=ordered[-1][1],
                   switch_s=tuple(switch_s), switch_register=tuple(switch_register),
                   valid_until_s=from_s + days * S_PER_DAY)
