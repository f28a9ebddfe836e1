"""Metrology: phasor and waveform power, register rule (creep CRP-1..4), supply checks, WAV-1..6."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.field.meter.metrology import (
    DEFAULT_CREEP,
    CreepParams,
    apparent_power_va,
    element_power_w,
    lcd_on,
    measure_waveforms,
    power_factor,
    reactive_power_var,
    register_power_w,
    rms,
    sinusoid,
    supply_in_range,
    validate_frequency_hz,
    validate_load_pf,
    validate_measured_pf,
    waveform_energy_wh,
    waveform_power_w,
    whole_cycle_window,
)

F_HZ = 60.0
FS_HZ = 7680.0  # 128 samples per cycle


def _sines(v_rms: float, i_rms: float, phi_deg: float, f_hz: float = F_HZ,
           fs_hz: float = FS_HZ, duration_s: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    n = round(fs_hz * duration_s)
    t = np.arange(n) / fs_hz
    w = 2 * np.pi * f_hz
    v = v_rms * math.sqrt(2) * np.sin(w * t)
    i = i_rms * math.sqrt(2) * np.sin(w * t - math.radians(phi_deg))
    return v, i


# --- phasor layer ---------------------------------------------------------------------------


def test_phasor_scalars_and_arrays() -> None:
    assert float(element_power_w(120, 10, 60)) == pytest.approx(600)
    np.testing.assert_allclose(element_power_w(120, 10, np.array([0, 60, 90, 180])),
                               [1200, 600, 0, -1200], atol=1e-9)
    assert float(apparent_power_va(120, 10)) == 1200
    assert float(reactive_power_var(120, 10, 30)) == pytest.approx(600)
    assert float(reactive_power_var(120, 10, -30)) == pytest.approx(-600)
    np.testing.assert_allclose(power_factor([600, -1200, 0], [1200, 1200, 0]), [0.5, -1, np.nan])


def test_metersim_conventions() -> None:
    # metersim test_calculator.c: 220 V, 50 A
    assert float(element_power_w(220, 50, 30)) == pytest.approx(9526.28, abs=0.01)
    assert float(reactive_power_var(220, 50, 30)) == pytest.approx(5500, abs=0.01)
    assert float(element_power_w(220, 50, 135)) == pytest.approx(-7778.17, abs=0.01)
    assert float(reactive_power_var(220, 50, 135)) == pytest.approx(7778.17, abs=0.01)


# --- register rule: clamp and creep ---------------------------------------------------------


def test_default_creep_thresholds() -> None:
    assert DEFAULT_CREEP.start_current_a == pytest.approx(0.2)  # 0.1 % of 200 A
    assert DEFAULT_CREEP.start_power_w == pytest.approx(24.0)
    assert DEFAULT_CREEP.element_noload_w == pytest.approx(18.0)


def test_crp1_no_current_at_138v_never_registers() -> None:
    p = element_power_w(138.0, np.zeros(86_400), 0.0)  # 24 h at 1 s, I = 0
    reg = register_power_w(p, p)
    assert float(np.sum(reg)) == 0.0


def test_crp2_noise_current_at_132v_never_registers() -> None:
    rng = np.random.default_rng(7)
    angles = rng.uniform(-180, 180, size=(2, 86_400))
    p = element_power_w(132.0, 0.005, angles)
    assert float(np.max(np.abs(p))) <= 0.66
    assert float(np.sum(register_power_w(p[0], p[1]))) == 0.0


@pytest.mark.parametrize("voltage_v", [102.0, 120.0, 138.0])
def test_crp3_starting_current_registers(voltage_v: float) -> None:
    p = float(element_power_w(voltage_v, DEFAULT_CREEP.start_current_a, 0.0))
    reg = float(register_power_w(p, p))
    assert reg == pytest.approx(2 * p)
    if voltage_v == 120.0:
        assert reg == pytest.approx(48.0)
        # first Kh10 rising edge (5 Wh) after 375 s, a completed pulse every 750 s
        assert 5.0 * 3600 / reg == pytest.approx(375.0)
        assert 10.0 * 3600 / reg == pytest.approx(750.0)
    # one leg only also starts
    assert float(register_power_w(p, 0.0)) == pytest.approx(p)


@pytest.mark.parametrize("voltage_v", [102.0, 120.0, 138.0])
def test_crp4_half_starting_current_does_not_register(voltage_v: float) -> None:
    p = float(element_power_w(voltage_v, 0.5 * DEFAULT_CREEP.start_current_a, 0.0))
    assert float(register_power_w(p, p)) == 0.0
    assert float(register_power_w(p, p, mode="element")) == 0.0


def test_net_and_element_clamps() -> None:
    p1 = np.array([-1200.0, -1200.0, 1200.0, 100.0])
    p2 = np.array([1200.0, -1200.0, 1200.0, -50.0])
    np.testing.assert_array_equal(register_power_w(p1, p2), [0.0, 0.0, 2400.0, 50.0])
    np.testing.assert_array_equal(register_power_w(p1, p2, mode="element"),
                                  [1200.0, 0.0, 2400.0, 100.0])
    assert not np.signbit(register_power_w(p1, p2)).any()
    with pytest.raises(InputError):
        register_power_w(1.0, 1.0, mode="gross")  # type: ignore[arg-type]


def test_register_power_scalar_and_custom_creep() -> None:
    assert float(register_power_w(30.0)) == 30.0
    assert float(register_power_w(float("nan"), 30.0)) == 30.0
    assert register_power_w(np.ones((3, 4)) * 100, 50.0).shape == (3, 4)
    assert float(register_power_w(30.0, creep=CreepParams(start_current_a=1.0))) == 0.0
    with pytest.raises(InputError):
        CreepParams(start_current_a=-1.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e5, 1e5), st.floats(-1e5, 1e5)), min_size=1, max_size=50))
def test_register_power_properties(pairs: list[tuple[float, float]]) -> None:
    p1 = np.array([a for a, _ in pairs])
    p2 = np.array([b for _, b in pairs])
    net = register_power_w(p1, p2)
    per = register_power_w(p1, p2, mode="element")
    assert (net >= 0).all()
    assert (per >= net - 1e-9).all()  # per-element clamp never registers less
    assert (net <= np.maximum(p1 + p2, 0) + 2 * DEFAULT_CREEP.element_noload_w + 1e-9).all()
    big = (np.abs(p1) >= 18) & (np.abs(p2) >= 18)
    np.testing.assert_allclose(net[big], np.maximum(p1 + p2, 0)[big])


# --- supply and validation ------------------------------------------------------------------


def test_supply_range_and_lcd() -> None:
    np.testing.assert_array_equal(supply_in_range([101.9, 102, 120, 138, 138.1]),
                                  [False, True, True, True, False])
    assert bool(lcd_on(0.0, 120.0))  # powered from L2
    assert not bool(lcd_on(50.0, 0.0))
    np.testing.assert_array_equal(lcd_on(np.array([0.0, 90.0]), 0.0), [False, True])


def test_validation_helpers() -> None:
    np.testing.assert_array_equal(validate_load_pf([0.5, -0.5, 1.0]), [0.5, -0.5, 1.0])
    for bad in (0.4, -0.3, 1.01, float("nan")):
        with pytest.raises(InputError):
            validate_load_pf(bad)
    assert float(validate_measured_pf(-1.0)) == -1.0
    with pytest.raises(InputError):
        validate_measured_pf(1.5)
    assert validate_frequency_hz(50.0) == 50.0
    assert validate_frequency_hz(59.97) == 59.97
    with pytest.raises(InputError):
        validate_frequency_hz(400.0)


# --- waveform layer (reference §7.8) --------------------------------------------------------


def test_wav1_pf05() -> None:
    v, i = _sines(120, 10, 60)
    m = measure_waveforms(v, i, FS_HZ)
    assert m.total_energy_wh == pytest.approx(600 / 3600, rel=1e-6)
    assert float(m.power_w[0]) == pytest.approx(600, rel=1e-6)
    assert float(m.pf[0]) == pytest.approx(0.5, abs=1e-9)
    assert float(m.voltage_rms_v[0]) == pytest.approx(120, rel=1e-9)
    assert float(m.current_rms_a[0]) == pytest.approx(10, rel=1e-9)
    assert float(m.reactive_power_var[0]) == pytest.approx(1039.23, abs=0.01)
    assert m.duration_s == 1.0


def test_wav2_pf1() -> None:
    v, i = _sines(120, 10, 0)
    assert float(waveform_energy_wh(v, i, FS_HZ)) == pytest.approx(1200 / 3600, rel=1e-6)


def test_wav4_dc_offset_on_current() -> None:
    v, i = _sines(120, 10, 0)
    m = measure_waveforms(v, i + 0.5, FS_HZ)
    assert float(m.power_w[0]) == pytest.approx(1200, rel=1e-6)
    assert float(m.current_rms_a[0]) == pytest.approx(10, rel=1e-9)  # DC removed
    assert float(rms(i + 0.5, remove_offset=False)) == pytest.approx(math.sqrt(100.25), rel=1e-9)
    # offsets on both channels: the post-hoc correction still gives 1200 W
    assert float(waveform_power_w(v + 3.0, i + 0.5)) == pytest.approx(1200, rel=1e-6)
    assert float(waveform_power_w(v + 3.0, i + 0.5, remove_offset=False)) == pytest.approx(
        1201.5, rel=1e-6)


def test_wav5_asynchronous_sampling_60s() -> None:
    # WAV-5 continues WAV-2/4 (PF 1): 59.97 Hz sampled at 7812.5 Hz for 60 s
    v, i = _sines(120, 10, 0, f_hz=59.97, fs_hz=7812.5, duration_s=60.0)
    e = float(waveform_energy_wh(v, i, 7812.5))
    assert e == pytest.approx(1200 * 60 / 3600, rel=5e-5)


def test_wav5_pf05_matches_exact_integral_not_p_times_t() -> None:
    # At PF 0.5 the 2f ripple of a window that does not hold whole cycles is up to
    # (1 + sin φ)/(2ωT cos φ) = 83 ppm of P·T at 60 s: the summed energy is the exact
    # integral of v·i, which differs from P·T.  Check against the closed form instead.
    f_hz, fs_hz, t_s, phi = 59.97, 7812.5, 60.0, math.radians(60)
    v, i = _sines(120, 10, 60, f_hz=f_hz, fs_hz=fs_hz, duration_s=t_s)
    n = v.size
    k = np.arange(n)
    exact_ws = 1200 * np.sum(np.cos(phi) - np.cos(2 * 2 * np.pi * f_hz * k / fs_hz - phi)) / fs_hz
    e = float(waveform_energy_wh(v, i, fs_hz, remove_offset=False))
    assert e == pytest.approx(exact_ws / 3600, rel=1e-9)
    bound = (1 + math.sin(phi)) / (2 * 2 * np.pi * f_hz * t_s * math.cos(phi))
    assert abs(e / (600 * t_s / 3600) - 1) <= bound * 1.01


@pytest.mark.parametrize("phi_deg", [0.0, 60.0, -60.0])
def test_wav6_one_second_asynchronous_window(phi_deg: float) -> None:
    # WAV-6: fs = 7812.5 Hz, 60 Hz, 1 s (7812 samples): a partial-cycle window, error <= 0.05 %
    v, i = _sines(120, 10, phi_deg, f_hz=60.0, fs_hz=7812.5, duration_s=1.0)
    p = float(waveform_power_w(v, i))
    assert p == pytest.approx(1200 * math.cos(math.radians(phi_deg)), rel=5e-4)


def test_harmonics_are_metered() -> None:
    n = 7680
    t = np.arange(n) / FS_HZ
    w = 2 * np.pi * F_HZ
    v = 120 * math.sqrt(2) * (np.sin(w * t) + 0.05 * np.sin(3 * w * t))
    i = 10 * math.sqrt(2) * (np.sin(w * t - math.pi / 3) + 0.3 * np.sin(3 * w * t - math.pi / 6))
    expected = 1200 * (0.5 + 0.05 * 0.3 * math.cos(math.pi / 6))
    assert float(waveform_power_w(v, i)) == pytest.approx(expected, rel=1e-9)


def test_dual_element_is_sum() -> None:
    v1, i1 = _sines(120, 10, 0)
    v2, i2 = _sines(120, 5, 60)
    m = measure_waveforms(np.stack([v1, -v2]), np.stack([i1, -i2]), FS_HZ)
    assert m.total_power_w == pytest.approx(1200 + 300, rel=1e-9)
    assert m.total_energy_wh == pytest.approx(float(np.sum(m.energy_wh)))


def test_waveform_input_errors() -> None:
    with pytest.raises(InputError):
        measure_waveforms(np.zeros(10), np.zeros(11), FS_HZ)
    with pytest.raises(InputError):
        measure_waveforms(np.zeros(10), np.zeros(10), 0.0)


@settings(max_examples=60, deadline=None)
@given(v_rms=st.floats(90, 140), i_rms=st.floats(0.1, 220), angle=st.floats(-179, 179),
       cycles=st.integers(1, 20), spc=st.sampled_from([32, 64, 128, 256]))
def test_phasor_and_waveform_paths_agree(v_rms: float, i_rms: float, angle: float, cycles: int,
                                         spc: int) -> None:
    fs = spc * F_HZ
    v, i = _sines(v_rms, i_rms, angle, fs_hz=fs, duration_s=cycles / F_HZ)
    m = measure_waveforms(v, i, fs)
    assert float(m.power_w[0]) == pytest.approx(float(element_power_w(v_rms, i_rms, angle)),
                                                abs=1e-6 * v_rms * i_rms)
    assert -1.0 <= float(m.pf[0]) <= 1.0
    assert float(m.pf[0]) == pytest.approx(math.cos(math.radians(angle)), abs=1e-6)


# --- zero-crossing synchronised measurement -------------------------------------------------


@pytest.mark.parametrize(("f_hz", "fs_hz", "duration_s"),
                         [(59.97, 7812.5, 60.0), (59.97, 7812.5, 1.0), (60.0, 7812.5, 1.0),
                          (59.97, 7680.0, 1.0), (50.0, 7812.5, 1.0)])
@pytest.mark.parametrize("phi_deg", [0.0, 60.0, -60.0])
def test_sync_cycles_removes_partial_cycle_error(f_hz: float, fs_hz: float, duration_s: float,
                                                 phi_deg: float) -> None:
    v = sinusoid(120, 0, f_hz, fs_hz, duration_s)
    i = sinusoid(10, -phi_deg, f_hz, fs_hz, duration_s, dc_offset=0.2)
    m = measure_waveforms(v, i, fs_hz, sync_cycles=True)
    p_w = 1200 * math.cos(math.radians(phi_deg))
    assert float(m.power_w[0]) == pytest.approx(p_w, rel=5e-6)
    assert m.total_energy_wh == pytest.approx(p_w * v.size / fs_hz / 3600, rel=5e-6)
    assert float(m.voltage_rms_v[0]) == pytest.approx(120, rel=5e-6)
    assert float(m.current_rms_a[0]) == pytest.approx(10, rel=2e-4)


def test_whole_cycle_window() -> None:
    v = sinusoid(120, 0, 60.0, 7680.0, 1.0)
    start, stop, length = whole_cycle_window(v)
    assert length == pytest.approx(128 * round((stop - start) / 128), abs=1e-6)
    assert whole_cycle_window(np.ones(10)) == (0, 10, 10.0)
    dual = measure_waveforms(np.stack([v, -v]), np.stack([v / 12, -v / 12]), 7680.0,
                             sync_cycles=True)
    assert dual.total_power_w == pytest.approx(2400, rel=1e-6)


def test_sinusoid_helper() -> None:
    x = sinusoid(10, 30, 60.0, 7680.0, 0.5, dc_offset=1.0, harmonics=((3, 0.3, 0.0),))
    assert x.size == 3840
    assert float(np.mean(x)) == pytest.approx(1.0, abs=1e-9)
    assert float(rms(x)) == pytest.approx(10 * math.sqrt(1 + 0.09), rel=1e-9)
