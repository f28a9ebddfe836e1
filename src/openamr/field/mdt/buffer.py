"""The MDT's interval log: a ring buffer backed by numpy arrays, for one or many MDTs.

Row ``i`` is one MDT's log of ``depth`` records (default 35 days of 15-minute intervals, 3,360).
Sequence numbers are contiguous per MDT, so record ``seq`` lives in slot ``seq % depth`` and no
index is needed.  The radio takes what is not acknowledged (:meth:`unacknowledged`), the DCAP
acknowledges cumulatively (:meth:`acknowledge`, "everything up to this seq arrived") and asks for
gaps (:meth:`records_in`).  A record overwritten before it was acknowledged is *lost* and counted
in ``lost_count``.

Appending a block of ``k`` intervals for all MDTs at once (:meth:`append_block`) costs a few
numpy slice assignments, whatever the number of MDTs: the fast path of the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.field.mdt.intervals import NO_TOU_REGISTER, IntervalBatch
from openamr.units import INTERVAL_LENGTH_S, S_PER_DAY

__all__ = ["DEFAULT_DEPTH", "IntervalRing", "depth_for_days"]


def depth_for_days(days: float, interval_s: int = INTERVAL_LENGTH_S) -> int:
    """Records in ``days`` days of ``interval_s`` [s] intervals (35 days -> 3,360)."""
    depth = round(days * S_PER_DAY / interval_s)
    if depth < 1:
        raise InputError(f"a log of {days} days holds no interval", where="buffer_days")
    return depth


DEFAULT_DEPTH = depth_for_days(35)
"""Default log depth: 35 days of 15-minute records (Tehama keeps 24 days; we keep more)."""

IntArray = npt.NDArray[np.int64]


@dataclass
class _Rows:
    """Which rows a block goes to and the slots of its records."""

    rows: IntArray | slice
    slots: IntArray | slice  # slots (m, k) fancy index, or one slice shared by all rows


class IntervalRing:
    """Ring buffers of interval records for ``n_devices`` MDTs.

    ``n_registers`` > 0 stores the TOU register running totals per record; ``has_temperature``
    stores a temperature [°C] per record.
    """

    def __init__(self, n_devices: int = 1, depth: int = DEFAULT_DEPTH, *, n_registers: int = 0,
                 has_temperature: bool = False, first_seq: int = 0) -> None:
        if n_devices < 1 or depth < 1:
            raise InputError("an interval log needs at least one MDT and one slot",
                             where="n_devices" if n_devices < 1 else "depth")
        if first_seq < 0:
            raise InputError("sequence numbers start at 0 or above", where="first_seq")
        self.n_devices = n_devices
        self.depth = depth
        self.n_registers = n_registers
        self.has_temperature = has_temperature
        shape = (n_devices, depth)
        # np.zeros maps pages lazily: a large fleet with a short run touches little memory
        self.start_s = np.zeros(shape, np.int64)
        self.energy_wh = np.zeros(shape, np.int32)
        self.flags = np.zeros(shape, np.uint16)
        self.tou_register = np.zeros(shape, np.uint8) if n_registers else None
        self.tou_register_wh = (np.zeros((*shape, n_registers), np.int64)
                                 if n_registers else None)
        self.temperature_c = np.zeros(shape, np.float32) if has_temperature else None
        self.first_seq = np.full(n_devices, first_seq, np.int64)
        self.next_seq = np.full(n_devices, first_seq, np.int64)
        self.acked_seq = np.full(n_devices, first_seq - 1, np.int64)
        self.lost_count = np.zeros(n_devices, np.int64)

    # -- writing -----------------------------------------------------------------------------

    def append_block(self, start_s: npt.ArrayLike, energy_wh: npt.ArrayLike,
                     flags: npt.ArrayLike = 0, *, tou_register: npt.ArrayLike | None = None,
                     tou_register_wh: npt.ArrayLike | None = None,
                     temperature_c: npt.ArrayLike | None = None,
                     rows: npt.ArrayLike | None = None) -> IntArray:
        """Append ``k`` records to each of ``rows`` (default: every MDT); return their first seq.

        ``energy_wh`` has shape ``(m, k)``; ``start_s``, ``flags``, ``tou_register`` and
        ``temperature_c`` broadcast to it (a ``(k,)`` array is shared by all rows);
        ``tou_register_wh`` is ``(m, k, n_registers)`` or ``(k, n_registers)``.
        """
        row_idx = (np.arange(self.n_devices) if rows is None
                   else np.asarray(rows, dtype=np.int64).reshape(-1))
        m = row_idx.size
        energy = np.asarray(energy_wh)
        if energy.ndim == 1:
            energy = energy.reshape(1, -1) if m == 1 else energy.reshape(-1, 1)
        if energy.shape[0] != m:
            raise InputError(f"energy_wh has {energy.shape[0]} rows for {m} MDTs",
                             where="energy_wh")
        k = energy.shape[1]
        first = self.next_seq[row_idx].copy()
        if k == 0:
            return first
        self._count_lost(row_idx, k)
        keep = min(k, self.depth)  # a block longer than the log keeps only its tail
        tail = slice(k - keep, k)
        target = self._target(row_idx, first + (k - keep), keep, all_rows=rows is None)

        def put(arr: npt.NDArray[np.generic] | None, values: npt.ArrayLike, extra: int = 0
                ) -> None:
            if arr is None:
                return
            v = np.asarray(values)
            shape = (m, k, extra) if extra else (m, k)
            if extra:
                v = np.broadcast_to(v, shape)[:, tail, :]
            else:
                v = np.broadcast_to(v, shape)[:, tail]
            if isinstance(target.rows, slice) and isinstance(target.slots, slice):
                arr[target.rows, target.slots] = v
            else:
                arr[np.asarray(target.rows)[:, None], target.slots] = v

        put(self.start_s, start_s)
        put(self.energy_wh, energy)
        put(self.flags, flags)
        if self.tou_register is not None:
            put(self.tou_register, NO_TOU_REGISTER if tou_register is None else tou_register)
        if self.tou_register_wh is not None:
            put(self.tou_register_wh, 0 if tou_register_wh is None else tou_register_wh,
                extra=self.n_registers)
        if self.temperature_c is not None:
            put(self.temperature_c, np.nan if temperature_c is None else temperature_c)
        self.next_seq[row_idx] += k
        return first

    def append_one(self, row: int, start_s: int, energy_wh: int, flags: int = 0, *,
                   tou_register: int = NO_TOU_REGISTER,
                   tou_register_wh: tuple[int, ...] = (),
                   temperature_c: float = float("nan")) -> int:
        """Append one record to MDT ``row``; return its seq."""
        self._count_lost(np.asarray([row]), 1)
        seq = int(self.next_seq[row])
        slot = seq % self.depth
        self.start_s[row, slot] = start_s
        self.energy_wh[row, slot] = energy_wh
        self.flags[row, slot] = flags
        if self.tou_register is not None:
            self.tou_register[row, slot] = tou_register
        if self.tou_register_wh is not None:
            self.tou_register_wh[row, slot, :] = tou_register_wh or 0
        if self.temperature_c is not None:
            self.temperature_c[row, slot] = temperature_c
        self.next_seq[row] = seq + 1
        return seq

    def _count_lost(self, row_idx: IntArray, k: int) -> None:
        nxt = self.next_seq[row_idx]
        lo = np.maximum.reduce([nxt - self.depth, self.first_seq[row_idx],
                                self.acked_seq[row_idx] + 1])
        hi = nxt + k - self.depth
        self.lost_count[row_idx] += np.maximum(hi - lo, 0)

    def _target(self, row_idx: IntArray, first_seq: IntArray, k: int, *, all_rows: bool
                ) -> _Rows:
        slot0 = first_seq % self.depth
        if all_rows and np.all(slot0 == slot0[0]) and slot0[0] + k <= self.depth:
            s0 = int(slot0[0])
            return _Rows(slice(None), slice(s0, s0 + k))
        slots = (slot0[:, None] + np.arange(k)) % self.depth
        return _Rows(row_idx, slots)

    # -- reading -----------------------------------------------------------------------------

    def oldest_seq(self, row: int = 0) -> int:
        """The oldest seq still held by MDT ``row`` (== ``next_seq`` when empty)."""
        return int(max(self.first_seq[row], self.next_seq[row] - self.depth))

    def records_in(self, row: int, seq_from: int, seq_to: int) -> IntervalBatch:
        """Records ``seq_from..seq_to`` (inclusive) still held by MDT ``row``, in seq order.

        Records already overwritten, or not yet written, are absent: the caller compares.
        """
        lo = max(seq_from, self.oldest_seq(row))
        hi = min(seq_to, int(self.next_seq[row]) - 1)
        if hi < lo:
            return IntervalBatch.empty(self.n_registers)
        seq = np.arange(lo, hi + 1, dtype=np.int64)
        slots = seq % self.depth
        n = seq.size
        return IntervalBatch(
            seq=seq,
            start_s=self.start_s[row, slots].astype(np.int64),
            energy_wh=self.energy_wh[row, slots].astype(np.int64),
            flags=self.flags[row, slots].astype(np.uint16),
            tou_register=(self.tou_register[row, slots].copy() if self.tou_register is not None
                          else np.full(n, NO_TOU_REGISTER, np.uint8)),
            tou_register_wh=(self.tou_register_wh[row, slots, :].copy()
                              if self.tou_register_wh is not None
                              else np.zeros((n, 0), np.int64)),
            temperature_c=(self.temperature_c[row, slots].copy()
                           if self.temperature_c is not None
                           else np.full(n, np.nan, np.float32)),
        )

    def records_since(self, row: int, seq: int) -> IntervalBatch:
        """Records after ``seq`` (exclusive) still held by MDT ``row``."""
        return self.records_in(row, seq + 1, int(self.next_seq[row]) - 1)

    def unacknowledged(self, row: int = 0) -> IntervalBatch:
        """Records held and not yet acknowledged, oldest first."""
        return self.records_since(row, int(self.acked_seq[row]))

    def acknowledge(self, row: int, up_to_seq: int) -> None:
        """Cumulative acknowledgement: every record up to ``up_to_seq`` arrived.

        An acknowledgement below the current one changes nothing; one beyond the last written
        record is refused (it would acknowledge records the MDT has not made).
        """
        if up_to_seq >= self.next_seq[row]:
            raise InputError(f"acknowledgement of seq {up_to_seq} but the last record is "
                             f"{int(self.next_seq[row]) - 1}", where="up_to_seq")
        self.acked_seq[row] = max(int(self.acked_seq[row]), up_to_seq)

    def acknowledge_all(self, up_to_seq: npt.ArrayLike) -> None:
        """Vectorised :meth:`acknowledge` for every MDT (``up_to_seq`` per row)."""
        up = np.broadcast_to(np.asarray(up_to_seq, dtype=np.int64), self.acked_seq.shape)
        if np.any(up >= self.next_seq):
            raise InputError("acknowledgement beyond the last record", where="up_to_seq")
        np.maximum(self.acked_seq, up, out=self.acked_seq)

    def pending_count(self) -> IntArray:
        """Per MDT: records held and not acknowledged."""
        oldest = np.maximum(self.first_seq, self.next_seq - self.depth)
        out: IntArray = self.next_seq - np.maximum(oldest, self.acked_seq + 1)
        return np.maximum(out, 0)

    # -- persistence -------------------------------------------------------------------------

    def to_state(self) -> dict[str, object]:
        """Everything the log keeps in flash (copies of the arrays)."""
        state: dict[str, object] = {
            "depth": self.depth, "n_registers": self.n_registers,
            "has_temperature": self.has_temperature,
            "first_seq": self.first_seq.copy(), "next_seq": self.next_seq.copy(),
            "acked_seq": self.acked_seq.copy(), "lost_count": self.lost_count.copy(),
            "start_s": self.start_s.copy(), "energy_wh": self.energy_wh.copy(),
            "flags": self.flags.copy(),
        }
        if self.tou_register is not None and self.tou_register_wh is not None:
            state["tou_register"] = self.tou_register.copy()
            state["tou_register_wh"] = self.tou_register_wh.copy()
        if self.temperature_c is not None:
            state["temperature_c"] = self.temperature_c.copy()
        return state

    @classmethod
    def from_state(cls, state: dict[str, object]) -> IntervalRing:
        """Inverse of :meth:`to_state`."""
        start_s = np.asarray(state["start_s"], dtype=np.int64)
        ring = cls(start_s.shape[0], int(state["depth"]),  # type: ignore[call-overload]
                   n_registers=int(state["n_registers"]),  # type: ignore[call-overload]
                   has_temperature=bool(state["has_temperature"]))
        for name in ("first_seq", "next_seq", "acked_seq", "lost_count", "start_s",
                     "energy_wh", "flags", "tou_register", "tou_register_wh",
                     "temperature_c"):
            if name in state and getattr(ring, name) is not None:
                getattr(ring, name)[...] = np.asarray(state[name])
        return ring
