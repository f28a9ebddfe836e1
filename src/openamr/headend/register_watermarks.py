"""Register watermarks: the newest register read of each meter, against which the next one is
checked (a cumulative register must not run backwards: ``register_decreased``).

``RegisterWatermarks.check`` takes one read; ``check_many`` a batch's reads on columns: a meter
whose reads all rise after its watermark is settled at once, the others read by read with
``check``, in arrival order (the same answers as ``check`` of each in turn).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["RegisterWatermarks"]


@dataclass
class RegisterWatermarks:
    """Meter key -> ``(t_s [UTC epoch s], register_wh [Wh])`` of its newest accepted read."""

    last: dict[int, tuple[int, int]] = field(default_factory=dict)

    def check(self, meter_key: int, t_s: int, register_wh: int) -> tuple[int, int] | None:
        """``None`` if the read fits the meter's watermark (which then moves to it, if it is
        not older), else the watermark ``(t_s, register_wh)`` it contradicts: a lower
        register later, or a higher one earlier.  A refused read changes nothing."""
        last = self.last.get(meter_key)
        if last is not None:
            last_t, last_wh = last
            if (t_s > last_t and register_wh < last_wh) or (t_s < last_t
                                                             and register_wh > last_wh):
                return last
        if last is None or t_s >= last[0]:
            self.last[meter_key] = (t_s, register_wh)
        return None

    def check_many(self, meter_key: npt.NDArray[np.int64], t_s: npt.NDArray[np.int64],
                   register_wh: npt.NDArray[np.int64]
                   ) -> tuple[npt.NDArray[np.bool_], dict[int, tuple[int, int]]]:
        """:meth:`check` of each read in turn (arrays in arrival order): ``(ok, refused)``,
        ``refused`` mapping the index of each refused read to the watermark it contradicts."""
        n = len(meter_key)
        ok = np.ones(n, dtype=bool)
        refused: dict[int, tuple[int, int]] = {}
        if n == 0:
            return ok, refused
        order = np.argsort(meter_key, kind="stable")
        k, t, wh = meter_key[order], t_s[order], register_wh[order]
        first = np.ones(n, dtype=bool)
        first[1:] = k[1:] != k[:-1]
        starts = np.flatnonzero(first)
        keys = k[starts].tolist()
        lasts = [self.last.get(key) for key in keys]
        has = np.array([x is not None for x in lasts], dtype=bool)
        prev_t = np.empty(n, dtype=np.int64)
        prev_wh = np.empty(n, dtype=np.int64)
        prev_t[1:], prev_wh[1:] = t[:-1], wh[:-1]
        prev_t[starts] = [x[0] if x is not None else 0 for x in lasts]
        prev_wh[starts] = [x[1] if x is not None else 0 for x in lasts]
        # rising strictly in time, not falling in energy: each read passes and moves the mark
        step_ok = (t > prev_t) & (wh >= prev_wh)
        step_ok[starts[~has]] = True
        meter_ok = np.logical_and.reduceat(step_ok, starts)
        ends = np.append(starts[1:], n) - 1
        for key, good, end_t, end_wh in zip(keys, meter_ok.tolist(), t[ends].tolist(),
                                            wh[ends].tolist(), strict=True):
            if good:
                self.last[key] = (end_t, end_wh)
        slow = np.empty(n, dtype=bool)
        slow[order] = ~np.repeat(meter_ok, np.diff(np.append(starts, n)))
        for i, key, ts, w in zip(np.flatnonzero(slow).tolist(), meter_key[slow].tolist(),
                                 t_s[slow].tolist(), register_wh[slow].tolist(), strict=True):
            against = self.check(key, ts, w)
            if against is not None:
                ok[i] = False
                refused[i] = against
        return ok, refused
