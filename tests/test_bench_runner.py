"""``openamr bench`` and the benchmarks' result contract (no test asserts a time)."""

from __future__ import annotations

import json

import pytest
from bench.timing import Result, rate_result, time_result
from click.testing import CliRunner

from openamr.cli import main


def test_a_time_ratio_is_the_figure_over_the_baseline() -> None:
    r = time_result("x", 0.030, 0.010, unit="ms", goal=5.0)
    assert (r.value, r.baseline, r.unit) == (pytest.approx(30.0), pytest.approx(10.0), "ms")
    assert r.ratio == pytest.approx(3.0)
    assert r.met is True
    assert time_result("x", 0.030, 0.010, goal=2.0).met is False


def test_a_rate_ratio_is_the_baseline_over_the_figure() -> None:
    r = rate_result("ingest", 100_000.0, 300_000.0, unit="readings/s", goal=3.0)
    assert r.ratio == pytest.approx(3.0)
    assert r.met is True
    assert rate_result("ingest", 50_000.0, 300_000.0, unit="readings/s", goal=3.0).met is False


def test_without_a_goal_met_is_none() -> None:
    r = Result("info", 1.0, "s", 2.0, 0.5)
    assert r.met is None
    assert r.as_dict() == {"name": "info", "value": 1.0, "unit": "s", "baseline": 2.0,
                           "ratio": 0.5, "goal": None, "met": None}


def test_openamr_bench_json_lists_every_figure_with_its_baseline_and_goal() -> None:
    result = CliRunner().invoke(main, ["bench", "meter", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    # the detail lines go to stderr with --json; stdout is the JSON list alone
    rows = json.loads(result.stdout)
    assert [set(r) for r in rows] == [{"name", "value", "unit", "baseline", "ratio", "goal",
                                       "met"}] * len(rows)
    main_row = rows[0]
    assert main_row["goal"] == 1.0
    assert main_row["ratio"] == pytest.approx(main_row["value"] / main_row["baseline"])
    assert main_row["met"] is (main_row["ratio"] <= main_row["goal"])


def test_openamr_bench_table_and_unknown_names() -> None:
    ok = CliRunner().invoke(main, ["bench", "meter", "--quick"])
    assert ok.exit_code == 0, ok.output
    assert "benchmark" in ok.output
    assert "<= 1" in ok.output
    bad = CliRunner().invoke(main, ["bench", "nosuch"])
    assert bad.exit_code == 2
    assert "unknown benchmark(s): nosuch" in bad.output
