"""Many MDTs at once: pulse counts per interval -> interval records, vectorised across MDTs.

The simulator's fast path.  :class:`MdtFleet` holds, for ``n_devices`` MDTs of one model, the
interval log (:class:`~openamr.field.mdt.buffer.IntervalRing`), the running totals and the TOU
registers; :meth:`MdtFleet.append_counts` turns a block of pulse counts (MDTs × intervals, e.g.
from the meter's ``outputs.pulse_counts_per_interval``) into interval records in a handful of
numpy operations.  The single :class:`~openamr.field.mdt.device.Mdt` stores its intervals
through a fleet of one, so both paths share this code.

The fast path labels intervals by the simulator's UTC: it leaves out the clock drift within an
interval and the state machine (an MDT in the fleet is assumed on); see docs/mdt.md.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.field.mdt.buffer import IntervalRing, depth_for_days
from openamr.field.mdt.intervals import NO_TOU_REGISTER, IntervalFlag
from openamr.field.mdt.pulse_input import PulseInputParams
from openamr.field.mdt.tou import TouSchedule
from openamr.field.mdt.variants import MdtVariant, TemperatureMode, variant_for_model
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["DEFAULT_TOU_REGISTERS", "MdtFleet"]

DEFAULT_TOU_REGISTERS = 4
"""TOU registers a TOU MDT keeps (a schedule may use fewer)."""


class MdtFleet:
    """Interval logs, running totals and TOU registers of ``n_devices`` MDTs of ``model``."""

    def __init__(self, n_devices: int, model: str = "MMSMT-C02", *,
                 tou: TouSchedule | None = None, buffer_days: float = 35.0,
                 pulse: PulseInputParams | None = None,
                 n_tou_registers: int = DEFAULT_TOU_REGISTERS, first_seq: int = 0,
                 interval_s: int = INTERVAL_LENGTH_S,
                 temperature_mode: TemperatureMode | None = None) -> None:
        self.variant: MdtVariant = variant_for_model(model)
        self.pulse = pulse or PulseInputParams()
        self.interval_s = interval_s
        self.n_tou_registers = n_tou_registers if self.variant.has_tou else 0
        self.tou: TouSchedule | None = None
        self.ring = IntervalRing(
            n_devices, depth_for_days(buffer_days, interval_s),
            n_registers=self.n_tou_registers,
            has_temperature=(self.variant.temperature is not TemperatureMode.NONE
                             and (temperature_mode or self.variant.temperature)
                             is TemperatureMode.PER_INTERVAL),
            first_seq=first_seq)
        self.total_pulses = np.zeros(n_devices, np.int64)
        self.register_wh = np.zeros(n_devices, np.int64)
        self.tou_register_wh = np.zeros((n_devices, self.n_tou_registers), np.int64)
        if tou is not None:
            self.set_tou_schedule(tou)

    @property
    def n_devices(self) -> int:
        """Number of MDTs."""
        return self.ring.n_devices

    @property
    def total_wh(self) -> npt.NDArray[np.int64]:
        """Running total per MDT [Wh]: accepted pulses × Kh."""
        out: npt.NDArray[np.int64] = self.total_pulses * self.pulse.kh_wh
        return out

    def set_tou_schedule(self, tou: TouSchedule) -> None:
        """Install the schedule the DCAP sent (refused by a variant without TOU)."""
        if not self.variant.has_tou:
            raise InputError(f"{self.variant.model} has no TOU registers", where="tou")
        if tou.n_registers > self.n_tou_registers:
            raise InputError(f"schedule uses {tou.n_registers} registers, the MDT has "
                             f"{self.n_tou_registers}", where="register_names")
        self.tou = tou

    def append_counts(self, first_start_s: int, counts: npt.ArrayLike, *,
                      flags: npt.ArrayLike = 0, temperature_c: npt.ArrayLike | None = None,
                      rows: npt.ArrayLike | None = None) -> npt.NDArray[np.int64]:
        """Close ``k`` consecutive intervals from ``first_start_s`` [UTC epoch s] per MDT.

        ``counts`` [pulses] is ``(n, k)`` (or ``(k,)`` for a fleet of one / one row); pulses
        above the input's rate are dropped and flagged ``RATE_LIMITED``.  Returns the first
        seq of the block per row.
        """
        if first_start_s % self.interval_s:
            raise InputError(f"interval start {first_start_s} is not aligned to "
                             f"{self.interval_s} s", where="first_start_s")
        c = np.asarray(counts)
        if c.ndim == 1:
            c = c.reshape(1, -1)
        if c.size and (np.issubdtype(c.dtype, np.floating) and np.any(c != np.floor(c))):
            raise InputError("pulse counts must be whole numbers", where="counts")
        c = c.astype(np.int64)
        if c.size and c.min() < 0:
            raise InputError("pulse counts must not be negative", where="counts")
        row_idx = (np.arange(self.n_devices) if rows is None
                   else np.asarray(rows, dtype=np.int64).reshape(-1))
        if c.shape[0] != row_idx.size:
            raise InputError(f"counts has {c.shape[0]} rows for {row_idx.size} MDTs",
                             where="counts")
        cap = self.pulse.max_pulses_per_interval(self.interval_s)
        overrun = c > cap
        accepted = np.minimum(c, cap)
        self.total_pulses[row_idx] += accepted.sum(axis=1)
        f = np.asarray(flags, dtype=np.uint16) | np.where(
            overrun, np.uint16(IntervalFlag.RATE_LIMITED), np.uint16(0))
        start_s = first_start_s + self.interval_s * np.arange(c.shape[1], dtype=np.int64)
        return self.append_intervals(start_s, accepted * self.pulse.kh_wh, flags=f,
                                     temperature_c=temperature_c, rows=rows)

    def append_intervals(self, start_s: npt.ArrayLike, energy_wh: npt.ArrayLike, *,
                         flags: npt.ArrayLike = 0, temperature_c: npt.ArrayLike | None = None,
                         rows: npt.ArrayLike | None = None) -> npt.NDArray[np.int64]:
        """Store closed intervals (``energy_wh`` [Wh] ``(m, k)``; ``start_s`` ``(k,)`` or
        ``(m, k)``), accruing TOU registers; return the first seq per row.

        The caller has counted the pulses (``total_pulses``); this adds ``energy_wh`` to
        ``register_wh`` and the TOU registers.
        """
        e = np.asarray(energy_wh, dtype=np.int64)
        if e.ndim == 1:
            e = e.reshape(1, -1)
        row_idx = (np.arange(self.n_devices) if rows is None
                   else np.asarray(rows, dtype=np.int64).reshape(-1))
        starts = np.asarray(start_s, dtype=np.int64)
        f = np.broadcast_to(np.asarray(flags, dtype=np.uint16), e.shape).copy()
        self.register_wh[row_idx] += e.sum(axis=1)
        tou_register: npt.NDArray[np.uint8] | None = None
        tou_wh: npt.NDArray[np.int64] | None = None
        if self.n_tou_registers:
            if self.tou is None:
                reg = np.zeros(starts.shape, np.uint8)
                stale = np.ones(starts.shape, bool)
            else:
                reg = self.tou.register_at(starts)
                stale = self.tou.is_stale(starts)
            f |= np.where(np.broadcast_to(stale, e.shape), np.uint16(IntervalFlag.TOU_STALE),
                          np.uint16(0))
            reg_b = np.broadcast_to(reg, e.shape)
            onehot = reg_b[..., None] == np.arange(self.n_tou_registers, dtype=np.uint8)
            tou_wh = np.cumsum(e[..., None] * onehot, axis=1)
            tou_wh += self.tou_register_wh[row_idx][:, None, :]
            if e.shape[1]:
                self.tou_register_wh[row_idx] = tou_wh[:, -1, :]
            tou_register = reg
        temps = None
        if self.ring.has_temperature:
            temps = np.nan if temperature_c is None else temperature_c
        return self.ring.append_block(
            starts, e, f,
            tou_register=NO_TOU_REGISTER if tou_register is None else tou_register,
            tou_register_wh=tou_wh, temperature_c=temps,
            rows=None if rows is None else row_idx)

    def to_state(self) -> dict[str, object]:
        """Totals, registers and the log (kept in flash)."""
        return {"total_pulses": self.total_pulses.copy(), "register_wh": self.register_wh.copy(),
                "tou_register_wh": self.tou_register_wh.copy(), "ring": self.ring.to_state()}

    def restore(self, state: dict[str, object]) -> None:
        """Load :meth:`to_state` into this fleet (same model and size)."""
        ring = state["ring"]
        assert isinstance(ring, dict)
        self.ring = IntervalRing.from_state(ring)
        self.total_pulses[...] = np.asarray(state["total_pulses"])
        self.register_wh[...] = np.asarray(state["register_wh"])
        self.tou_register_wh[...] = np.asarray(state["tou_register_wh"])
