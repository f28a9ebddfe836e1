"""``openamr site``: make, inspect and check site files.

* ``openamr site generate --meters N --floors F [--repeaters R] [--seed S] -o site.toml``
* ``openamr site show SITE.toml``: a summary of the building and its devices;
* ``openamr site check SITE.toml``: validation and a link-coverage report (exit status 1 when
  a finding is an error, e.g. an MDT without a usable link).

A malformed site file or a bad option is a usage error: the message names the key or option,
exit status 2.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from openamr.field.site import Site, load_site, site_to_toml, write_site
from openamr.field.site.check import check_site, coverage
from openamr.field.site.generate import HOUSEHOLD_LOADS, ORDERS, generate_site
from openamr.timeutil import format_utc

__all__ = ["site"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def site() -> None:
    """Site files: a building, its walls, the DCAP, repeaters and MDT-equipped meters."""


def _ratio(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise click.BadParameter(f"must be in [0, 1], got {value}")
    return value


def _positive(ctx: click.Context, param: click.Parameter, value: int) -> int:
    if value < 1:
        raise click.BadParameter(f"must be at least 1, got {value}")
    return value


@site.command("generate")
@click.option("--meters", type=int, required=True, callback=_positive,
              help="Number of MDT-equipped meters.")
@click.option("--floors", type=int, required=True, callback=_positive, help="Number of floors.")
@click.option("--repeaters", type=click.IntRange(min=0), default=None,
              help="Number of repeaters [default: ceil(meters / 25), more if coverage needs].")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the layout, shadowing and loads.")
@click.option("--order", type=click.Choice(ORDERS), default="manual", show_default=True,
              help="Power-up order: the manual's, reversed, or random.")
@click.option("--name", default=None, help="Site name.")
@click.option("--time-zone", default="America/Los_Angeles", show_default=True,
              help="IANA time zone of the site.")
@click.option("--start-utc", default=None, help="Simulation start, ISO 8601 UTC (…Z).")
@click.option("--commercial-ratio", type=float, default=0.1, show_default=True,
              callback=_ratio, help="Share of commercial loads (lowest floors first).")
@click.option("--near-metal-ratio", type=float, default=0.25, show_default=True,
              callback=_ratio, help="Share of MDTs next to the electrical panel.")
@click.option("--metal-box-ratio", type=float, default=0.0, show_default=True,
              callback=_ratio, help="Share of MDTs inside a metal box (against the manual).")
@click.option("--repeater-gap-s", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Seconds between two power-ups of the backbone.")
@click.option("--mdt-gap-s", type=click.FloatRange(min=0), default=2.0, show_default=True,
              help="Seconds between two MDT power-ups.")
@click.option("--household-load", type=click.Choice(HOUSEHOLD_LOADS), default="synthetic",
              show_default=True,
              help="Households' loads: synthetic, or measured (the UCI household, one slice "
                   "per meter; needs pip install 'openamr[loads]' to simulate).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Site file to write [default: standard output].")
def generate(meters: int, floors: int, repeaters: int | None, seed: int, order: str,
             name: str | None, time_zone: str, start_utc: str | None, commercial_ratio: float,
             near_metal_ratio: float, metal_box_ratio: float, repeater_gap_s: float,
             mdt_gap_s: float, household_load: str, output: Path | None) -> None:
    """Write a plausible building with METERS meters on FLOORS floors."""
    from openamr.timeutil import site_zone

    site_zone(time_zone)
    built = generate_site(meters, floors, repeaters, seed=seed, order=order,  # type: ignore[arg-type]
                          name=name, time_zone=time_zone, start_utc=start_utc,
                          commercial_ratio=commercial_ratio, near_metal_ratio=near_metal_ratio,
                          metal_box_ratio=metal_box_ratio, repeater_gap_s=repeater_gap_s,
                          mdt_gap_s=mdt_gap_s,
                          household_load=household_load)  # type: ignore[arg-type]
    if output is None:
        click.echo(site_to_toml(built), nl=False)
        return
    write_site(built, output)
    click.echo(f"wrote {output}: {len(built.meters)} meters, {len(built.repeaters)} repeaters, "
               f"1 DCAP, {built.building.floors} floors, {len(built.walls)} walls", err=True)


def _summary(s: Site) -> dict[str, object]:
    last = max(d.power_on_s for d in s.devices)
    return {
        "name": s.name,
        "time_zone": s.time_zone,
        "start_utc": format_utc(s.start_s) if s.start_s is not None else None,
        "seed": s.seed,
        "floors": s.building.floors,
        "walls": len(s.walls),
        "dcap": s.dcap.id,
        "repeaters": len(s.repeaters),
        "meters": len(s.meters),
        "mdts_per_repeater": (round(len(s.meters) / len(s.repeaters), 1)
                              if s.repeaters else None),
        "models": dict(sorted(Counter(m.model for m in s.meters).items())),
        "services": dict(sorted(Counter(m.service for m in s.meters).items())),
        "loads": dict(sorted(Counter(m.load.kind.value for m in s.meters).items())),
        "placements": dict(sorted(Counter(d.placement.value for d in s.devices).items())),
        "outages": len(s.outages),
        "tampers": len(s.tampers),
        "last_power_on_s": last,
        "radio_overrides": dict(s.radio_overrides),
    }


@site.command("show")
@click.argument("site_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def show(site_file: Path, as_json: bool) -> None:
    """Summarise SITE_FILE: building, devices by kind, placements, power-up span."""
    s = load_site(site_file)
    summary = _summary(s)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    table = Table(title=f"{s.name} ({site_file})", show_header=False)
    table.add_column("key")
    table.add_column("value")
    for key, value in summary.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
        table.add_row(key, "-" if value is None else str(value))
    per_floor = Counter(m.floor for m in s.meters)
    table.add_row("meters per floor", ", ".join(f"{f}: {n}" for f, n in sorted(per_floor.items())))
    Console(file=sys.stdout, width=110).print(table)


@site.command("check")
@click.argument("site_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON findings.")
@click.option("--list-devices", is_flag=True, help="List every device named by a finding.")
def check(site_file: Path, as_json: bool, list_devices: bool) -> None:
    """Validate SITE_FILE and report link coverage with its own radio.

    Exit status 0 when no finding is an error, 1 otherwise (2 for a malformed file).
    """
    s = load_site(site_file)
    cov = coverage(s)
    findings = check_site(s, cov)
    usable = int((cov.usable_relays > 0).sum())
    report = {
        "site": s.name,
        "meters": len(s.meters),
        "repeaters": len(s.repeaters),
        "mdts_with_usable_link": usable,
        "mdt_coverage_ratio": round(usable / len(s.meters), 4) if s.meters else None,
        "median_best_margin_db": (round(float(sorted(cov.best_margin_db.tolist())[
            len(s.meters) // 2]), 1) if s.meters else None),
        "max_backbone_hops": int(cov.hops.max()),
        "findings": [{"code": f.code, "severity": f.severity, "message": f.message,
                      "devices": list(f.devices)} for f in findings],
    }
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(f"{s.name}: {len(s.meters)} meters, {len(s.repeaters)} repeaters "
                   f"({report['mdts_with_usable_link']} MDTs with a usable link, "
                   f"median best margin {report['median_best_margin_db']} dB, "
                   f"backbone depth {report['max_backbone_hops']} hops)")
        for f in findings:
            names = f.devices if list_devices else f.devices[:5]
            more = "" if list_devices or len(f.devices) <= 5 else f" … (+{len(f.devices) - 5})"
            shown = f": {', '.join(names)}{more}" if names else ""
            click.echo(f"{f.severity:7s} {f.code}: {f.message}{shown}")
        if not findings:
            click.echo("ok: no findings")
    if any(f.severity == "error" for f in findings):
        sys.exit(1)
