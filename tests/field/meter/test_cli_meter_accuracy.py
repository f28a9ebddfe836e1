"""`openamr meter accuracy`: JSON contract, table output and exit status 2 for bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from openamr.cli import main


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["meter", "accuracy", *args])
    return result.exit_code, result.stdout, result.output


def _report(*args: str) -> dict[str, object]:
    code, out, _ = _run(*args, "--json")
    assert code == 0, out
    doc: dict[str, object] = json.loads(out)
    return doc


def test_ideal_points() -> None:
    doc = _report("--ta-a", "30")
    points = doc["points"]
    assert isinstance(points, list)
    assert len(points) == 8
    for p in points:
        assert {"name", "current_a", "pf", "registration_pct", "limit_pct", "passed"} <= set(p)
        assert p["registration_pct"] == pytest.approx(100.0, abs=0.01)
        assert p["passed"] is True
    assert doc["averages"] == {"method_1_pct": pytest.approx(100.0),
                               "method_2_pct": pytest.approx(100.0),
                               "method_4_pct": pytest.approx(100.0)}


def test_phase_error() -> None:
    doc = _report("--ta-a", "100", "--ct-phase-error-deg", "0.25")
    by_name = {p["name"]: p for p in doc["points"]}  # type: ignore[union-attr]
    assert by_name["PF_lag"]["registration_pct"] == pytest.approx(100.755, abs=0.0005)
    assert by_name["PF_lead"]["registration_pct"] == pytest.approx(99.243, abs=0.0005)
    assert by_name["PF_lag"]["passed"] is False
    assert by_name["FL"]["passed"] is True
    assert by_name["PF_lag"]["limit_pct"] == 0.75
    assert by_name["FL"]["limit_pct"] == 0.5


def test_ratio_error() -> None:
    doc = _report("--ta-a", "20", "--ct-ratio-error-pct", "-0.3")
    for p in doc["points"]:  # type: ignore[union-attr]
        assert p["registration_pct"] == pytest.approx(99.7, abs=0.0005)


def test_table_output() -> None:
    code, out, _ = _run("--ta-a", "30", "--ct-phase-error-deg", "0.25")
    assert code == 0
    assert "PF_lag" in out
    assert "FAIL" in out
    assert "(4FL+LL)/5" in out


@pytest.mark.parametrize("args", [
    ["--ta-a", "-5"],
    ["--ta-a", "0"],
    ["--ta-a", "500"],
    ["--ta-a", "x"],
    [],
    ["--ta-a", "30", "--ct-phase-error-deg", "90"],
    ["--ta-a", "30", "--voltage-v", "-120"],
    ["--ta-a", "30", "--pulses", "0"],
])
def test_bad_input_exits_2(args: list[str]) -> None:
    code, _, output = _run(*args, "--json")
    assert code == 2
    assert "Error" in output
