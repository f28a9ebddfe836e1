"""`openamr meter diagnose`: JSON contract, table output and exit status 2 for bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from openamr.cli import main


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["meter", "diagnose", *args])
    return result.exit_code, result.stdout, result.output


def _findings(*args: str) -> list[dict[str, object]]:
    code, out, _ = _run(*args, "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert set(doc) == {"findings"}
    for f in doc["findings"]:
        assert set(f) == {"code", "element", "message", "remedy"}
    return list(doc["findings"])


def test_correct_installation_has_empty_findings() -> None:
    assert _findings("--service", "split", "--p1-w", "1200", "--p2-w", "1200") == []


def test_ct1_reversed() -> None:
    found = _findings("--service", "split", "--p1-w", "-1200", "--p2-w", "1200",
                      "--pf1", "-1", "--pf2", "1")
    assert [(f["code"], f["element"]) for f in found] == [("wiring.ct_reversed", 1)]
    assert "Verify CT connections and orientations" in str(found[0]["remedy"])


def test_voltage_missing_with_readings() -> None:
    found = _findings("--service", "split", "--p1-w", "1200", "--p2-w", "0", "--v1-v", "120",
                      "--v2-v", "0", "--i1-a", "10", "--i2-a", "10")
    assert [(f["code"], f["element"]) for f in found] == [("wiring.voltage_missing", 2)]


def test_network_line_to_line_is_clean() -> None:
    assert _findings("--service", "network", "--p1-w", "1039.23", "--p2-w", "1039.23",
                     "--pf1", "0.866", "--pf2", "0.866") == []


def test_network_wrong_phase() -> None:
    found = _findings("--service", "network", "--p1-w", "1200", "--p2-w", "-600",
                      "--pf1", "1", "--pf2", "-0.5")
    assert [(f["code"], f["element"]) for f in found] == [("wiring.ct_wrong_phase", 2)]


def test_angles_instead_of_pf() -> None:
    found = _findings("--service", "network", "--p1-w", "1200", "--p2-w", "-600",
                      "--angle1-deg", "0", "--angle2-deg", "-120")
    assert [(f["code"], f["element"]) for f in found] == [("wiring.ct_wrong_phase", 2)]


def test_insufficient_load_element_null() -> None:
    found = _findings("--service", "split", "--p1-w", "0", "--p2-w", "0")
    assert [(f["code"], f["element"]) for f in found] == [("load.insufficient", None)]


def test_single_service() -> None:
    assert _findings("--service", "single", "--p1-w", "500") == []


def test_table_output() -> None:
    code, out, _ = _run("--service", "split", "--p1-w", "-1200", "--p2-w", "1200")
    assert code == 0
    assert "wiring.ct_reversed" in out
    code, out, _ = _run("--service", "split", "--p1-w", "1200", "--p2-w", "1200")
    assert code == 0
    assert "No findings" in out


@pytest.mark.parametrize("args", [
    ["--service", "split", "--p1-w", "1", "--p2-w", "1", "--pf1", "1.5"],
    ["--service", "split", "--p1-w", "1", "--p2-w", "1", "--pf2", "-1.01"],
    ["--service", "split", "--p1-w", "1", "--p2-w", "1", "--i1-a", "-2"],
    ["--service", "split", "--p1-w", "1", "--p2-w", "1", "--v2-v", "-120"],
    ["--service", "delta", "--p1-w", "1", "--p2-w", "1"],
    ["--service", "split", "--p1-w", "1"],
    ["--service", "split", "--p1-w", "abc", "--p2-w", "1"],
    ["--p1-w", "1", "--p2-w", "1"],
    ["--service", "split", "--p1-w", "1", "--p2-w", "1", "--angle1-deg", "720"],
])
def test_bad_input_exits_2(args: list[str]) -> None:
    code, _, output = _run(*args, "--json")
    assert code == 2
    assert "Error" in output


def test_group_works_without_the_lazy_main() -> None:
    from openamr.cli.meter import meter

    result = CliRunner().invoke(meter, ["diagnose", "--service", "split", "--p1-w", "1",
                                        "--p2-w", "1", "--pf1", "2"])
    assert result.exit_code == 2
