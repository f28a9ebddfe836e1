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

from openamr.headend.key_runs import KeyRuns

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
        runs = KeyRuns.of(meter_key)
        t, wh = t_s[runs.order], register_wh[runs.order]
        lasts = [self.last.get(key) for key in runs.keys]
        has = np.array([x is not None for x in lasts], dtype=bool)
        prev_t = runs.previous(t, [x[0] if x is not None else 0 for x in lasts])
        prev_wh = runs.previous(wh, [x[1] if x is not None else 0 for x in lasts])
        # rising strictly in time, not falling in energy: each read passes and moves the mark
        step_ok = (t > prev_t) & (wh >= prev_wh)
        step_ok[runs.starts[~has]] = True
        meter_ok = runs.all_of(step_ok)
        for key, good, end_t, end_wh in zip(runs.keys, meter_ok.tolist(), t[runs.ends].tolist(),
                                            wh[runs.ends].tolist(), strict=True):
            if good:
                self.last[key] = (end_t, end_wh)
        slow = ~runs.to_rows(meter_ok)
        for i, key, ts, w in zip(np.flatnonzero(slow).tolist(), meter_key[slow].tolist(),
                                 t_s[slow].tolist(), register_wh[slow].tolist(), strict=True):
            against = self.check(key, ts, w)
            if against is not None:
                ok[i] = False
                refused[i] = against
        return ok, refused
