"""``openamr vee``: validate and estimate stored intervals (docs/vee.md).

``openamr vee --db PATH [--site ID] [--meter ID ...] [--from DATE --to DATE] [--vacant ID ...]
[--max-linear-gap N] [--like-day-weeks N] [--zero-run N] [--no-register-scaling] [--json]``
runs every rule and estimation method over the range (default: all stored data of the chosen
meters) and prints a summary: intervals per rule, estimates per method, rows written.  It is
idempotent: a second run writes nothing.  Dates are civil days of the site's time zone (UTC
without ``--site``); ``--to`` is inclusive.  Bad input (an unknown site or meter, a bad date, a
bad parameter, a store file that does not exist): a message and exit status 2, nothing written.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path

import click

from openamr.errors import InputError
from openamr.headend.store import Store, open_store
from openamr.headend.vee import VeeParams, VeeSummary, run_vee
from openamr.timeutil import epoch_s, format_utc, local_day_bounds_s, site_zone, utc_now

__all__ = ["vee"]

_DEFAULTS = VeeParams()


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"not a date YYYY-MM-DD: {text!r}", where=option) from exc


def _open(db: str) -> Store:
    if not db.startswith(("postgresql://", "postgres://")):
        path = Path(db.removeprefix("sqlite:///"))
        if not path.is_file():
            raise InputError(f"no such store file: {path}", where="--db")
    return open_store(db)


def summary_text(summary: VeeSummary) -> str:
    """The human summary of a run."""
    span = (f"{format_utc(summary.start_s)} .. {format_utc(summary.end_s)}"
            if summary.start_s is not None and summary.end_s is not None else "no data")
    lines = [f"VEE over {summary.meters} meter(s), {span}: "
             f"{summary.intervals_checked:,} intervals checked"]
    lines.append("failed rules (intervals):" if summary.intervals_by_rule else
                 "failed rules: none")
    lines += [f"  {code:<20} {n:>10,}" for code, n in summary.intervals_by_rule.items()]
    lines.append("estimated (intervals):" if summary.estimated_by_method else "estimated: none")
    lines += [f"  {method:<20} {n:>10,}" for method, n in summary.estimated_by_method.items()]
    lines.append(f"left missing: {summary.left_missing:,}; findings: {summary.findings:,} "
                 f"({summary.findings_added:,} new, {summary.findings_removed:,} gone)")
    lines.append(f"validated rows: {summary.rows_written:,} written, {summary.rows_deleted:,} "
                 f"deleted, {summary.rows_unchanged:,} unchanged")
    return "\n".join(lines)


@click.command("vee")
@click.option("--db", "db", required=True, metavar="PATH",
              help="Store: SQLite path, sqlite:///path or postgresql://...")
@click.option("--site", "site_id", default=None, metavar="ID", help="Only this site's meters.")
@click.option("--meter", "meter_ids", multiple=True, metavar="ID",
              help="Only these meters (repeat the option).")
@click.option("--from", "first", default=None, metavar="YYYY-MM-DD",
              help="First civil day (site time zone; UTC without --site).")
@click.option("--to", "last", default=None, metavar="YYYY-MM-DD",
              help="Last civil day, inclusive.")
@click.option("--vacant", "vacant", multiple=True, metavar="METER_ID",
              help="A meter whose unit was vacant over the range: long zero runs are expected.")
@click.option("--max-linear-gap", "max_linear_gap", type=int,
              default=_DEFAULTS.max_linear_gap_intervals, show_default=True,
              metavar="INTERVALS", help="Longest gap filled by a straight line.")
@click.option("--like-day-weeks", type=int, default=_DEFAULTS.like_day_weeks,
              show_default=True, metavar="N", help="Previous weeks searched for like days.")
@click.option("--zero-run", "zero_run", type=int, default=_DEFAULTS.zero_run_intervals,
              show_default=True, metavar="INTERVALS",
              help="Zero intervals in a row flagged on an occupied unit.")
@click.option("--no-register-scaling", is_flag=True,
              help="Do not scale estimates to register reads.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def vee(db: str, site_id: str | None, meter_ids: tuple[str, ...], first: str | None,
        last: str | None, vacant: tuple[str, ...], max_linear_gap: int, like_day_weeks: int,
        zero_run: int, no_register_scaling: bool, as_json: bool) -> None:
    """Validate and estimate interval data; store the result beside the raw data."""
    params = VeeParams(max_linear_gap_intervals=max_linear_gap, like_day_weeks=like_day_weeks,
                       like_day_min_days=1, zero_run_intervals=zero_run,
                       scale_to_registers=not no_register_scaling)
    if (first is None) != (last is None):
        raise InputError("give both --from and --to, or neither", where="--from/--to")
    with _open(db) as store:
        start_s = end_s = None
        if first is not None and last is not None:
            first_day, last_day = _date(first, "--from"), _date(last, "--to")
            if last_day < first_day:
                raise InputError(f"{last_day} is before --from {first_day}", where="--to")
            site = store.get_site(site_id) if site_id is not None else None
            if site_id is not None and site is None:
                raise InputError(f"unknown site {site_id!r}", where="--site")
            zone = site_zone(site.timezone if site is not None else "UTC")
            start_s = local_day_bounds_s(first_day, zone)[0]
            end_s = local_day_bounds_s(last_day, zone)[1]
        summary = run_vee(store, site_id=site_id, meter_ids=list(meter_ids) or None,
                          start_s=start_s, end_s=end_s, now_s=epoch_s(utc_now()),
                          params=params, vacant={m: [(0, 1 << 40)] for m in vacant})
    if as_json:
        click.echo(json.dumps(asdict(summary)))
    else:
        click.echo(summary_text(summary))
