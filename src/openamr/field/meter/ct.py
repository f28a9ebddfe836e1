"""Current transformer (CT) model: ratio error and phase error, optionally current-dependent.

Model (reference metrology §5.3)::

    i_s(t) = (1/N) · (1 + ε(I)) · i_p(t + δ(I)/ω)

``ε`` is the ratio error (a ratio, −0.003 = −0.3 %), ``δ`` the phase error [deg], positive when
the secondary *leads* the primary (the usual sign for CTs).  Both may vary with the primary
current ``I`` [A rms]: they are piecewise-linear in log10(I) between the points of a table and
held constant beyond its ends.  An IoTaWatt-style step table (``p60 = [φ0, I1, φ1, I2, φ2 ...]``:
φ0 below I1, φ1 from I1 to I2 ...) can be loaded with :meth:`CT.from_iotawatt`.

The meter may compensate part of the phase error (ADE PHCAL, emonLib PHASECAL): the *net* lead
seen by the energy calculation is ``δ(I) − phase_compensation_deg``.  Everything here is referred
to the primary: the model returns primary amperes with the error applied (the turns ratio only
matters to the secondary-current rating, see :class:`openamr.field.meter.catalogue.MeterModel`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError

__all__ = ["CT", "ErrorTable"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ErrorTable:
    """A table of CT error against primary current, interpolated in log10(current).

    ``current_a`` must be strictly increasing and positive; ``values`` has the same length.
    With ``steps=True`` the table is a staircase: ``values[k]`` holds from ``current_a[k]`` up to
    the next point, and ``values[0]`` also below the first point.
    """

    current_a: tuple[float, ...]
    values: tuple[float, ...]
    steps: bool = False

    def __post_init__(self) -> None:
        if len(self.current_a) != len(self.values) or not self.current_a:
            raise InputError("CT error table needs as many values as currents (at least one)",
                             where="ct.table")
        cur = np.asarray(self.current_a, dtype=float)
        if np.any(cur <= 0) or np.any(np.diff(cur) <= 0):
            raise InputError("CT error table currents must be positive and increasing",
                             where="ct.table")

    def __call__(self, current_a: npt.ArrayLike) -> FloatArray:
        """Table value at ``current_a`` [A] (array or scalar)."""
        cur = np.abs(np.asarray(current_a, dtype=float))
        xs = np.asarray(self.current_a, dtype=float)
        ys = np.asarray(self.values, dtype=float)
        if self.steps:
            idx = np.searchsorted(xs, cur, side="right") - 1
            return np.asarray(ys[np.clip(idx, 0, len(ys) - 1)], dtype=float)
        with np.errstate(divide="ignore"):
            log_cur = np.log10(np.maximum(cur, 1e-12))
        return np.asarray(np.interp(log_cur, np.log10(xs), ys), dtype=float)


@dataclass(frozen=True)
class CT:
    """A CT's errors: constant (``ratio_error_pct``, ``phase_error_deg``) or from tables.

    ``phase_error_deg`` is the CT's lead [deg] (positive = secondary leads);
    ``phase_compensation_deg`` is what the meter removes; the net lead is their difference.
    A table, when given, replaces the constant of the same kind.
    """

    ratio_error_pct: float = 0.0
    phase_error_deg: float = 0.0
    phase_compensation_deg: float = 0.0
    ratio_table_pct: ErrorTable | None = None
    phase_table_deg: ErrorTable | None = None

    @classmethod
    def from_iotawatt(cls, p60: list[float], *, ratio_error_pct: float = 0.0,
                      phase_compensation_deg: float = 0.0) -> CT:
        """A CT whose phase lead follows an IoTaWatt ``p60`` list ``[φ0, I1, φ1, I2, φ2 ...]``."""
        if len(p60) % 2 != 1:
            raise InputError("an IoTaWatt phase list has an odd length: [φ0, I1, φ1, ...]",
                             where="ct.p60")
        phases = [float(p60[0])] + [float(x) for x in p60[2::2]]
        currents = [1e-6] + [float(x) for x in p60[1::2]]
        return cls(ratio_error_pct=ratio_error_pct, phase_compensation_deg=phase_compensation_deg,
                   phase_table_deg=ErrorTable(tuple(currents), tuple(phases), steps=True))

    @property
    def is_constant(self) -> bool:
        """True when the errors do not depend on current."""
        return self.ratio_table_pct is None and self.phase_table_deg is None

    def ratio_error_ratio(self, current_a: npt.ArrayLike) -> FloatArray:
        """Ratio error ε at primary current ``current_a`` [A], as a ratio (−0.003 = −0.3 %)."""
        if self.ratio_table_pct is None:
            return np.full(np.shape(current_a), self.ratio_error_pct / 100.0)
        return self.ratio_table_pct(current_a) / 100.0

    def net_phase_lead_deg(self, current_a: npt.ArrayLike) -> FloatArray:
        """Net uncompensated phase lead δ − φ_comp [deg] at primary current ``current_a`` [A]."""
        if self.phase_table_deg is None:
            lead = np.full(np.shape(current_a), self.phase_error_deg)
        else:
            lead = self.phase_table_deg(current_a)
        return lead - self.phase_compensation_deg

    def apply_phasor(self, current_phasor_a: npt.ArrayLike) -> npt.NDArray[np.complex128]:
        """The measured current phasor [A] for a true primary phasor (array or scalar)."""
        phasor = np.asarray(current_phasor_a, dtype=complex)
        mag = np.abs(phasor)
        gain = 1.0 + self.ratio_error_ratio(mag)
        lead_rad = np.radians(self.net_phase_lead_deg(mag))
        return np.asarray(phasor * gain * np.exp(1j * lead_rad), dtype=complex)

    def apply_waveform(self, current_a: npt.ArrayLike, sample_rate_hz: float,
                       frequency_hz: float = 60.0) -> FloatArray:
        """The measured current samples [A] for true primary samples (last axis = time).

        The phase lead becomes a time advance δ/(360·f) applied in the frequency domain, so the
        window is treated as periodic: use an integer number of line cycles for exact results.
        The current-dependent errors are taken at the window's rms current (after DC removal).
        """
        samples = np.asarray(current_a, dtype=float)
        n = samples.shape[-1]
        rms_a = np.sqrt(np.var(samples, axis=-1))
        gain = (1.0 + self.ratio_error_ratio(rms_a))[..., np.newaxis]
        advance_s = (self.net_phase_lead_deg(rms_a) / (360.0 * frequency_hz))[..., np.newaxis]
        spectrum = np.fft.rfft(samples, axis=-1)
        freqs_hz = np.fft.rfftfreq(n, d=1.0 / sample_rate_hz)
        shifted = np.fft.irfft(spectrum * np.exp(2j * np.pi * freqs_hz * advance_s), n=n, axis=-1)
        return np.asarray(shifted * gain, dtype=float)
