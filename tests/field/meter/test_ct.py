"""CT model: ratio and phase error, current-dependent tables, phasor and waveform application."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.field.meter.ct import CT, ErrorTable
from openamr.field.meter.metrology import waveform_power_w


def test_constant_errors() -> None:
    ct = CT(ratio_error_pct=-0.3, phase_error_deg=0.5, phase_compensation_deg=0.25)
    assert ct.is_constant
    np.testing.assert_allclose(ct.ratio_error_ratio([1.0, 100.0]), [-0.003, -0.003])
    np.testing.assert_allclose(ct.net_phase_lead_deg([1.0, 100.0]), [0.25, 0.25])
    measured = complex(ct.apply_phasor(10 + 0j))
    assert abs(measured) == pytest.approx(9.97)
    assert math.degrees(math.atan2(measured.imag, measured.real)) == pytest.approx(0.25)


def test_table_is_piecewise_linear_in_log_current() -> None:
    table = ErrorTable((1.0, 10.0, 100.0), (1.0, 0.5, 0.25))
    np.testing.assert_allclose(table([0.1, 1.0, math.sqrt(10.0), 10.0, 1000.0]),
                               [1.0, 1.0, 0.75, 0.5, 0.25])
    ct = CT(phase_table_deg=table, ratio_table_pct=ErrorTable((1.0, 100.0), (-1.0, -0.2)))
    assert not ct.is_constant
    assert float(ct.ratio_error_ratio(10.0)) == pytest.approx(-0.006)


def test_iotawatt_step_table() -> None:
    # ECS24200 (200 A): p60 = [0.5, 20, 0.45, 55, 0.40]
    ct = CT.from_iotawatt([0.5, 20, 0.45, 55, 0.40])
    np.testing.assert_allclose(ct.net_phase_lead_deg([1.0, 19.9, 20.0, 54.0, 55.0, 200.0]),
                               [0.5, 0.5, 0.45, 0.45, 0.40, 0.40])
    with pytest.raises(InputError):
        CT.from_iotawatt([0.5, 20])


def test_bad_tables() -> None:
    with pytest.raises(InputError):
        ErrorTable((10.0, 1.0), (0.0, 0.0))
    with pytest.raises(InputError):
        ErrorTable((1.0,), (0.0, 1.0))
    with pytest.raises(InputError):
        ErrorTable((0.0, 1.0), (0.0, 1.0))


@settings(max_examples=40, deadline=None)
@given(lead=st.floats(-3, 3), ratio_pct=st.floats(-2, 2), angle=st.floats(-80, 80),
       i_rms=st.floats(0.5, 200))
def test_waveform_and_phasor_application_agree(lead: float, ratio_pct: float, angle: float,
                                               i_rms: float) -> None:
    ct = CT(ratio_error_pct=ratio_pct, phase_error_deg=lead)
    fs, f = 7680.0, 60.0
    t = np.arange(7680) / fs
    w = 2 * np.pi * f
    v = 120 * math.sqrt(2) * np.sin(w * t)
    i = i_rms * math.sqrt(2) * np.sin(w * t - math.radians(angle))
    p_wave = float(waveform_power_w(v, ct.apply_waveform(i, fs, f)))
    i_phasor = complex(ct.apply_phasor(i_rms * np.exp(-1j * math.radians(angle))))
    p_phasor = (120 * np.conj(i_phasor)).real
    assert p_wave == pytest.approx(p_phasor, rel=1e-9, abs=1e-6)


def test_current_dependent_waveform_uses_rms() -> None:
    ct = CT(ratio_table_pct=ErrorTable((1.0, 100.0), (-1.0, 0.0)))
    fs = 7680.0
    t = np.arange(7680) / fs
    i = 10 * math.sqrt(2) * np.sin(2 * np.pi * 60 * t) + 0.3  # DC does not change the rms used
    out = ct.apply_waveform(i, fs)
    assert float(np.std(out)) == pytest.approx(10 * (1 - 0.005), rel=1e-9)
