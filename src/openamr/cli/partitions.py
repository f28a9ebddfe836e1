"""``openamr partitions --db postgresql://...``: the monthly partitions of the interval table.

PostgreSQL stores partition ``intervals`` by UTC month (docs/headend-store.md § Monthly
partitions).  The store creates the months its writes need by itself; this command is the
operator's view and maintenance: it creates the partitions of the current month and the next
``--ahead-months`` (so no write at the turn of a month has to), moves rows waiting in the
DEFAULT partition into partitions of their months, and lists every partition with its rows.
``--list`` only lists.  ``openamr serve`` runs the same maintenance every
``[retention] prune_interval_s``.  A SQLite store has no partitions (exit status 2).
"""

from __future__ import annotations

import click

from openamr.errors import InputError
from openamr.headend.store import open_store
from openamr.headend.store._partitions import PartitionReport
from openamr.headend.store.postgres import PostgresStore
from openamr.timeutil import epoch_s, format_utc, utc_now

__all__ = ["partitions", "render"]


def render(report: PartitionReport) -> list[str]:
    """The lines ``openamr partitions`` prints for a report."""
    months = [p for p in report.partitions if not p.default]
    lines = [f"{report.table}: {len(months)} partition(s) and DEFAULT "
             f"({report.default_rows:,} row(s) waiting in DEFAULT)"]
    for p in report.partitions:
        span = ("DEFAULT" if p.default else
                f"{'MINVALUE' if p.start_s is None else format_utc(p.start_s)} .. "
                f"{'MAXVALUE' if p.end_s is None else format_utc(p.end_s)}")
        rows = f"{p.rows:,}" if p.default else f"~{p.rows:,}"
        lines.append(f"  {p.name:<24} {span:<44} rows {rows}")
    if report.created:
        lines.append(f"created: {', '.join(report.created)}")
    if report.deferred:
        lines.append(f"deferred (the DEFAULT partition was locked; run again): "
                     f"{', '.join(report.deferred)}")
    return lines


@click.command("partitions")
@click.option("--db", "db", required=True, metavar="URL",
              help="The store: postgresql://... (SQLite stores have no partitions).")
@click.option("--ahead-months", type=click.IntRange(0, 24), default=1, show_default=True,
              help="Months after the current one to create in advance.")
@click.option("--list", "list_only", is_flag=True, help="Only list; change nothing.")
def partitions(db: str, ahead_months: int, list_only: bool) -> None:
    """Create the coming months' interval partitions, move rows out of DEFAULT, and list
    the partitions of a PostgreSQL store."""
    with open_store(db, create=False) as store:
        if not isinstance(store, PostgresStore):
            raise InputError("a SQLite store has no partitions (only PostgreSQL stores "
                             "partition the interval table by month)", where="--db")
        report = (store.partitions.report() if list_only
                  else store.maintain_partitions(epoch_s(utc_now()), ahead_months))
    for line in render(report):
        click.echo(line)
