"""Accuracy testing through the model (reference metrology §7.4, §5.3)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.field.meter.accuracy import (
    ansi_test_points,
    phase_error_from_pf05_error_deg,
    phase_error_registration_pct,
    point_registration,
    run_accuracy_test,
)
from openamr.field.meter.ct import CT, ErrorTable


def test_points_and_limits() -> None:
    points = {p.name: p for p in ansi_test_points(30.0)}
    assert list(points) == ["FL", "LL", "PF_lag", "PF_lead", "2A_PF1", "2A_PF0.5",
                            "200A_PF1", "200A_PF0.5"]
    assert (points["FL"].current_a, points["FL"].pf, points["FL"].limit_pct) == (30.0, 1.0, 0.5)
    assert points["LL"].current_a == pytest.approx(3.0)
    assert (points["PF_lag"].pf, points["PF_lag"].limit_pct) == (0.5, 0.75)
    assert points["PF_lead"].pf == -0.5


@pytest.mark.parametrize("ta_a", [20.0, 30.0, 100.0, 200.0])
def test_ideal_model_registers_100(ta_a: float) -> None:
    report = run_accuracy_test(ta_a)
    for p in report.points:
        assert p.registration_pct == pytest.approx(100.0, abs=0.01)
        assert p.passed
        assert p.pulses == 400
    assert report.passed


def test_acc_table_true_powers_and_periods() -> None:
    # ACC-LL20: 2 A, PF 1 -> 480 W, Kh10 period 75 s; ACC-PF20: 20 A PF 0.5 -> 2400 W, 15 s
    report = run_accuracy_test(20.0)
    ll = report.point("LL")
    assert ll.true_power_w == pytest.approx(480.0)
    assert ll.duration_s == pytest.approx(400 * 75.0)
    pf = report.point("PF_lag")
    assert pf.true_power_w == pytest.approx(2400.0)
    assert pf.duration_s == pytest.approx(400 * 15.0)
    assert report.point("200A_PF1").true_power_w == pytest.approx(48_000.0)


def test_phase_error_injection_025_deg() -> None:
    report = run_accuracy_test(100.0, ct_phase_error_deg=0.25)
    lag = report.point("PF_lag").registration_pct
    lead = report.point("PF_lead").registration_pct
    assert lag - 100 == pytest.approx(0.755, abs=0.0005)
    assert lead - 100 == pytest.approx(-0.757, abs=0.0005)
    assert not report.point("PF_lag").passed  # 0.25 deg already reaches the 0.75 % limit
    assert report.point("FL").registration_pct == pytest.approx(100.0, abs=0.001)
    assert report.point("FL").passed


@pytest.mark.parametrize(("delta_deg", "error_pct"),
                         [(0.1, 0.302), (0.5, 1.508), (1.0, 3.008), (2.3, 6.87)])
def test_phase_error_figures(delta_deg: float, error_pct: float) -> None:
    report = run_accuracy_test(30.0, ct_phase_error_deg=delta_deg)
    assert report.point("PF_lag").registration_pct - 100 == pytest.approx(error_pct, abs=0.005)


@settings(max_examples=50, deadline=None)
@given(delta=st.floats(-2, 2), pf=st.sampled_from([0.5, -0.5, 0.8, -0.8, 1.0]))
def test_identity_cos_phi_minus_delta(delta: float, pf: float) -> None:
    from openamr.field.meter.accuracy import TestPoint

    result = point_registration(TestPoint("x", 30.0, pf, 0.75), CT(phase_error_deg=delta))
    assert result.registration_pct == pytest.approx(phase_error_registration_pct(pf, delta),
                                                    abs=1e-9)


def test_ratio_error_injection() -> None:
    report = run_accuracy_test(30.0, ct_ratio_error_pct=-0.3)
    for p in report.points:
        assert p.registration_pct == pytest.approx(99.700, abs=0.0005)
        assert p.passed


def test_inverse_calibration() -> None:
    assert phase_error_from_pf05_error_deg(0.75) == pytest.approx(-0.248, abs=0.0005)


def test_averages() -> None:
    report = run_accuracy_test(30.0, ct_ratio_error_pct=-0.3)
    avg = report.averages
    assert avg == {"method_1_pct": pytest.approx(99.7), "method_2_pct": pytest.approx(99.7),
                   "method_4_pct": pytest.approx(99.7)}


def test_reference_average_example() -> None:
    fl, ll, pf = 100.20, 99.60, 100.50
    assert (4 * fl + ll) / 5 == pytest.approx(100.08)
    assert (fl + ll) / 2 == pytest.approx(99.90)
    assert (4 * fl + 2 * ll + pf) / 7 == pytest.approx(100.071, abs=0.0005)


def test_current_dependent_ct() -> None:
    # IoTaWatt SCT013-000-like lead falling with current: the 2 A corner is worst
    ct = CT(phase_table_deg=ErrorTable((2.0, 200.0), (0.5, 0.1)))
    report = run_accuracy_test(30.0, ct=ct)
    two = report.point("2A_PF0.5").registration_pct
    big = report.point("200A_PF0.5").registration_pct
    assert two - 100 > big - 100 > 0
    assert two == pytest.approx(phase_error_registration_pct(0.5, 0.5), abs=1e-9)


def test_bad_input() -> None:
    for ta in (0.0, -5.0, 300.0, float("nan")):
        with pytest.raises(InputError):
            run_accuracy_test(ta)
    with pytest.raises(InputError):
        run_accuracy_test(30.0, ct_phase_error_deg=45.0)


def test_json_form() -> None:
    d = run_accuracy_test(30.0).to_dict()
    assert set(d) >= {"points", "averages", "passed"}
    assert set(d["points"][0]) >= {"name", "current_a", "pf", "registration_pct", "limit_pct",  # type: ignore[index]
                                    "passed"}


def test_the_100_a_kit_is_tested_at_its_own_rating() -> None:
    from openamr.field.meter.accuracy import ansi_test_points, run_accuracy_test

    names = [p.name for p in ansi_test_points(50.0, rating_a=100)]
    assert "100A_PF1" in names
    assert "100A_PF0.5" in names
    assert not any(n.startswith("200A") for n in names)
    report = run_accuracy_test(50.0, rating_a=100)
    assert max(p.current_a for p in report.points) == 100.0
    assert report.passed
    with pytest.raises(InputError, match="110"):
        ansi_test_points(150.0, rating_a=100)  # above the 100 A kit's 110 A maximum
    assert [p.name for p in ansi_test_points(150.0)][-2:] == ["200A_PF1", "200A_PF0.5"]
