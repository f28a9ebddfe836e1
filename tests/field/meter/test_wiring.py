"""Wiring model: reference metrology §4.2 tables and §7.7 vectors (FLT-1..5, 8, 9, 11)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.field.meter.ct import CT, ErrorTable
from openamr.field.meter.metrology import register_power_w
from openamr.field.meter.wiring import (
    Wiring,
    line_to_line_voltage_v,
    measure_elements,
    measured_element_powers_w,
    wrap_angle_deg,
)

W_TOL = 0.1
PF_TOL = 0.001
DEG_TOL = 0.1
LL_208_10A_W = 10.0 * line_to_line_voltage_v("network")  # 10 A on 208 V: 2078.46 W


def _angle_close(a: float, b: float) -> bool:
    return abs(float(wrap_angle_deg(a - b))) <= DEG_TOL


def _check(m, power_w, pf, angle_deg=None, voltage_v=120.0, current_a=10.0) -> None:  # type: ignore[no-untyped-def]
    assert float(m.power_w) == pytest.approx(power_w, abs=W_TOL)
    assert float(m.voltage_v) == pytest.approx(voltage_v, abs=0.01)
    assert float(m.current_a) == pytest.approx(current_a, abs=0.01)
    if pf is None:
        assert math.isnan(float(m.pf))
    else:
        assert float(m.pf) == pytest.approx(pf, abs=PF_TOL)
    if angle_deg is not None:
        assert _angle_close(float(m.angle_deg), angle_deg)


# --- §4.2 split phase, Load A: 10 A L-N each leg, PF 1 --------------------------------------

SPLIT_PF1 = [
    # wiring, P1, PF1, P2, PF2, Psum
    (Wiring(), 1200, 1.0, 1200, 1.0, 2400),
    (Wiring(ct1="reversed"), -1200, -1.0, 1200, 1.0, 0),
    (Wiring(ct1="reversed", ct2="reversed"), -1200, -1.0, -1200, -1.0, -2400),
    (Wiring(ct1="L2", ct2="L1"), -1200, -1.0, -1200, -1.0, -2400),
    (Wiring(ct1="L2-reversed", ct2="L1-reversed"), 1200, 1.0, 1200, 1.0, 2400),
    (Wiring(ct2="L1"), 1200, 1.0, -1200, -1.0, 0),
    (Wiring(v2="open"), 1200, 1.0, 0, None, 1200),
    (Wiring(v1="L2", v2="L1"), -1200, -1.0, -1200, -1.0, -2400),
]


@pytest.mark.parametrize(("wiring", "p1", "pf1", "p2", "pf2", "psum"), SPLIT_PF1)
def test_split_phase_table(wiring: Wiring, p1: float, pf1: float, p2: float, pf2: float | None,
                           psum: float) -> None:
    e1, e2 = measure_elements("split", 1200, 1200, wiring=wiring)
    _check(e1, p1, pf1)
    _check(e2, p2, pf2, voltage_v=0.0 if wiring.v2 == "open" else 120.0)
    fast1, fast2 = measured_element_powers_w("split", 1200, 1200, wiring=wiring)
    assert float(fast1) == pytest.approx(p1, abs=W_TOL)
    assert float(fast2) == pytest.approx(p2, abs=W_TOL)
    assert float(fast1 + fast2) == pytest.approx(psum, abs=W_TOL)


def test_split_240v_line_to_line_load_same_as_two_legs() -> None:
    # 10 A on a 240 V L-L resistive load = 2400 W: identical results to Load A.
    assert line_to_line_voltage_v("split") == pytest.approx(240.0)
    e1, e2 = measure_elements("split", load_ll_w=10.0 * line_to_line_voltage_v("split"))
    _check(e1, 1200, 1.0, 0.0)
    _check(e2, 1200, 1.0, 0.0)


# --- §4.2 network 120/208 V A-B, Load A ---------------------------------------------------

NETWORK_PF1 = [
    (Wiring(), 1200, 1.0, 0.0, 1200, 1.0),
    (Wiring(ct1="reversed"), -1200, -1.0, 180.0, 1200, 1.0),
    (Wiring(v2="open"), 1200, 1.0, 0.0, 0, None),
    (Wiring(v1="L2", v2="L1"), -600, -0.5, None, -600, -0.5),
]


@pytest.mark.parametrize(("wiring", "p1", "pf1", "theta1", "p2", "pf2"), NETWORK_PF1)
def test_network_table(wiring: Wiring, p1: float, pf1: float, theta1: float | None, p2: float,
                       pf2: float | None) -> None:
    e1, e2 = measure_elements("network", 1200, 1200, wiring=wiring)
    _check(e1, p1, pf1, theta1)
    _check(e2, p2, pf2, voltage_v=0.0 if wiring.v2 == "open" else 120.0)
    fast1, fast2 = measured_element_powers_w("network", 1200, 1200, wiring=wiring)
    assert float(fast1) == pytest.approx(p1, abs=W_TOL)
    assert float(fast2) == pytest.approx(p2, abs=W_TOL)


# --- §7.7 minimum set -----------------------------------------------------------------------


def test_flt1_correct() -> None:
    e1, e2 = measure_elements("split", 1200, 1200)
    _check(e1, 1200, 1.0, 0.0)
    _check(e2, 1200, 1.0, 0.0)
    p1, p2 = measured_element_powers_w("split", 1200, 1200)
    assert float(register_power_w(p1, p2)) == pytest.approx(2400, abs=W_TOL)


def test_flt2_ct1_reversed() -> None:
    e1, e2 = measure_elements("split", 1200, 1200, wiring=Wiring(ct1="reversed"))
    _check(e1, -1200, -1.0, 180.0)
    _check(e2, 1200, 1.0, 0.0)
    p1, p2 = measured_element_powers_w("split", 1200, 1200, wiring=Wiring(ct1="reversed"))
    assert float(register_power_w(p1, p2)) == pytest.approx(0.0, abs=W_TOL)
    assert float(register_power_w(p1, p2, mode="element")) == pytest.approx(1200, abs=W_TOL)


def test_flt3_cts_swapped() -> None:
    w = Wiring(ct1="L2", ct2="L1")
    e1, e2 = measure_elements("split", 1200, 1200, wiring=w)
    _check(e1, -1200, -1.0)
    _check(e2, -1200, -1.0)
    assert float(register_power_w(*measured_element_powers_w("split", 1200, 1200, wiring=w))) \
        == 0.0


def test_flt4_v2_missing() -> None:
    w = Wiring(v2="open")
    _e1, e2 = measure_elements("split", 1200, 1200, wiring=w)
    assert float(e2.voltage_v) == pytest.approx(0.0, abs=0.01)
    assert float(e2.current_a) == pytest.approx(10.0, abs=0.01)
    assert float(e2.power_w) == pytest.approx(0.0, abs=W_TOL)
    p1, p2 = measured_element_powers_w("split", 1200, 1200, wiring=w)
    assert float(register_power_w(p1, p2)) == pytest.approx(1200, abs=W_TOL)


def test_flt5_ct1_reversed_pf05() -> None:
    w = Wiring(ct1="reversed")
    e1, e2 = measure_elements("split", 600, 600, 0.5, 0.5, wiring=w)
    _check(e1, -600, -0.5, -120.0)
    _check(e2, 600, 0.5, 60.0)
    p1, p2 = measured_element_powers_w("split", 600, 600, 0.5, 0.5, wiring=w)
    assert float(p1) == pytest.approx(-600, abs=W_TOL)
    assert float(p2) == pytest.approx(600, abs=W_TOL)
    assert float(register_power_w(p1, p2)) == pytest.approx(0.0, abs=W_TOL)


def test_flt5_v2_open_pf05_registers_half() -> None:
    p1, p2 = measured_element_powers_w("split", 600, 600, 0.5, 0.5, wiring=Wiring(v2="open"))
    assert float(register_power_w(p1, p2)) == pytest.approx(600, abs=W_TOL)


def test_flt8_network_ab_line_to_line() -> None:
    assert pytest.approx(2078.46, abs=0.01) == LL_208_10A_W
    e1, e2 = measure_elements("network", load_ll_w=LL_208_10A_W)
    _check(e1, 1039.23, 0.866, -30.0)
    _check(e2, 1039.23, 0.866, 30.0)


def test_flt9_network_ac_line_to_line() -> None:
    e1, e2 = measure_elements("network-ac", load_ll_w=LL_208_10A_W)
    _check(e1, 1039.23, 0.866, 30.0)
    _check(e2, 1039.23, 0.866, -30.0)


def test_flt11_swapped_and_reversed_is_invisible() -> None:
    w = Wiring(ct1="L2-reversed", ct2="L1-reversed")
    ok1, ok2 = measure_elements("split", 1200, 1200)
    e1, e2 = measure_elements("split", 1200, 1200, wiring=w)
    for a, b in ((ok1, e1), (ok2, e2)):
        for field in ("voltage_v", "current_a", "power_w", "pf", "angle_deg"):
            assert float(getattr(a, field)) == pytest.approx(float(getattr(b, field)), abs=1e-9)


def test_network_ct2_on_l1_registers_a_quarter() -> None:
    # reference §4.3 rule 5: CT2 on L1 in a network service gives 25 %.
    p1, p2 = measured_element_powers_w("network", 1200, 1200, wiring=Wiring(ct2="L1"))
    assert float(p1 + p2) / 2400 == pytest.approx(0.25, abs=1e-9)


def test_single_service_has_no_l2() -> None:
    p1, p2 = measured_element_powers_w("single", np.array([100.0, 200.0]), 999.0)
    np.testing.assert_array_equal(p1, [100.0, 200.0])
    np.testing.assert_array_equal(p2, [0.0, 0.0])
    e1, e2 = measure_elements("single", 1200)
    _check(e1, 1200, 1.0, 0.0)
    assert float(e2.power_w) == 0.0
    with pytest.raises(InputError):
        measure_elements("single", load_ll_w=100.0)


def test_leading_pf_sign_convention() -> None:
    e1, _ = measure_elements("split", 600, 600, -0.5, -0.5)
    _check(e1, 600, 0.5, -60.0)  # current leads: θ negative, measured PF positive (P > 0)


def test_bad_wiring_and_service_are_input_errors() -> None:
    with pytest.raises(InputError, match="ct1"):
        Wiring(ct1="sideways")
    with pytest.raises(InputError, match="service"):
        measured_element_powers_w("delta", 1.0, 1.0)
    with pytest.raises(InputError):
        measured_element_powers_w("network", 1.0, 1.0, 0.0, 1.0, wiring=Wiring(ct2="L1"))


def test_arrays_and_broadcasting() -> None:
    loads = np.linspace(0, 5000, 11)
    p1, p2 = measured_element_powers_w("split", loads, 0.0, wiring=Wiring(ct1="reversed"))
    np.testing.assert_allclose(p1, -loads)
    assert p2.shape == loads.shape
    np.testing.assert_array_equal(p2, 0.0)
    p1, p2 = measured_element_powers_w("network", loads, loads, np.full(11, 0.8), 0.9,
                                       wiring=Wiring(ct2="L1"))
    assert p1.shape == p2.shape == (11,)
    assert isinstance(p1, np.ndarray)


def test_fast_path_returns_new_array() -> None:
    loads = np.array([1.0, 2.0])
    p1, _ = measured_element_powers_w("split", loads, loads)
    p1[0] = 99.0
    assert loads[0] == 1.0


def test_ct_errors_pass_through_wiring() -> None:
    ct = CT(ratio_error_pct=-0.3, phase_error_deg=0.25)
    p1, _p2 = measured_element_powers_w("split", 600, 600, 0.5, 0.5, ct=ct)
    expected = 600 * 0.997 * math.cos(math.radians(60 - 0.25)) / 0.5
    assert float(p1) == pytest.approx(expected, rel=1e-12)
    e1, _ = measure_elements("split", 600, 600, 0.5, 0.5, ct=ct)
    assert float(e1.power_w) == pytest.approx(expected, rel=1e-9)


pf_strategy = st.floats(0.5, 1.0).flatmap(lambda m: st.sampled_from([m, -m]))
wiring_strategy = st.builds(
    Wiring,
    ct1=st.sampled_from(["normal", "reversed", "L2", "L2-reversed"]),
    ct2=st.sampled_from(["normal", "reversed", "L1", "L1-reversed"]),
    v1=st.sampled_from(["connected", "open", "L2"]),
    v2=st.sampled_from(["connected", "open", "L1"]),
)


@settings(max_examples=150, deadline=None)
@given(
    service=st.sampled_from(["split", "network", "network-ac", "single"]),
    load1=st.floats(-30_000, 30_000),
    load2=st.floats(-30_000, 30_000),
    pf1=pf_strategy,
    pf2=pf_strategy,
    wiring=wiring_strategy,
    ct_kind=st.sampled_from(["none", "constant", "table"]),
)
def test_fast_function_agrees_with_phasor_model(service: str, load1: float, load2: float,
                                                pf1: float, pf2: float, wiring: Wiring,
                                                ct_kind: str) -> None:
    ct = {
        "none": None,
        "constant": CT(ratio_error_pct=-0.2, phase_error_deg=0.4, phase_compensation_deg=0.1),
        "table": CT(ratio_table_pct=ErrorTable((1.0, 100.0), (-1.0, -0.1)),
                    phase_table_deg=ErrorTable((1.0, 100.0), (2.0, 0.2))),
    }[ct_kind]
    p1, p2 = measured_element_powers_w(service, load1, load2, pf1, pf2, wiring=wiring, ct=ct)
    e1, e2 = measure_elements(service, load1, load2, pf1, pf2, wiring=wiring, ct=ct)
    assert float(p1) == pytest.approx(float(e1.power_w), abs=1e-6, rel=1e-9)
    assert float(p2) == pytest.approx(float(e2.power_w), abs=1e-6, rel=1e-9)
    for e in (e1, e2):
        if not math.isnan(float(e.pf)):
            assert -1.0 <= float(e.pf) <= 1.0


@settings(max_examples=100, deadline=None)
@given(load1=st.floats(0, 30_000), load2=st.floats(0, 30_000), pf1=pf_strategy, pf2=pf_strategy)
def test_correct_wiring_measures_true_power(load1: float, load2: float, pf1: float,
                                            pf2: float) -> None:
    for service in ("split", "network", "network-ac"):
        p1, p2 = measured_element_powers_w(service, load1, load2, pf1, pf2)
        assert float(p1 + p2) == pytest.approx(load1 + load2, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(load1=st.floats(100, 20_000), load2=st.floats(100, 20_000), pf1=pf_strategy,
       pf2=pf_strategy, wiring=wiring_strategy, lead=st.floats(-1, 1))
def test_phasor_and_sampled_waveform_paths_agree(load1: float, load2: float, pf1: float,
                                                 pf2: float, wiring: Wiring,
                                                 lead: float) -> None:
    """Synthesise each element's v and i from the phasor model, measure them as samples."""
    from openamr.field.meter.metrology import measure_waveforms, sinusoid

    ct = CT(phase_error_deg=lead)
    fs, f = 7680.0, 60.0
    ideal = measure_elements("split", load1, load2, pf1, pf2, wiring=wiring)
    with_ct = measure_elements("split", load1, load2, pf1, pf2, wiring=wiring, ct=ct)
    v_rows, i_rows = [], []
    for k, e in enumerate(ideal, start=1):
        v_angle = 0.0 if wiring.voltage_leg(k) == 1 else 180.0
        angle = 0.0 if math.isnan(float(e.angle_deg)) else float(e.angle_deg)
        v_rows.append(sinusoid(float(e.voltage_v), v_angle, f, fs, 0.1))
        i_rows.append(ct.apply_waveform(
            sinusoid(float(e.current_a), v_angle - angle, f, fs, 0.1), fs, f))
    m = measure_waveforms(np.stack(v_rows), np.stack(i_rows), fs)
    for k, e in enumerate(with_ct):
        assert float(m.power_w[k]) == pytest.approx(float(e.power_w), abs=1e-6 * 240 * 200)
    assert m.total_power_w == pytest.approx(float(with_ct[0].power_w + with_ct[1].power_w),
                                            abs=1e-5 * 240 * 200)
