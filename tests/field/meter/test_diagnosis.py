"""Diagnosis: findings for the reference's fault vectors (FLT-*) and the §4.3 rules."""

from __future__ import annotations

import pytest

from openamr.errors import InputError
from openamr.field.meter.diagnosis import (
    CODES,
    REMEDIES,
    DiagnosisParams,
    ElementReading,
    Finding,
    diagnose,
)
from openamr.field.meter.wiring import Wiring, line_to_line_voltage_v, measure_elements


def _codes(service: str, *args: float, wiring: Wiring = Wiring(), **kw: float) -> list[
        tuple[str, int | None]]:
    elements = measure_elements(service, *args, wiring=wiring, **kw)
    readings = [ElementReading.from_measurement(e) for e in elements]
    return [(f.code, f.element) for f in diagnose(service, readings)]


def test_codes_are_stable() -> None:
    assert set(CODES) == {"wiring.ct_reversed", "wiring.ct_wrong_phase",
                          "wiring.voltage_missing", "load.insufficient", "supply.out_of_range"}
    assert "LINE side of CT must face incoming Line" in REMEDIES["wiring.ct_reversed"]
    assert "Verify CT connections and orientations" in REMEDIES["wiring.ct_reversed"]
    assert "Make sure that current and voltage connections are in phase" in \
        REMEDIES["wiring.ct_wrong_phase"]
    assert "sufficient load to draw the required current" in REMEDIES["load.insufficient"]
    assert "Test the voltage being supplied to the meter using an AC voltmeter" in \
        REMEDIES["wiring.voltage_missing"]


def test_flt1_correct_has_no_findings() -> None:
    assert _codes("split", 1200, 1200) == []


def test_flt2_ct1_reversed() -> None:
    assert _codes("split", 1200, 1200, wiring=Wiring(ct1="reversed")) == [
        ("wiring.ct_reversed", 1)]


def test_flt3_swapped_flags_both() -> None:
    assert _codes("split", 1200, 1200, wiring=Wiring(ct1="L2", ct2="L1")) == [
        ("wiring.ct_reversed", 1), ("wiring.ct_reversed", 2)]


def test_flt4_voltage_missing() -> None:
    found = diagnose("split", [ElementReading(1200, 1.0, 120, 10),
                               ElementReading(0.0, None, 0.0, 10)])
    assert [(f.code, f.element) for f in found] == [("wiring.voltage_missing", 2)]
    assert "current without voltage" in found[0].message
    assert _codes("split", 1200, 1200, wiring=Wiring(v2="open")) == [
        ("wiring.voltage_missing", 2)]


def test_flt5_reversed_at_pf05() -> None:
    assert _codes("split", 600, 600, 0.5, 0.5, wiring=Wiring(ct1="reversed")) == [
        ("wiring.ct_reversed", 1)]


def test_flt8_flt9_line_to_line_network_is_not_flagged() -> None:
    load = 10 * line_to_line_voltage_v("network")
    assert _codes("network", load_ll_w=load) == []
    assert _codes("network-ac", load_ll_w=load) == []
    # the CLI form of FLT-8: P and PF only
    readings = [ElementReading(1039.23, 0.866), ElementReading(1039.23, 0.866)]
    assert diagnose("network", readings) == []


def test_flt11_undetectable() -> None:
    assert _codes("split", 1200, 1200, wiring=Wiring(ct1="L2-reversed", ct2="L1-reversed")) == []


def test_split_wrong_leg_reads_as_reversed() -> None:
    # CT2 also on L1 (both CTs on L1): the same 180° signature as a reversed CT2
    found = diagnose("split", [ElementReading.from_measurement(e) for e in
                               measure_elements("split", 1200, 1200, wiring=Wiring(ct2="L1"))])
    assert [(f.code, f.element) for f in found] == [("wiring.ct_reversed", 2)]
    assert "other leg" in found[0].message


@pytest.mark.parametrize("ct2", ["L1", "L1-reversed"])
def test_network_ct_on_wrong_phase(ct2: str) -> None:
    assert _codes("network", 1200, 1200, wiring=Wiring(ct2=ct2)) == [
        ("wiring.ct_wrong_phase", 2)]


def test_network_swapped_cts_flag_both_wrong_phase() -> None:
    assert _codes("network", 1200, 1200, wiring=Wiring(ct1="L2", ct2="L1")) == [
        ("wiring.ct_wrong_phase", 1), ("wiring.ct_wrong_phase", 2)]


def test_network_reversed_ct() -> None:
    assert _codes("network", 1200, 1200, wiring=Wiring(ct1="reversed")) == [
        ("wiring.ct_reversed", 1)]


def test_genuine_low_pf_loads_on_both_network_elements_are_not_flagged() -> None:
    readings = [ElementReading(500, 0.5), ElementReading(500, 0.5)]
    assert diagnose("network", readings) == []


def test_load_insufficient() -> None:
    assert _codes("split", 0, 0) == [("load.insufficient", None)]
    found = diagnose("split", [ElementReading(5.0), ElementReading(-3.0)])
    assert [(f.code, f.element) for f in found] == [("load.insufficient", None)]
    found = diagnose("split", [ElementReading(10.0, 1.0, 120, 0.1),
                               ElementReading(0.0, None, 120, 0.0)])
    assert [f.code for f in found] == ["load.insufficient"]


def test_supply_out_of_range() -> None:
    found = diagnose("split", [ElementReading(1200, 1.0, 145, 8.3),
                               ElementReading(1200, 1.0, 120, 10)])
    assert [(f.code, f.element) for f in found] == [("supply.out_of_range", 1)]
    found = diagnose("split", [ElementReading(0, None, 0, 10), ElementReading(0, None, 0, 10)])
    codes = [(f.code, f.element) for f in found]
    assert ("supply.out_of_range", None) in codes
    assert ("wiring.voltage_missing", 1) in codes
    assert ("wiring.voltage_missing", 2) in codes
    assert any("LCD is off" in f.message for f in found)


def test_single_service_uses_one_element() -> None:
    assert diagnose("single", [ElementReading(1200, 1.0)]) == []
    found = diagnose("single", [ElementReading(-1200, -1.0)])
    assert [(f.code, f.element) for f in found] == [("wiring.ct_reversed", 1)]


def test_findings_are_values_with_json_form() -> None:
    f = diagnose("split", [ElementReading(-1200), ElementReading(1200)])[0]
    assert isinstance(f, Finding)
    assert set(f.to_dict()) == {"code", "element", "message", "remedy"}


def test_bad_input() -> None:
    with pytest.raises(InputError):
        ElementReading(100, pf=1.5)
    with pytest.raises(InputError):
        ElementReading(100, current_a=-1)
    with pytest.raises(InputError):
        diagnose("split", [ElementReading(1.0)])
    with pytest.raises(InputError):
        diagnose("delta", [ElementReading(1.0), ElementReading(1.0)])


def test_custom_thresholds() -> None:
    readings = [ElementReading(500, 0.6), ElementReading(1000, 1.0)]
    assert diagnose("network", readings) == []
    assert [f.code for f in diagnose("network", readings, DiagnosisParams(pf_low=0.7))] == [
        "wiring.ct_wrong_phase"]


def test_angle_gives_the_pf() -> None:
    # CT2 on L1 of a network service, seen through angles only: θ2 = −120°
    readings = [ElementReading(1200, angle_deg=0.0), ElementReading(-600, angle_deg=-120.0)]
    assert [(f.code, f.element) for f in diagnose("network", readings)] == [
        ("wiring.ct_wrong_phase", 2)]
    with pytest.raises(InputError):
        ElementReading(1.0, angle_deg=float("nan"))
