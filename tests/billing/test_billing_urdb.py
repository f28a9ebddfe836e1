"""URDB v8 import: the example and PySAM cases parse; what we cannot price is refused by key."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pysam_cases import CASES

from openamr.billing.urdb import load_urdb_json, parse_urdb
from openamr.errors import InputError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tariffs" / "urdb-tou-demand.json"


def test_the_example_and_the_api_answer_shape() -> None:
    tariff = load_urdb_json(EXAMPLE)
    assert str(tariff.energy_periods[1].tiers[0].rate_per_kwh) == "0.20"  # rate + adj
    assert tariff.energy_weekday.shape == (12, 96)
    assert tariff.fixed is not None
    assert tariff.fixed.per == "day"
    wrapped = {"items": [json.loads(EXAMPLE.read_text())]}
    assert parse_urdb(wrapped).name == tariff.name


def test_daily_tier_units_are_a_baseline() -> None:
    tariff = parse_urdb(CASES["tiered"])
    assert tariff.tier_unit == "daily"
    assert [str(t.max_kwh) for t in tariff.energy_periods[0].tiers] == ["12", "20", "None"]


def _bad(change: dict[str, Any]) -> InputError:
    item = copy.deepcopy(CASES["tou_flat"])
    item.update(change)
    with pytest.raises(InputError) as info:
        parse_urdb(item)
    return info.value


@pytest.mark.parametrize(("change", "where"), [
    ({"energyweekdayschedule": [[0] * 24] * 11}, "energyweekdayschedule"),
    ({"energyweekendschedule": [[0] * 23 + [7]] * 12}, "energyweekendschedule[0][23]"),
    ({"energyratestructure": [[{"rate": "abc"}]]}, "energyratestructure[0][0].rate"),
    ({"energyratestructure": [[{"rate": 0.1, "unit": "kWh/kW"}]]},
     "energyratestructure[0][0].unit"),
    ({"energyratestructure": [[{"adj": 0.1}]]}, "energyratestructure[0][0].rate"),
    ({"flatdemandmonths": [0] * 11}, "flatdemandmonths"),
    ({"demandratchetpercentage": [0.8] * 12}, "demandratchetpercentage"),
    ({"fixedchargeunits": "$/week"}, "fixedchargeunits"),
    ({"demandwindow": 30}, "demandwindow"),
    ({"fueladjustmentsmonthly": [0.01] * 12}, "fueladjustmentsmonthly"),
])
def test_malformed_or_unsupported_keys_are_named(change: dict[str, Any], where: str) -> None:
    assert _bad(change).where == where


def test_zero_ratchets_and_fuel_adjustments_are_accepted() -> None:
    item = copy.deepcopy(CASES["tou_flat"])
    item.update({"demandratchetpercentage": [0] * 12, "fueladjustmentsmonthly": [0.0] * 12})
    assert parse_urdb(item).name == CASES["tou_flat"]["name"]


def test_a_broken_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "rate.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON") as info:
        load_urdb_json(path)
    assert str(path) in str(info.value)
