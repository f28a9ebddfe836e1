"""``openamr report``: energy-management reports from the store.

* ``openamr report energy --db PATH (--meter ID | --unit ID | --site ID) --from YYYY-MM-DD
  --to YYYY-MM-DD [--format table|json|csv] [-o FILE] [--plot FILE.png|FILE.svg
  [--plot-kind usage|monthly|profile|heatmap]]``

Dates are civil days of the site's time zone; ``--to`` is inclusive (as ``openamr export``).
With ``--meter`` or ``--unit``, ``--site`` only picks the site when the id exists in several.
See ``docs/energy.md``.
"""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from openamr.cli.export import _date, _open, _write
from openamr.errors import InputError
from openamr.headend.energy import energy_report, report_csv, report_json, report_table

__all__ = ["report"]

_PLOT_KINDS = ("usage", "monthly", "profile", "heatmap")


@click.group()
def report() -> None:
    """Reports from stored data: energy management."""


@report.command("energy")
@click.option("--db", "db", required=True, metavar="PATH",
              help="Store: SQLite path, sqlite:///path or postgresql://...")
@click.option("--meter", "meter_id", default=None, metavar="ID", help="One meter.")
@click.option("--unit", "unit_id", default=None, metavar="ID", help="One unit (its meters).")
@click.option("--site", "site_id", default=None, metavar="ID",
              help="A whole site (its consumption meters), or the site of --meter/--unit.")
@click.option("--from", "first", required=True, metavar="YYYY-MM-DD",
              help="First civil day (site time zone).")
@click.option("--to", "last", required=True, metavar="YYYY-MM-DD",
              help="Last civil day, inclusive.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="table: text tables; json: the API's JSON; csv: daily "
              "and monthly rows.")
@click.option("-o", "--output", "output", default="-", metavar="FILE",
              help="Output file ('-', the default, for standard output).")
@click.option("--plot", "plot", default=None, metavar="FILE",
              help="Also draw a plot to FILE (.png or .svg).")
@click.option("--plot-kind", "plot_kind", type=click.Choice(_PLOT_KINDS), default="usage",
              show_default=True, help="usage: kWh per day; monthly: kWh per month; profile: "
              "the average day; heatmap: day x quarter-hour.")
def energy(db: str, meter_id: str | None, unit_id: str | None, site_id: str | None,
           first: str, last: str, fmt: str, output: str, plot: str | None,
           plot_kind: str) -> None:
    """Daily and monthly usage, load profile, peak demand, and comparisons with the previous
    period and with similar units."""
    if not (meter_id or unit_id or site_id):
        raise InputError("give --meter, --unit or --site", where="--meter")
    if meter_id and unit_id:
        raise InputError("give --meter or --unit, not both", where="--unit")
    first_day, last_day = _date(first, "--from"), _date(last, "--to")
    if last_day < first_day:
        raise InputError(f"{last_day} is before --from {first_day}", where="--to")
    plot_fmt = None
    if plot is not None:
        plot_fmt = Path(plot).suffix.lower().lstrip(".")
        if plot_fmt not in ("png", "svg"):
            raise InputError("the plot file must end in .png or .svg", where="--plot")
    with _open(db) as store:
        result = energy_report(store, first_day, last_day, meter_id=meter_id,
                               unit_id=unit_id, site_id=site_id)
    if fmt == "json":
        data = orjson.dumps(report_json(result), option=orjson.OPT_INDENT_2) + b"\n"
    elif fmt == "csv":
        data = report_csv(result).encode("utf-8")
    else:
        data = report_table(result).encode("utf-8")
    _write(output, data)
    if plot is not None and plot_fmt is not None:
        from openamr.headend.energy.plots import plot_report

        _write(plot, plot_report(result, plot_kind, plot_fmt))
