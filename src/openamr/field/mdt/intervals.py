"""Interval records: what the MDT keeps for each 15-minute interval.

An interval is half-open ``[start_s, start_s + 900)`` in the MDT's own clock [UTC epoch s],
aligned to the hour (:func:`openamr.timeutil.align_down_s`) and labelled by its start.  Each
record carries a per-MDT sequence number ``seq`` (contiguous, never reused, kept across
restarts), ``energy_wh`` (accepted pulses × Kh, an integer) and :class:`IntervalFlag` bits; by
variant also the TOU register it accrued to with the registers' running totals, and a
temperature.

:class:`IntervalBatch` is the columnar form (numpy arrays) the buffer stores and serves;
:class:`IntervalRecord` is one row of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.frames import RECORD_DTYPE, IntervalFlag
from openamr.frames.codec import NO_TEMPERATURE

__all__ = ["NO_TOU_REGISTER", "IntervalBatch", "IntervalFlag", "IntervalRecord"]

NO_TOU_REGISTER = 255
"""``tou_register`` of an interval that accrued to no TOU register (a variant without TOU)."""


@dataclass(frozen=True)
class IntervalRecord:
    """One closed interval.

    ``tou_register_wh`` are the running totals [Wh] of every TOU register after this interval
    (empty without TOU); ``temperature_c`` [°C] is NaN when the variant records none.
    """

    seq: int
    start_s: int
    energy_wh: int
    flags: IntervalFlag
    tou_register: int = NO_TOU_REGISTER
    tou_register_wh: tuple[int, ...] = ()
    temperature_c: float = float("nan")


@dataclass(frozen=True)
class IntervalBatch:
    """Interval records of one MDT as columns (numpy arrays of equal length, in ``seq`` order).

    ``tou_register_wh`` has shape ``(n, n_registers)`` (``n_registers`` may be 0).
    """

    seq: npt.NDArray[np.int64]
    start_s: npt.NDArray[np.int64]
    energy_wh: npt.NDArray[np.int64]
    flags: npt.NDArray[np.uint16]
    tou_register: npt.NDArray[np.uint8]
    tou_register_wh: npt.NDArray[np.int64]
    temperature_c: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return int(self.seq.size)

    def wire_records(self) -> npt.NDArray[np.void]:
        """The batch packed as on the wire (:data:`openamr.frames.RECORD_DTYPE`: seq, start,
        energy, flags, temperature in 0.01 °C with -32768 for none), one row per record: a
        report's records are a slice of it (``.tobytes()``)."""
        table = np.empty(len(self), dtype=RECORD_DTYPE)
        table["seq"] = self.seq
        table["start_s"] = self.start_s
        table["energy_wh"] = self.energy_wh
        table["flags"] = self.flags
        t = np.asarray(self.temperature_c, dtype=np.float64)
        table["temperature"] = np.where(np.isfinite(t), np.rint(np.nan_to_num(t) * 100.0),
                                        NO_TEMPERATURE)
        return table

    def records(self) -> list[IntervalRecord]:
        """The batch as a list of :class:`IntervalRecord` (for frames and tests)."""
        return [
            IntervalRecord(seq=int(self.seq[i]), start_s=int(self.start_s[i]),
                           energy_wh=int(self.energy_wh[i]),
                           flags=IntervalFlag(int(self.flags[i])),
                           tou_register=int(self.tou_register[i]),
                           tou_register_wh=tuple(int(v) for v in self.tou_register_wh[i]),
                           temperature_c=float(self.temperature_c[i]))
            for i in range(len(self))
        ]

    @classmethod
    def empty(cls, n_registers: int = 0) -> IntervalBatch:
        """A batch with no records."""
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                   np.zeros(0, np.uint16), np.zeros(0, np.uint8),
                   np.zeros((0, n_registers), np.int64), np.zeros(0, np.float32))
