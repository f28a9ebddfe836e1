"""``openamr export``: the daily CSV report of a site and Green Button XML of a meter.

* ``openamr export csv --db PATH --date YYYY-MM-DD [--site ID] -o FILE``
* ``openamr export greenbutton --db PATH --meter ID --from YYYY-MM-DD --to YYYY-MM-DD
  [--view raw|validated] -o FILE``

Dates are civil days of the site's time zone; ``--to`` is inclusive.  ``--db`` is a store
target (a SQLite path, ``sqlite:///path`` or ``postgresql://...``); a SQLite file that does not
exist is refused (an export never creates a store).  ``-o -`` writes to standard output.
Bad dates, an unknown site or meter: a message and exit status 2; the output file is written
only when the export succeeded.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from openamr.errors import InputError
from openamr.headend.export.csv_daily import export_daily_csv
from openamr.headend.export.greenbutton import export_greenbutton
from openamr.headend.store import Store, open_store
from openamr.timeutil import epoch_s, utc_now

__all__ = ["export"]


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"not a date YYYY-MM-DD: {text!r}", where=option) from exc


def _open(db: str) -> Store:
    return open_store(db, create=False)  # an export never creates a store


def _write(output: str, data: bytes) -> None:
    if output == "-":
        sys.stdout.buffer.write(data)
        return
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", where=output) from exc


_DB = click.option("--db", "db", required=True, metavar="PATH",
                   help="Store: SQLite path, sqlite:///path or postgresql://...")
_OUT = click.option("-o", "--output", "output", required=True, metavar="FILE",
                    help="Output file ('-' for standard output).")


@click.group()
def export() -> None:
    """Export stored data: the daily CSV report, Green Button XML."""


@export.command("csv")
@_DB
@click.option("--date", "day", required=True, metavar="YYYY-MM-DD",
              help="The civil day in the site's time zone.")
@click.option("--site", "site_id", default=None, metavar="ID",
              help="Site (needed when the store has several).")
@_OUT
def csv_(db: str, day: str, site_id: str | None, output: str) -> None:
    """Daily report: per meter the register, the day's 92/96/100 intervals [Wh] and health."""
    the_day = _date(day, "--date")
    with _open(db) as store:
        text = export_daily_csv(store, the_day, site_id)
    _write(output, text.encode("utf-8"))


@export.command("greenbutton")
@_DB
@click.option("--meter", "meter_id", required=True, metavar="ID", help="Meter id.")
@click.option("--site", "site_id", default=None, metavar="ID",
              help="The meter's site (needed when several sites have that meter id).")
@click.option("--from", "first", required=True, metavar="YYYY-MM-DD",
              help="First civil day (site time zone).")
@click.option("--to", "last", required=True, metavar="YYYY-MM-DD",
              help="Last civil day, inclusive.")
@click.option("--view", type=click.Choice(["raw", "validated"]), default="raw",
              show_default=True, help="The intervals as stored, or VEE's validated values.")
@_OUT
def greenbutton(db: str, meter_id: str, site_id: str | None, first: str, last: str,
                view: str, output: str) -> None:
    """Green Button (ESPI) Atom XML of one meter's intervals (with their quality codes)."""
    first_day, last_day = _date(first, "--from"), _date(last, "--to")
    if last_day < first_day:
        raise InputError(f"{last_day} is before --from {first_day}", where="--to")
    with _open(db) as store:
        xml = export_greenbutton(store, meter_id, first_day, last_day,
                                 updated_s=epoch_s(utc_now()), view=view, site_id=site_id)
    _write(output, xml)
