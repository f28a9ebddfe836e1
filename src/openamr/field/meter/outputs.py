"""Pulse outputs, the counter output and the load LED (manual §3.2, reference §2.6 and §7).

The isolated outputs Kh = 10, 100 and 1000 Wh/pulse have a 50 % duty cycle *in energy*: ON for
Kh/2 Wh, OFF for Kh/2 Wh ("5 watthours on, 5 watthours off").  Convention (reference §7), with
the residual r = r0 + E (r0 = 0 at power-up, the default phase):

* OFF while r mod Kh < Kh/2, ON while Kh/2 ≤ r mod Kh < Kh;
* rising edges at r = Kh/2, 3Kh/2, …; falling edges (a pulse completed) at r = Kh, 2Kh, …;
* completed pulses = floor(E/Kh), rising edges = floor((E + Kh/2)/Kh), boundary inclusive
  (200 W for 180 s = 10 Wh = exactly one pulse).

``start_on=True`` starts the output in the other phase (r0 = Kh/2).  Each output is a function of
the registered energy only, so it holds its state while no energy accrues (no load, anti-creep,
negative net power).  The load LED is the Kh 10 cycle; the counter output counts one per 100 Wh
or per 1000 Wh, by model.

Counting is done on half-periods: H(r) = floor(r / (Kh/2)) is computed once, exactly
(:func:`~openamr.field.meter.registers.floor_count`); a transition happens each time H steps,
into ON when the new H is odd and into OFF (a pulse completed) when it is even.  Edge times are
found by inverting the cumulative energy (:meth:`EnergyCurve.time_at_energy_ws`), never by
stepping time.

The hot path for many meters is :func:`pulse_counts_per_interval`: completed pulses in each
15-minute interval for an array of meters × steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.field.meter.metrology import RegisterMode, register_power_w
from openamr.field.meter.registers import ENERGY_QUANTUM_WS, EnergyCurve, floor_count
from openamr.units import INTERVAL_LENGTH_S, S_PER_H

__all__ = [
    "KH_WH",
    "LED_KH_WH",
    "OutputResult",
    "PulseOutput",
    "closure_counts_per_interval",
    "completed_pulses",
    "counter_counts",
    "output_is_on",
    "pulse_counts_per_interval",
    "pulse_counts_per_interval_registered",
    "rising_edges",
    "transition_count",
    "transition_times_s",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

KH_WH: tuple[float, float, float] = (10.0, 100.0, 1000.0)
"""The three isolated pulse outputs [Wh/pulse]."""

LED_KH_WH = 10.0
"""The load LED follows the Kh 10 cycle [Wh/cycle]."""


def _r0(kh_wh: float, start_on: bool) -> float:
    return kh_wh / 2.0 if start_on else 0.0


def _half_index(energy_wh: Any, kh_wh: float, start_on: bool) -> Any:
    """H = floor((r0 + E) / (Kh/2)), exact; r0 + E is exact for r0 = 0."""
    half = kh_wh / 2.0
    return floor_count(np.asarray(energy_wh, dtype=np.float64) + _r0(kh_wh, start_on), half)


def _count_odd_or_even(h: Any, h0: int, offset: int) -> Any:
    """Integers in (h0, h] of one parity: floor((h + offset)/2) − floor((h0 + offset)/2)."""
    if isinstance(h, int):
        return (h + offset) // 2 - (h0 + offset) // 2
    return np.floor_divide(h + offset, 2) - (h0 + offset) // 2


def completed_pulses(energy_wh: Any, kh_wh: float, *, start_on: bool = False) -> Any:
    """Pulses completed (falling edges) after ``energy_wh`` [Wh] registered from power-up.

    ``floor(E/Kh)`` for the default phase; ``floor((E + Kh/2)/Kh)`` for ``start_on``.  Scalars
    give an int, arrays an int64 array.
    """
    h = _half_index(energy_wh, kh_wh, start_on)
    return _count_odd_or_even(h, 1 if start_on else 0, 0)


def rising_edges(energy_wh: Any, kh_wh: float, *, start_on: bool = False) -> Any:
    """Rising edges (OFF → ON) after ``energy_wh`` [Wh]: ``floor((E + Kh/2)/Kh)`` by default."""
    h = _half_index(energy_wh, kh_wh, start_on)
    return _count_odd_or_even(h, 1 if start_on else 0, 1)


def output_is_on(energy_wh: Any, kh_wh: float, *, start_on: bool = False) -> Any:
    """Whether the output is ON after ``energy_wh`` [Wh]: Kh/2 ≤ r mod Kh < Kh."""
    h = _half_index(energy_wh, kh_wh, start_on)
    return h % 2 == 1


def counter_counts(energy_wh: Any, wh_per_count: float) -> Any:
    """Counts of the electro-mechanical counter output (1 per 100 Wh or 1000 Wh) [-]."""
    return floor_count(energy_wh, wh_per_count)


def transition_count(energy_wh: float, kh_wh: float, *, start_on: bool = False) -> int:
    """Transitions (rising + falling edges) of a 50 %-duty output after ``energy_wh`` [Wh]."""
    h0 = int(floor_count(_r0(kh_wh, start_on), kh_wh / 2.0))
    return int(_half_index(energy_wh, kh_wh, start_on)) - h0


def transition_times_s(
    curve: EnergyCurve, kh_wh: float, *, start_on: bool = False, limit: int | None = None
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Transitions of a 50 %-duty output over the run: times [s] and the new state.

    Returns ``(times_s, rising)`` in time order; ``rising[k]`` is True for OFF → ON.  Exact for
    the piecewise-constant power of ``curve``: transition k happens when r0 + E = k · Kh/2.
    ``limit`` keeps only the first ``limit`` transitions (memory for very long runs).
    """
    half = kh_wh / 2.0
    r0 = _r0(kh_wh, start_on)
    h0 = int(floor_count(r0, half))
    h1 = h0 + transition_count(curve.register_wh, kh_wh, start_on=start_on)
    if limit is not None:
        h1 = min(h1, h0 + max(0, int(limit)))
    k = np.arange(h0 + 1, h1 + 1, dtype=np.int64)
    # threshold energies in W·s: (k·half − r0)·3600, exact for integer multiples
    energy_ws = (k * half - r0) * S_PER_H
    times = curve.time_at_energy_ws(energy_ws) if k.size else np.empty(0, dtype=np.float64)
    return times, (k % 2 == 1)


@dataclass(frozen=True)
class OutputResult:
    """One 50 %-duty output over a run: counts at once, edge instants computed on demand."""

    kh_wh: float
    """Energy per full on+off cycle [Wh/pulse]."""
    completed: int
    """Completed pulses (falling edges) [-]."""
    rising: int
    """Rising edges [-]."""
    on_at_end: bool
    """State at the end of the run."""
    curve: EnergyCurve = field(repr=False)
    """The registered energy the output follows."""
    start_on: bool = False
    """Power-up phase (False: OFF, residual 0)."""

    @property
    def toggles(self) -> int:
        """Number of transitions (rising + falling) [-]."""
        return self.completed + self.rising

    def toggle_times(self, limit: int | None = None) -> FloatArray:
        """The first ``limit`` (default: all) transition instants, in time order [s]."""
        return transition_times_s(self.curve, self.kh_wh, start_on=self.start_on,
                                  limit=limit)[0]

    @cached_property
    def _edges(self) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        return transition_times_s(self.curve, self.kh_wh, start_on=self.start_on)

    @property
    def toggle_times_s(self) -> FloatArray:
        """Every transition instant, in time order [s from power-up]."""
        return self._edges[0]

    @property
    def rising_times_s(self) -> FloatArray:
        """Instants of the rising edges [s from power-up]."""
        times, rising = self._edges
        return times[rising]

    @property
    def falling_times_s(self) -> FloatArray:
        """Instants of the falling edges (pulse completed) [s from power-up]."""
        times, rising = self._edges
        return times[~rising]


@dataclass(frozen=True)
class PulseOutput:
    """A 50 %-duty isolated pulse output (or the load LED) with its power-up phase."""

    kh_wh: float
    start_on: bool = False

    def run(self, curve: EnergyCurve) -> OutputResult:
        """Counts and state of this output for the registered energy ``curve`` (edge instants
        are computed when first asked for)."""
        energy_wh = curve.register_wh
        return OutputResult(
            kh_wh=self.kh_wh,
            completed=int(completed_pulses(energy_wh, self.kh_wh, start_on=self.start_on)),
            rising=int(rising_edges(energy_wh, self.kh_wh, start_on=self.start_on)),
            on_at_end=bool(output_is_on(energy_wh, self.kh_wh, start_on=self.start_on)),
            curve=curve,
            start_on=self.start_on,
        )


# --------------------------------------------------------------------------------------------
# The hot path: pulse counts per interval for many meters at once


def _interval_energy_ws(
    power_w: FloatArray, step_s: float, interval_s: float, out: FloatArray | None
) -> FloatArray:
    """Energy of each interval [W·s] for power (meters, steps); the last may be partial."""
    meters, steps = power_w.shape
    per = interval_s / step_s
    k = round(per)
    if abs(per - k) < 1e-9 and k >= 1 and steps % k == 0:
        n = steps // k
        # sum over each interval's k steps: one pass over memory, no temporaries; einsum's
        # contiguous sum-of-products loop beats a (meters, n, k) reduction and BLAS gemv, and
        # uses one thread (steady figures on a shared machine)
        energy: FloatArray = np.einsum("ijk->ij", power_w.reshape(meters, n, k))
        if out is not None:
            np.multiply(energy, step_s, out=out)
            return out
        energy *= step_s
        return energy
    # general case: E at interval ends, interpolated inside the step (exact, piecewise linear)
    duration_s = steps * step_s
    ends = np.arange(1, int(np.ceil(duration_s / interval_s - 1e-12)) + 1) * interval_s
    ends = np.minimum(ends, duration_s)
    idx = np.minimum((ends // step_s).astype(np.int64), steps - 1)
    frac_s = ends - idx * step_s
    cum = np.cumsum(power_w, axis=1)
    cum *= step_s
    before = np.where(idx > 0, cum[:, np.maximum(idx - 1, 0)], 0.0)
    e_end = before + power_w[:, idx] * frac_s
    energy_ws: FloatArray = np.diff(e_end, axis=1, prepend=0.0)
    if out is not None:
        out[...] = energy_ws
        return out
    return energy_ws


def pulse_counts_per_interval(
    power_w: Any,
    step_s: float,
    interval_s: float = INTERVAL_LENGTH_S,
    kh_wh: float = 10.0,
    *,
    initial_wh: Any = 0.0,
    chunk_meters: int = 64,
) -> IntArray:
    """Completed pulses per interval for many meters [pulses].

    ``power_w`` has shape (meters, steps) (or (steps,) for one meter; float64, or float32
    widened chunk by chunk): the *registered* power of each step of length ``step_s`` [s]
    (use :func:`pulse_counts_per_interval_registered` to apply the register rule first).
    The result has shape (meters, intervals): completed Kh
    pulses whose falling edge falls in each interval of ``interval_s`` [s] (intervals are
    half-open ``[start, end)`` except that an edge exactly at an interval end belongs to that
    interval, as the residual reaches Kh at its end).  When the run is not a whole number of
    intervals the last one is partial.

    ``initial_wh`` [Wh] is the register at the start (per meter or scalar), so consecutive
    calls chain: counts are the diff of floor((initial + cumulative energy)/Kh).

    Method: interval energies (an ``einsum`` sum over each interval's steps, per chunk of
    meters, when an interval is a whole number of steps), cumulative sum over intervals in W·s
    snapped to the register's grid (:data:`~openamr.field.meter.registers.ENERGY_QUANTUM_WS`),
    one exact floor division, diff.  Memory beyond the result is O(chunk_meters × steps).
    """
    p = np.asarray(power_w)
    if p.dtype != np.float64 and not np.issubdtype(p.dtype, np.floating):
        p = p.astype(np.float64)
    single = p.ndim == 1
    if single:
        p = p[np.newaxis, :]
    if p.ndim != 2:
        raise ValueError("power_w must have shape (meters, steps) or (steps,)")
    if step_s <= 0 or interval_s <= 0 or kh_wh <= 0:
        raise ValueError("step_s, interval_s and kh_wh must be positive")
    meters, steps = p.shape
    n_int = int(np.ceil(steps * step_s / interval_s - 1e-12))
    initial = np.broadcast_to(np.asarray(initial_wh, dtype=np.float64), (meters,))
    counts = np.empty((meters, n_int), dtype=np.int64)
    chunk = max(1, int(chunk_meters))
    cum_wh = np.empty((min(chunk, meters), n_int + 1), dtype=np.float64)
    for start in range(0, meters, chunk):
        stop = min(start + chunk, meters)
        rows = stop - start
        # float32 (or other float) input is widened chunk by chunk: no full-size copy
        rows_w = np.ascontiguousarray(p[start:stop], dtype=np.float64)
        energy_ws = _interval_energy_ws(rows_w, step_s, interval_s, None)
        buf = cum_wh[:rows]
        buf[:, 0] = 0.0
        np.cumsum(energy_ws, axis=1, out=buf[:, 1:])
        buf *= 1.0 / ENERGY_QUANTUM_WS  # snap to the register's binary grid (exact)
        np.rint(buf, out=buf)
        buf *= ENERGY_QUANTUM_WS
        buf /= S_PER_H
        buf += initial[start:stop, np.newaxis]
        whole = floor_count(buf, kh_wh)
        np.subtract(whole[:, 1:], whole[:, :-1], out=counts[start:stop])
    return counts[0] if single else counts


def closure_counts_per_interval(
    power_w: Any,
    step_s: float,
    interval_s: float = INTERVAL_LENGTH_S,
    kh_wh: float = 10.0,
    *,
    chunk_meters: int = 64,
) -> IntArray:
    """Closures (rising edges, OFF → ON) of a Kh output per interval, for many meters [pulses].

    What a pulse input wired to the output counts (the MDT counts a pulse when the contact
    closes, :mod:`openamr.field.mdt.pulse_input`), where :func:`pulse_counts_per_interval` counts
    completed pulses (falling edges).  With the output OFF at power-up, closure k comes when the
    register reaches (k − ½)·Kh, so the counts are :func:`pulse_counts_per_interval` of a register
    that starts at Kh/2: ``floor((E + Kh/2)/Kh)`` per boundary, differenced (as
    :func:`rising_edges`).  Same shapes, units and interval convention.
    """
    return pulse_counts_per_interval(power_w, step_s, interval_s, kh_wh,
                                     initial_wh=kh_wh / 2.0, chunk_meters=chunk_meters)


def pulse_counts_per_interval_registered(
    p1_w: Any,
    p2_w: Any,
    step_s: float,
    interval_s: float = INTERVAL_LENGTH_S,
    kh_wh: float = 10.0,
    *,
    mode: RegisterMode = "net",
    initial_wh: Any = 0.0,
    chunk_meters: int = 64,
) -> IntArray:
    """Like :func:`pulse_counts_per_interval`, from the two measured element powers [W].

    The register rule of the meter (negative-power clamp, anti-creep/starting threshold:
    :func:`openamr.field.meter.metrology.register_power_w` with ``mode``) is applied chunk by
    chunk, so peak memory stays O(chunk_meters × steps).
    """
    a = np.asarray(p1_w, dtype=np.float64)
    b = np.asarray(p2_w, dtype=np.float64)
    single = a.ndim == 1
    if single:
        a, b = a[np.newaxis, :], b[np.newaxis, :]
    meters = a.shape[0]
    initial = np.broadcast_to(np.asarray(initial_wh, dtype=np.float64), (meters,))
    parts = []
    chunk = max(1, int(chunk_meters))
    for start in range(0, meters, chunk):
        stop = min(start + chunk, meters)
        registered = np.asarray(register_power_w(a[start:stop], b[start:stop], mode=mode),
                                dtype=np.float64)
        parts.append(pulse_counts_per_interval(
            registered, step_s, interval_s, kh_wh,
            initial_wh=initial[start:stop], chunk_meters=chunk))
    counts = np.concatenate(parts, axis=0)
    return counts[0] if single else counts
