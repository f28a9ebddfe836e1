"""``openamr tariff check FILE``: validate a tariff (TOML or URDB JSON) and summarise it.

A malformed tariff is refused with the file and the key at fault (exit status 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from openamr.billing.tariff_file import load_tariff

__all__ = ["tariff"]


@click.group()
def tariff() -> None:
    """Tariffs: check a tariff file (openamr TOML or OpenEI URDB JSON)."""


@tariff.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The summary as JSON.")
def check(file: Path, as_json: bool) -> None:
    """Validate FILE and print a summary of its periods, tiers, charges and policies."""
    summary = load_tariff(file).summary()
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"{summary['name']}: a valid {summary['kind']} tariff in {summary['currency']}")
    if summary["kind"] == "incentive":
        click.echo(f"  incentive: {summary['incentive_rate_per_kwh']} per measured kWh")
    else:
        click.echo(f"  tiers: {summary['tier_unit']}; holidays: {summary['holidays'] or 'none'}")
        for period in summary["energy_periods"]:  # type: ignore[attr-defined]
            tiers = ", ".join(
                f"{t['rate_per_kwh']}/kWh" + (f" up to {t['max_kwh']} kWh" if t["max_kwh"]
                                              else "") for t in period["tiers"])
            click.echo(f"  energy {period['name']}: {tiers} ({period['weekday_hours']} h per "
                       f"weekday, {period['weekend_hours']} h per weekend day)")
        for key, title in (("flat_demand", "flat demand"), ("demand_periods", "demand")):
            for period in summary[key]:  # type: ignore[attr-defined]
                tiers = ", ".join(f"{t['rate_per_kw']}/kW" for t in period["tiers"])
                click.echo(f"  {title} {period['name']}: {tiers}")
        for key in ("fixed", "minimum"):
            charge = summary[key]
            if charge:
                click.echo(f"  {key}: {charge['amount']} per {charge['per']}")  # type: ignore[index]
    policy = ", ".join(f"{k}={v}" for k, v in summary["policy"].items())  # type: ignore[attr-defined]
    click.echo(f"  policy: {policy}")
