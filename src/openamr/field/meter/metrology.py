"""Metrology: element power and energy, as the meter's metering IC computes them.

Three layers (as in pvlib):

1. pure vectorised functions on arrays or scalars: phasor quantities (:func:`element_power_w`,
   :func:`apparent_power_va`, :func:`reactive_power_var`, :func:`power_factor`), sampled
   waveforms (:func:`waveform_power_w`, :func:`rms`, :func:`waveform_energy_wh`), the register
   rule (:func:`register_power_w`) and the supply checks (:func:`supply_in_range`,
   :func:`lcd_on`);
2. parameter objects: :class:`CreepParams` (no-load and starting thresholds) and
   :class:`SupplyParams` (supply range, operating minimum, frequency);
3. an orchestrator, :func:`measure_waveforms`, that turns sampled v/i of one or two elements into
   a :class:`WaveformMeasurement` (energy, P, Vrms, Irms, S, PF, Q) per element and in total.

Choices (see docs/meter-metrology.md):

* DC offset is removed *after the fact* as EmonLibCM does: P = mean(v·i) − mean(v)·mean(i),
  Vrms² = mean(v²) − mean(v)² (the exact equivalent of subtracting each channel's window mean, as
  a metering IC's high-pass filter does in steady state).  Harmonics are kept: P is the total
  active power, all harmonics included, as ADE/ATM metering ICs register it.
* Reactive power from waveforms is the unsigned non-active power sqrt(S² − P²) (it includes
  distortion power); from phasors it is the signed Q = V·I·sin θ (positive when current lags).
  The meter's LCD shows no kvar; Q is for diagnostics only.
* The register accumulates energy from the *net* sum, E += max(P1 + P2, 0)·dt (reference §4.3
  option a, ``mode="net"``); ``mode="element"`` clamps each element (option b).  Before that, an
  element whose |P| is below the no-load threshold contributes nothing (anti-creep).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.units import S_PER_H

__all__ = [
    "DEFAULT_CREEP",
    "DEFAULT_SUPPLY",
    "CreepParams",
    "RegisterMode",
    "SupplyParams",
    "WaveformMeasurement",
    "apparent_power_va",
    "element_power_w",
    "lcd_on",
    "measure_waveforms",
    "power_factor",
    "reactive_power_var",
    "register_power_w",
    "rms",
    "sinusoid",
    "supply_in_range",
    "validate_frequency_hz",
    "validate_load_pf",
    "validate_measured_pf",
    "waveform_energy_wh",
    "waveform_power_w",
    "whole_cycle_window",
]

FloatArray = npt.NDArray[np.float64]
RegisterMode = Literal["net", "element"]


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class CreepParams:
    """No-load (anti-creep) and starting thresholds of the register.

    ``start_current_a`` [A primary] is the starting current: 0.1 % of the 200 A rating (the IEC
    62053-22 class 0.5S figure, 0.001 In), i.e. 0.2 A; at it and above the meter must start and
    keep registering.  The register works on power, so the threshold is expressed per element as
    ``element_noload_w = noload_ratio × nominal_voltage_v × start_current_a`` (18 W by default).
    ``noload_ratio`` 0.75 keeps the threshold strictly between 0.5 × I_start and I_start over the
    whole supply range 102–138 V (it must lie in (0.5·138/120, 102/120) = (0.575, 0.85)).
    """

    start_current_a: float = 0.2
    nominal_voltage_v: float = 120.0
    noload_ratio: float = 0.75

    def __post_init__(self) -> None:
        if self.start_current_a < 0 or self.nominal_voltage_v <= 0 or self.noload_ratio < 0:
            raise InputError("creep parameters must be non-negative (voltage positive)",
                             where="creep")

    @property
    def start_power_w(self) -> float:
        """Power of one element at the starting current, nominal voltage, PF 1 [W]."""
        return self.nominal_voltage_v * self.start_current_a

    @property
    def element_noload_w(self) -> float:
        """An element with |P| below this [W] contributes nothing to the register."""
        return self.noload_ratio * self.start_power_w


@dataclass(frozen=True)
class SupplyParams:
    """Supply limits (manual §3.1) and the operating minimum below which the LCD is off.

    The meter is powered from L1 or L2 to N: it runs while either leg is at or above
    ``operating_min_v`` (an assumption, 85 V: the manual gives only the rated range).  Outside
    ``min_v``..``max_v`` it still runs but reports the supply as out of range.
    """

    min_v: float = 102.0
    max_v: float = 138.0
    nominal_v: float = 120.0
    operating_min_v: float = 85.0
    frequency_min_hz: float = 50.0
    frequency_max_hz: float = 60.0
    frequency_tolerance_hz: float = 0.5


DEFAULT_CREEP = CreepParams()
DEFAULT_SUPPLY = SupplyParams()


# --------------------------------------------------------------------------- validation helpers


def validate_load_pf(pf: npt.ArrayLike, *, where: str = "pf", pf_min: float = 0.5) -> FloatArray:
    """A signed load PF within the rated range pf_min ≤ |pf| ≤ 1, else :class:`InputError`."""
    arr = np.asarray(pf, dtype=float)
    mag = np.abs(arr)
    if np.any(~np.isfinite(arr)) or np.any((mag < pf_min) | (mag > 1.0)):
        raise InputError(f"power factor must satisfy {pf_min} <= |pf| <= 1 (negative = leading); "
                         f"got {pf!r}", where=where)
    return arr


def validate_measured_pf(pf: npt.ArrayLike, *, where: str = "pf") -> FloatArray:
    """A measured (signed) PF within [−1, 1], else :class:`InputError`."""
    arr = np.asarray(pf, dtype=float)
    if np.any(~np.isfinite(arr)) or np.any(np.abs(arr) > 1.0):
        raise InputError(f"a measured power factor lies in [-1, 1]; got {pf!r}", where=where)
    return arr


def validate_frequency_hz(frequency_hz: float, params: SupplyParams = DEFAULT_SUPPLY) -> float:
    """A line frequency [Hz] within the rated 50–60 Hz (± tolerance), else :class:`InputError`."""
    lo = params.frequency_min_hz - params.frequency_tolerance_hz
    hi = params.frequency_max_hz + params.frequency_tolerance_hz
    if not lo <= frequency_hz <= hi:
        raise InputError(f"line frequency {frequency_hz} Hz is outside {lo}..{hi} Hz",
                         where="frequency_hz")
    return float(frequency_hz)


# --------------------------------------------------------------------------- phasor layer


def element_power_w(voltage_v: npt.ArrayLike, current_a: npt.ArrayLike,
                    angle_deg: npt.ArrayLike) -> FloatArray:
    """Active power P = V·I·cos θ [W] of one element; θ = ∠V − ∠I [deg] (positive lagging)."""
    return np.asarray(np.multiply(voltage_v, current_a) * np.cos(np.radians(angle_deg)),
                      dtype=float)


def apparent_power_va(voltage_v: npt.ArrayLike, current_a: npt.ArrayLike) -> FloatArray:
    """Apparent power S = Vrms·Irms [VA]."""
    return np.asarray(np.multiply(voltage_v, current_a), dtype=float)


def reactive_power_var(voltage_v: npt.ArrayLike, current_a: npt.ArrayLike,
                       angle_deg: npt.ArrayLike) -> FloatArray:
    """Signed reactive power Q = V·I·sin θ [var]: positive when current lags (inductive)."""
    return np.asarray(np.multiply(voltage_v, current_a) * np.sin(np.radians(angle_deg)),
                      dtype=float)


def power_factor(power_w: npt.ArrayLike, apparent_va: npt.ArrayLike) -> FloatArray:
    """Signed PF = P/S (negative when P < 0); NaN where S is zero."""
    p = np.asarray(power_w, dtype=float)
    s = np.asarray(apparent_va, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pf = np.where(s > 0, p / np.where(s > 0, s, 1.0), np.nan)
    return np.asarray(np.clip(pf, -1.0, 1.0), dtype=float)


# --------------------------------------------------------------------------- register rule


_CHUNK = 1 << 16
"""Elements per chunk in :func:`register_power_w`: the temporaries stay in the CPU cache."""


def register_power_w(p1_w: npt.ArrayLike, p2_w: npt.ArrayLike = 0.0,
                     mode: RegisterMode = "net",
                     creep: CreepParams = DEFAULT_CREEP) -> FloatArray:
    """Power [W] the consumption-only register accumulates, from element powers P1, P2 [W].

    First the anti-creep rule: an element with |Pk| < ``creep.element_noload_w`` counts as 0
    (so I_start = 0.2 A at 120 V, PF 1 = 24 W registers; 0.5·I_start = 12 W does not).  Then the
    clamp: ``"net"`` (default, reference §4.3 a) gives max(P1 + P2, 0); ``"element"`` (§4.3 b)
    gives max(P1, 0) + max(P2, 0).  A NaN element power counts as 0 (an invalid reading is
    skipped, never registered).  Vectorised and processed in cache-sized chunks, so long arrays
    cost about one read of each input and one write of the result; returns a new array.
    """
    if mode not in ("net", "element"):
        raise InputError(f"register mode must be 'net' or 'element', got {mode!r}", where="mode")
    threshold = creep.element_noload_w
    p1 = np.asarray(p1_w, dtype=np.float64)
    p2 = np.asarray(p2_w, dtype=np.float64)
    shape = np.broadcast_shapes(p1.shape, p2.shape)
    out = np.empty(shape, dtype=np.float64)
    flat_out = out.reshape(-1)
    flat_p1 = p1 if p1.ndim == 0 else np.ascontiguousarray(np.broadcast_to(p1, shape)).reshape(-1)
    flat_p2 = p2 if p2.ndim == 0 else np.ascontiguousarray(np.broadcast_to(p2, shape)).reshape(-1)
    size = flat_out.size
    chunk = min(_CHUNK, max(size, 1))
    tmp = np.empty(chunk, dtype=np.float64)
    mask = np.empty(chunk, dtype=bool)
    element = mode == "element"
    for start in range(0, size, chunk):
        stop = min(start + chunk, size)
        n = stop - start
        o, t, m = flat_out[start:stop], tmp[:n], mask[:n]
        a = flat_p1 if flat_p1.ndim == 0 else flat_p1[start:stop]
        b = flat_p2 if flat_p2.ndim == 0 else flat_p2[start:stop]
        np.abs(a, out=t)
        np.greater_equal(t, threshold, out=m)  # NaN compares False: skipped
        np.logical_not(m, out=m)
        np.copyto(o, a)
        np.copyto(o, 0.0, where=m)
        if element:
            np.maximum(o, 0.0, out=o)
        np.abs(b, out=t)
        np.greater_equal(t, threshold, out=m)
        np.logical_not(m, out=m)
        np.copyto(t, b)
        np.copyto(t, 0.0, where=m)
        if element:
            np.maximum(t, 0.0, out=t)
        o += t
        if not element:
            np.maximum(o, 0.0, out=o)
        o += 0.0  # turn -0.0 into +0.0
    return out


# --------------------------------------------------------------------------- supply checks


def supply_in_range(voltage_v: npt.ArrayLike,
                    params: SupplyParams = DEFAULT_SUPPLY) -> npt.NDArray[np.bool_]:
    """True where a L-N voltage [V] is within the rated supply range (102–138 V)."""
    v = np.asarray(voltage_v, dtype=float)
    return np.asarray((v >= params.min_v) & (v <= params.max_v))


def lcd_on(v1_v: npt.ArrayLike, v2_v: npt.ArrayLike = 0.0,
           params: SupplyParams = DEFAULT_SUPPLY) -> npt.NDArray[np.bool_]:
    """True where the meter is powered: L1 or L2 to N at or above the operating minimum."""
    return np.asarray(np.maximum(np.asarray(v1_v, dtype=float), np.asarray(v2_v, dtype=float))
                      >= params.operating_min_v)


# --------------------------------------------------------------------------- waveform layer


def _mean(x: FloatArray) -> FloatArray:
    return np.asarray(np.mean(x, axis=-1), dtype=np.float64)


def waveform_power_w(voltage_v: npt.ArrayLike, current_a: npt.ArrayLike,
                     remove_offset: bool = True) -> FloatArray:
    """Active power [W] of sampled v and i (last axis = time), DC offsets removed post hoc.

    P = mean(v·i) − mean(v)·mean(i) (EmonLibCM's correction); without ``remove_offset`` it is
    the plain mean(v·i).  Harmonic power is included.
    """
    v = np.asarray(voltage_v, dtype=float)
    i = np.asarray(current_a, dtype=float)
    p = _mean(v * i)
    if remove_offset:
        p = p - _mean(v) * _mean(i)
    return np.asarray(p, dtype=float)


def rms(samples: npt.ArrayLike, remove_offset: bool = True) -> FloatArray:
    """rms value of samples (last axis = time), DC removed post hoc by default."""
    x = np.asarray(samples, dtype=float)
    ms = _mean(x * x)
    if remove_offset:
        ms = ms - _mean(x) ** 2
    return np.asarray(np.sqrt(np.maximum(ms, 0.0)), dtype=float)


def waveform_energy_wh(voltage_v: npt.ArrayLike, current_a: npt.ArrayLike,
                       sample_rate_hz: float, remove_offset: bool = True) -> FloatArray:
    """Energy [Wh] = Σ v[n]·i[n]·Ts over the window (offset-corrected), signed."""
    n = np.shape(voltage_v)[-1]
    power = waveform_power_w(voltage_v, current_a, remove_offset)
    return np.asarray(power * (n / sample_rate_hz) / S_PER_H, dtype=float)


@dataclass(frozen=True)
class WaveformMeasurement:
    """What the metering IC reports for a window of samples, per element and in total.

    Per-element arrays have one entry per element (one for a single element, two for a dual
    element meter).  Totals are the Blondel sums P = P1 + P2 and E = E1 + E2.
    """

    energy_wh: FloatArray
    power_w: FloatArray
    voltage_rms_v: FloatArray
    current_rms_a: FloatArray
    apparent_power_va: FloatArray
    pf: FloatArray
    reactive_power_var: FloatArray
    """Unsigned non-active power sqrt(S² − P²) [var], distortion included."""
    duration_s: float
    total_energy_wh: float
    total_power_w: float


def whole_cycle_window(voltage_v: npt.ArrayLike) -> tuple[int, int, float]:
    """The whole line cycles of a voltage waveform: ``(start, stop, length)``.

    Samples [start, stop) lie between the first and last positive-going zero crossings (DC
    removed); ``length`` is the exact span between the two crossings in samples, interpolated
    linearly, i.e. a whole number of cycles.  Sums over the samples divided by ``length`` give
    cycle means whose residual error is second order (v and v·i are ~0 at a voltage zero
    crossing).  ``(0, n, n)`` when there are fewer than two crossings.
    """
    v = np.asarray(voltage_v, dtype=np.float64)
    centred = v - np.mean(v)
    rising = np.flatnonzero((centred[:-1] < 0.0) & (centred[1:] >= 0.0))
    if rising.size < 2:
        return 0, int(v.size), float(v.size)
    first, last = int(rising[0]), int(rising[-1])

    def crossing(k: int) -> float:
        return k + float(centred[k] / (centred[k] - centred[k + 1]))

    return first + 1, last + 1, crossing(last) - crossing(first)


def sinusoid(rms_value: float, angle_deg: float, frequency_hz: float, sample_rate_hz: float,
             duration_s: float, dc_offset: float = 0.0,
             harmonics: tuple[tuple[int, float, float], ...] = ()) -> FloatArray:
    """Samples of rms·√2·sin(ωt + angle) + dc_offset [V or A] over ``duration_s`` [s].

    ``angle_deg`` is the phasor angle (a current lagging by φ has angle −φ).  ``harmonics`` adds
    (order, rms relative to the fundamental, angle [deg]) terms.  Test-signal helper.
    """
    n = round(sample_rate_hz * duration_s)
    t_s = np.arange(n) / sample_rate_hz
    w = 2.0 * np.pi * frequency_hz
    out = rms_value * np.sqrt(2.0) * np.sin(w * t_s + np.radians(angle_deg))
    for order, rel, ang in harmonics:
        out += rel * rms_value * np.sqrt(2.0) * np.sin(order * w * t_s + np.radians(ang))
    out += dc_offset
    return np.asarray(out, dtype=np.float64)


def _cycle_means(v: FloatArray, i: FloatArray, remove_offset: bool) -> tuple[float, float, float]:
    """P, Vrms, Irms of one element over the whole cycles of its voltage."""
    if remove_offset:
        v = v - np.mean(v)
        i = i - np.mean(i)
    start, stop, length = whole_cycle_window(v)
    vs, cs = v[start:stop], i[start:stop]
    power = float(np.dot(vs, cs)) / length
    v_rms = float(np.sqrt(np.dot(vs, vs) / length))
    i_rms = float(np.sqrt(np.dot(cs, cs) / length))
    return power, v_rms, i_rms


def measure_waveforms(voltage_v: npt.ArrayLike, current_a: npt.ArrayLike,
                      sample_rate_hz: float, remove_offset: bool = True,
                      sync_cycles: bool = False) -> WaveformMeasurement:
    """Measure one element (1-D arrays) or several (2-D arrays, one row per element).

    ``voltage_v`` [V] and ``current_a`` [A] are instantaneous samples at ``sample_rate_hz``
    [Hz]; any rate works, but windows of an integer number of line cycles are exact.  With
    ``sync_cycles`` each element's P and rms values come from the whole cycles between its
    voltage's first and last positive-going zero crossings (:func:`whole_cycle_window`), and the
    energy is that P times the whole window's duration: the partial-cycle ripple error
    disappears (EmonLibCM reports this way).
    """
    v = np.atleast_2d(np.asarray(voltage_v, dtype=float))
    i = np.atleast_2d(np.asarray(current_a, dtype=float))
    if v.shape != i.shape:
        raise InputError(f"voltage and current sample arrays differ in shape: {v.shape} vs "
                         f"{i.shape}", where="samples")
    if sample_rate_hz <= 0 or v.shape[-1] == 0:
        raise InputError("need a positive sample rate and at least one sample",
                         where="sample_rate_hz")
    duration_s = v.shape[-1] / sample_rate_hz
    if sync_cycles and v.ndim == 2:
        rows = [_cycle_means(v[k], i[k], remove_offset) for k in range(v.shape[0])]
        power = np.array([r[0] for r in rows])
        v_rms = np.array([r[1] for r in rows])
        i_rms = np.array([r[2] for r in rows])
    else:
        power = waveform_power_w(v, i, remove_offset)
        v_rms = rms(v, remove_offset)
        i_rms = rms(i, remove_offset)
    apparent = v_rms * i_rms
    energy = power * duration_s / S_PER_H
    return WaveformMeasurement(
        energy_wh=energy,
        power_w=power,
        voltage_rms_v=v_rms,
        current_rms_a=i_rms,
        apparent_power_va=apparent,
        pf=power_factor(power, apparent),
        reactive_power_var=np.sqrt(np.maximum(apparent**2 - power**2, 0.0)),
        duration_s=duration_s,
        total_energy_wh=float(np.sum(energy)),
        total_power_w=float(np.sum(power)),
    )
