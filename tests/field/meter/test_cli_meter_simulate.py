"""``openamr meter simulate``: JSON contract and bad-input exit status 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from openamr.cli import main

KEYS = ("register_wh", "pulses", "counter_counts", "led_toggle_times_s", "max_demand_w",
        "instant_power_w", "reverse_phase", "lcd")


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, ["meter", "simulate", *args])


def _json(*args: str) -> dict[str, Any]:
    result = _run(*args, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_json_contract_pul9() -> None:
    data = _json("--model", "6PSMT-C02", "--l1-w", "200", "--duration-s", "180")
    for key in KEYS:
        assert key in data
    assert data["register_wh"] == 10.0
    assert data["pulses"] == {"kh10": 1, "kh100": 0, "kh1000": 0}
    assert data["led_toggle_times_s"] == [90.0, 180.0]
    assert data["instant_power_w"] == 200.0
    assert data["reverse_phase"] == [False, False]
    assert data["lcd"]["on"] is True
    assert data["lcd"]["total_kwh"] == "0.010"
    assert data["lcd"]["serial"]
    assert isinstance(data["counter_counts"], int)


def test_json_pul3_and_demand() -> None:
    data = _json("--model", "MMSMT-C02", "--l1-w", "1200", "--l2-w", "1200",
                 "--duration-s", "900")
    assert data["register_wh"] == 600.0
    assert data["pulses"] == {"kh10": 60, "kh100": 6, "kh1000": 0}
    assert data["counter_counts"] == 6
    assert data["max_demand_w"] == 2400.0
    assert data["lcd"]["demand_kw"] == "2.400"
    assert len(data["led_toggle_times_s"]) == 120


def test_ct1_reversed_shows_reverse_phase() -> None:
    data = _json("--model", "6PSMT-C02", "--l1-w", "1200", "--l2-w", "1200",
                 "--duration-s", "3600", "--ct1", "reversed")
    assert data["reverse_phase"] == [True, False]
    assert data["lcd"]["reverse_phase"] == [True, False]
    assert data["register_wh"] == 0.0
    assert data["element_power_w"] == [-1200.0, 1200.0]


def test_leading_pf_and_single_service() -> None:
    data = _json("--model", "6PSMT-C02", "--service", "single", "--l1-w", "1000",
                 "--l2-w", "500", "--pf", "-0.8", "--duration-s", "3600")
    assert data["register_wh"] == pytest.approx(1000.0)
    assert data["pulses"]["kh100"] == 10


def test_v2_open_and_network_service() -> None:
    data = _json("--model", "6PSMT-C02", "--l1-w", "1200", "--l2-w", "1200",
                 "--duration-s", "3600", "--v2", "open")
    assert data["register_wh"] == 1200.0
    data = _json("--model", "6PSMT-C02", "--service", "network", "--l1-w", "1200",
                 "--l2-w", "1200", "--duration-s", "3600")
    assert data["register_wh"] == pytest.approx(2400.0)


def test_profile_csv(tmp_path: Path) -> None:
    path = tmp_path / "loads.csv"
    path.write_text("t_s,l1_w,l2_w,pf1,pf2\n0,200,0,1.0,1.0\n135,0,0,1.0,1.0\n",
                    encoding="utf-8")
    data = _json("--model", "6PSMT-C02", "--profile", str(path), "--duration-s", "3600")
    assert data["register_wh"] == 7.5
    assert data["led_toggle_times_s"] == [90.0]
    assert data["instant_power_w"] == 0.0


def test_tamper_options() -> None:
    data = _json("--model", "MMSMT-C02", "--l1-w", "100", "--duration-s", "600",
                 "--tamper-open-s", "60", "--tamper-close-s", "120")
    assert data["tamper_events"] == [{"kind": "cover_removed", "sim_t_s": 60.0},
                                     {"kind": "cover_replaced", "sim_t_s": 120.0}]


def test_demand_options_and_led_cap() -> None:
    data = _json("--model", "6PSMT-C02", "--l1-w", "2000", "--duration-s", "300",
                 "--demand-fill", "available")
    assert data["max_demand_w"] == 2000.0
    data = _json("--model", "6PSMT-C02", "--l1-w", "2000", "--duration-s", "300")
    assert data["max_demand_w"] == pytest.approx(666.6667, abs=1e-3)
    data = _json("--model", "6PSMT-C02", "--l1-w", "48000", "--duration-s", "60",
                 "--max-led-toggles", "3")
    assert len(data["led_toggle_times_s"]) == 3
    assert data["led_toggles"] == 160


def test_readable_table() -> None:
    result = _run("--model", "6PSMT-C02", "--l1-w", "2400", "--duration-s", "900")
    assert result.exit_code == 0, result.output
    assert "register [kWh] (LCD)" in result.output
    assert "0.600" in result.output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--model", "NOPE-1", "--l1-w", "100", "--duration-s", "60"], "unknown meter model"),
        (["--model", "6PSMT-C02", "--l1-w", "100", "--duration-s", "-60"], "duration"),
        (["--model", "6PSMT-C02", "--l1-w", "100", "--duration-s", "0"], "duration"),
        (["--model", "6PSMT-C02", "--l1-w", "100", "--duration-s", "60", "--pf", "0.3"],
         "power factor"),
        (["--model", "6PSMT-C02", "--l1-w", "100", "--duration-s", "60", "--pf", "1.2"],
         "power factor"),
        (["--model", "6PSMT-C02", "--duration-s", "60"], "exactly one"),
        (["--model", "6PSMT-C02", "--l1-w", "100", "--profile", "x.csv", "--duration-s", "60"],
         "exactly one"),
        (["--model", "6PSMT-C02", "--l1-w", "100", "--duration-s", "60",
          "--tamper-close-s", "5"], "tamper-open-s"),
        (["--model", "6PSMT-C02", "--profile", "x.csv", "--pf", "0.9", "--duration-s", "60"],
         "--pf"),
        (["--model", "6PSMT-C02", "--l1-w", "100", "--duration-s", "60", "--pf", "-0.3"],
         "power factor"),
        (["--model", "6PSMT-C02", "--l1-w", "100", "--duration-s", "60", "--ct1", "sideways"],
         "sideways"),
    ],
)
def test_bad_input_exits_2(args: list[str], fragment: str) -> None:
    result = _run(*args, "--json")
    assert result.exit_code == 2, result.output
    assert fragment in result.output


@pytest.mark.parametrize(
    ("text", "line"),
    [("t_s,l1_w,l2_w\n0,100,100\n60,abc,1\n", 3),
     ("t_s,l1_w,l2_w\n0,100,100\n60,1,1\n30,1,1\n", 4),
     ("t_s,l1_w,l2_w,pf1,pf2\n0,100,100,1.0,1.0\n60,1,1,0.2,1.0\n", 3),
     ("t_s,l1_w,l2_w\n0,100\n", 2)],
)
def test_malformed_csv_exits_2_with_line(tmp_path: Path, text: str, line: int) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    result = _run("--model", "6PSMT-C02", "--profile", str(path), "--duration-s", "600",
                  "--json")
    assert result.exit_code == 2, result.output
    assert f"bad.csv:{line}" in result.output


GOLDEN = {
    "model": "MMSMT-C02", "service": "split", "serial": "MM0001", "duration_s": 1200.0,
    "powered": True,
    "wiring": {"ct1": "normal", "ct2": "reversed", "v1": "connected", "v2": "connected"},
    "register_wh": 50.0, "register_kwh": 0.05,
    "pulses": {"kh10": 5, "kh100": 0, "kh1000": 0},
    "rising_edges": {"kh10": 5, "kh100": 1, "kh1000": 0},
    "outputs_on": {"kh10": False, "kh100": True, "kh1000": False},
    "counter_wh_per_count": 100.0, "counter_counts": 0,
    "led_on": False, "led_toggles": 10, "led_toggle_times_s": [330.0, 360.0, 390.0, 420.0],
    "led_toggles_truncated": True,
    "max_demand_w": 200.0, "demand_w": 200.0, "demand_method": "rolling", "demand_fill": "zero",
    "instant_power_w": 0.0, "element_power_w": [0.0, 0.0], "reverse_phase": [False, True],
    "lcd": {"on": True, "serial": "MM0001", "total_kwh": "0.050", "demand_kw": "0.200",
            "instant_kw": "0.000", "reverse_phase": [False, True]},
    "tamper_events": [{"kind": "cover_removed", "sim_t_s": 100.0}],
    "limits": {"supply_v": 120.0, "supply_min_v": 102.0, "supply_max_v": 138.0,
               "supply_in_range": True, "peak_current_a": 10.0, "max_current_a": 220.0,
               "current_in_range": True},
    "warnings": [],
}


def test_golden_run(tmp_path: Path) -> None:
    # CT2 reversed cancels the first 5 minutes (net clamp); 600 W on L1 alone for the next 5;
    # element 2's reverse indication holds through the idle end
    path = tmp_path / "loads.csv"
    path.write_text("t_s,l1_w,l2_w,pf1,pf2\n0,1200,1200,1.0,1.0\n300,600,0,0.8,1.0\n"
                    "600,0,0,1.0,1.0\n", encoding="utf-8")
    data = _json("--model", "MMSMT-C02", "--profile", str(path), "--duration-s", "1200",
                 "--ct2", "reversed", "--tamper-open-s", "100", "--serial", "MM0001",
                 "--max-led-toggles", "4")
    assert data == GOLDEN


def test_simulate_flags_the_supply_and_current_limits() -> None:
    from click.testing import CliRunner

    from openamr.cli import main

    ok = CliRunner().invoke(main, ["meter", "simulate", "--model", "MMSMT-C02", "--l1-w", "1200",
                                   "--duration-s", "60", "--json"])
    data = json.loads(ok.output)
    assert data["limits"]["supply_in_range"]
    assert data["limits"]["current_in_range"]
    assert data["warnings"] == []
    low = CliRunner().invoke(main, ["meter", "simulate", "--model", "MMSMT-C02", "--l1-w", "1200",
                                    "--voltage-v", "95", "--duration-s", "60", "--json"])
    data = json.loads(low.output)
    assert data["limits"]["supply_in_range"] is False
    assert "102" in data["warnings"][0]
    assert "138" in data["warnings"][0]
    # 15 kW on a leg of a 100 A kit: 125 A, above its 110 A maximum (but not a 200 A kit's 220 A)
    over = CliRunner().invoke(main, ["meter", "simulate", "--model", "MMSMT-C02", "--rating-a",
                                     "100", "--l1-w", "15000", "--duration-s", "60", "--json"])
    data = json.loads(over.output)
    assert data["limits"]["max_current_a"] == 110.0
    assert data["limits"]["current_in_range"] is False
    assert any("110 A" in w for w in data["warnings"])
    fine = CliRunner().invoke(main, ["meter", "simulate", "--model", "MMSMT-C02", "--l1-w",
                                     "15000", "--duration-s", "60", "--json"])
    assert json.loads(fine.output)["limits"]["current_in_range"] is True
