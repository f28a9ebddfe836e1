"""Our TOML tariff format: the shipped examples parse; malformed input names its key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openamr.billing.tariff import with_policy
from openamr.billing.tariff_file import load_tariff
from openamr.billing.tariff_toml import load_tariff_toml, parse_tariff_toml
from openamr.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tariffs"

BASE = """
[tariff]
name = "t"
[seasons]
summer = [6, 7, 8, 9]
[[energy.periods]]
name = "peak"
rate_per_kwh = "0.40"
when = [{ season = "summer", days = "weekdays", from = "16:00", to = "21:30" }]
[[energy.periods]]
name = "off"
rate_per_kwh = "0.20"
"""


@pytest.mark.parametrize("path", sorted(EXAMPLES.iterdir()), ids=lambda p: p.name)
def test_every_example_tariff_loads(path: Path) -> None:
    tariff = load_tariff(path)
    assert tariff.name
    summary = tariff.summary()
    assert summary["currency"] == "USD"


def test_windows_compile_to_local_quarter_hours() -> None:
    tariff = parse_tariff_toml(tomllib.loads(BASE))
    july, january = 6, 0
    assert tariff.energy_weekday[july, 16 * 4 - 1] == 1
    assert tariff.energy_weekday[july, 16 * 4] == 0
    assert tariff.energy_weekday[july, 21 * 4 + 1] == 0  # 21:15 is still peak
    assert tariff.energy_weekday[july, 21 * 4 + 2] == 1  # 21:30 is not
    assert (tariff.energy_weekend[july] == 1).all()
    assert (tariff.energy_weekday[january] == 1).all()


def test_a_window_across_midnight() -> None:
    text = BASE.replace('from = "16:00", to = "21:30"', 'from = "22:00", to = "06:00"')
    tariff = parse_tariff_toml(tomllib.loads(text))
    row = tariff.energy_weekday[6]
    assert (row[:24] == 0).all()
    assert (row[88:] == 0).all()
    assert (row[24:88] == 1).all()


def _bad(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        parse_tariff_toml(tomllib.loads(text))
    return info.value


@pytest.mark.parametrize(("change", "where"), [
    (('rate_per_kwh = "0.40"', 'rate_per_kwh = "forty"'), "energy.periods[0].rate_per_kwh"),
    (('from = "16:00"', 'from = "16:10"'), "energy.periods[0].when[0].from"),
    (('days = "weekdays"', 'days = "workdays"'), "energy.periods[0].when[0].days"),
    (('season = "summer"', 'season = "monsoon"'), "energy.periods[0].when[0].season"),
    (('name = "t"', 'name = "t"\ncolour = "red"'), "tariff.colour"),
    (('summer = [6, 7, 8, 9]', 'summer = [6, 13]'), "seasons.summer"),
    (('name = "t"', 'name = "t"\nholidays = "XX"'), "tariff.holidays"),
    (('name = "t"', 'name = "t"\ncurrency = "dollars"'), "tariff.currency"),
])
def test_malformed_values_name_their_key(change: tuple[str, str], where: str) -> None:
    error = _bad(BASE.replace(*change))
    assert error.where == where, str(error)


def test_quarter_hours_left_uncovered_are_named() -> None:
    text = BASE.split('[[energy.periods]]\nname = "off"')[0]
    error = _bad(text)
    assert error.where == "energy.periods"
    assert "January" in str(error) or "month 1" in str(error)


def test_tiers_must_increase_and_only_the_last_is_unlimited() -> None:
    text = BASE.replace('rate_per_kwh = "0.20"', 'tiers = [{ max_kwh = "300", rate_per_kwh = '
                        '"0.2" }, { max_kwh = "200", rate_per_kwh = "0.3" }]')
    assert _bad(text).where == "energy.periods[1].tiers[1].max"
    text = BASE.replace('rate_per_kwh = "0.20"', 'tiers = [{ rate_per_kwh = "0.2" }, '
                        '{ rate_per_kwh = "0.3" }]')
    assert _bad(text).where == "energy.periods[1].tiers[0].max"


def test_policy_choices_and_overrides() -> None:
    assert _bad(BASE + '\n[policy]\nrounding = "banker"\n').where == "policy.rounding"
    assert _bad(BASE + '\n[policy]\nround = "lines"\n').where == "policy.round"
    tariff = parse_tariff_toml(tomllib.loads(BASE))
    assert with_policy(tariff, {"rounding": "total"}).policy.rounding == "total"
    with pytest.raises(InputError, match="unknown policy"):
        with_policy(tariff, {"speed": "fast"})


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[tariff\nname=", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML") as info:
        load_tariff_toml(path)
    assert str(path) in str(info.value)
    path.write_text(BASE.replace('"0.40"', '"x"'), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_tariff(path)
    assert str(info.value).startswith(f"{path}: energy.periods[0].rate_per_kwh")
    with pytest.raises(InputError, match=r"\.toml"):
        load_tariff(tmp_path / "tariff.yaml")


def test_demand_and_incentive_sections() -> None:
    data: dict[str, Any] = tomllib.loads((EXAMPLES / "commercial-demand.toml").read_text())
    tariff = parse_tariff_toml(data)
    assert tariff.flat_demand_months == (0,) * 12
    assert tariff.demand_weekday is not None
    assert int(np.count_nonzero(tariff.demand_weekday == 0)) == 4 * 6 * 4  # 4 months × 6 h
    pbi = load_tariff(EXAMPLES / "solar-pbi.toml")
    assert pbi.kind == "incentive"
    assert str(pbi.incentive_rate_per_kwh) == "0.39"
    assert _bad('[tariff]\nname = "p"\nkind = "incentive"\n').where == "incentive.rate_per_kwh"
