"""``openamr portfolio``: many sites at once, as Dask tasks (docs/scaling.md, "Portfolio jobs").

* ``openamr portfolio simulate [SITE.toml ...] [--generate N --meters M --floors F ...]
  --days D --db DSN``: every site simulated as one task into one store
  (:func:`openamr.compose.portfolio.simulate_site_task`); a site the store already holds is
  skipped, so a second run stores nothing new;
* ``openamr portfolio bill --db DSN --tariff FILE --period YYYY-MM -o DIR [--site ID ...]``:
  ``openamr bill --site`` for every site (one task each), a document per site in ``DIR`` and a
  summary table (``DIR/summary.csv``), amounts ``Decimal`` to the cent.

``--scheduler tcp://HOST:8786`` sends the tasks to a running Dask cluster; without it a
``LocalCluster`` of ``--workers`` processes runs them.  A task that fails (a bad site file, an
unknown site) is reported with its site and exit status 1; the other sites' results are kept.
Needs the ``portfolio`` extra (``pip install 'openamr[portfolio]'``: Dask distributed).
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from openamr.cli.bill import tariff_period_options
from openamr.errors import InputError

__all__ = ["portfolio", "require_distributed"]

_INSTALL_HINT = "pip install 'openamr[portfolio]'"


def require_distributed() -> None:
    """A clear error (exit status 1) when Dask distributed is not installed."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(
            f"openamr portfolio runs on Dask distributed, which is not installed ({exc}); "
            f"install the portfolio extra: {_INSTALL_HINT}") from None


def _refuse_sqlite_on_a_cluster(db: str, scheduler: str | None) -> None:
    """A SQLite store is a file on this machine: a cluster's workers cannot share it."""
    if scheduler is not None and not db.startswith(("postgresql://", "postgres://")):
        raise InputError("a SQLite store is a file on this machine, which the workers of a "
                         "cluster cannot share: use postgresql://...", where="--db")


@contextmanager
def _progress(enabled: bool, label: str, total: int) -> Iterator[Callable[[Any], None]]:
    """A rich progress bar on standard error fed by each finished task (``as_completed``)."""
    if not enabled:
        yield lambda outcome: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    failed = 0
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True)) as progress:
        task = progress.add_task(label, total=total)

        def done(outcome: Any) -> None:
            nonlocal failed
            failed += 0 if outcome.ok else 1
            progress.update(task, advance=1, description=label + (
                f" ({failed} failed)" if failed else ""))

        yield done


_CLUSTER = [
    click.option("--scheduler", default=None, metavar="tcp://HOST:8786",
                 help="A running Dask scheduler (default: a LocalCluster on this machine)."),
    click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
                 help="Without --scheduler: worker processes of the LocalCluster."),
    click.option("--retries", type=click.IntRange(min=0), default=1, show_default=True,
                 help="Tries more of a task that raised (a task is idempotent)."),
    click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON."),
]


def _cluster_options(f: Any) -> Any:
    for option in reversed(_CLUSTER):
        f = option(f)
    return f


@click.group()
def portfolio() -> None:
    """Many sites at once on Dask: simulate a portfolio, bill a portfolio."""


@portfolio.command("simulate")
@click.argument("site_files", nargs=-1, type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path))
@click.option("--generate", "count", type=click.IntRange(min=1), default=None, metavar="N",
              help="Also generate N sites (as `openamr site generate`).")
@click.option("--meters", type=click.IntRange(min=1), default=20, show_default=True,
              help="With --generate: meters of each site.")
@click.option("--floors", type=click.IntRange(min=1), default=2, show_default=True,
              help="With --generate: floors of each site.")
@click.option("--repeaters", type=click.IntRange(min=0), default=None,
              help="With --generate: repeaters of each site [default: as the generator].")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="With --generate: the first site's seed (the next ones count up).")
@click.option("--prefix", default="site", show_default=True,
              help="With --generate: site ids are PREFIX-001, PREFIX-002, ...")
@click.option("--time-zone", default="America/Los_Angeles", show_default=True,
              help="With --generate: IANA time zone of the sites.")
@click.option("--start-utc", default=None, help="With --generate: simulation start (…Z).")
@click.option("--write-sites", type=click.Path(file_okay=False, path_type=Path), default=None,
              metavar="DIR", help="Write each simulated site's file to DIR/<site id>.toml.")
@click.option("--days", type=click.FloatRange(min=0.0, min_open=True), required=True,
              help="Simulated days.")
@click.option("--db", "db", required=True, metavar="DSN",
              help="The store: postgresql://... (or a SQLite file, with a LocalCluster only).")
@_cluster_options
def simulate(site_files: tuple[Path, ...], count: int | None, meters: int, floors: int,
             repeaters: int | None, seed: int, prefix: str, time_zone: str,
             start_utc: str | None, write_sites: Path | None, days: float, db: str,
             scheduler: str | None, workers: int, retries: int, as_json: bool) -> None:
    """Simulate every SITE_FILE (and --generate N sites) into the store at --db."""
    from openamr.compose.portfolio import (
        dask_client,
        file_sources,
        generated_sources,
        run_tasks,
        simulate_site_task,
    )
    from openamr.headend.store import open_store, redact
    from openamr.timeutil import site_zone

    require_distributed()
    if not site_files and count is None:
        raise InputError("give site files, or --generate N", where="SITE_FILES")
    _refuse_sqlite_on_a_cluster(db, scheduler)
    site_zone(time_zone)
    sources = file_sources(site_files)
    if count is not None:
        sources += generated_sources(count, meters, floors, repeaters=repeaters, seed=seed,
                                     prefix=prefix, time_zone=time_zone, start_utc=start_utc)
    with open_store(db) as store:  # created and migrated once, before the workers open it
        store.get_or_create_network_key()
    jobs = [(s.label, (s, days, db), {"want_site_file": write_sites is not None})
            for s in sources]
    show = not as_json and sys.stderr.isatty()
    t0 = time.perf_counter()
    with dask_client(scheduler, workers) as client, \
            _progress(show, "simulating sites", len(jobs)) as on_done:
        n_workers = len(client.nthreads())
        outcomes = run_tasks(client, simulate_site_task, jobs, retries=retries,
                             on_done=on_done)
    wall_s = time.perf_counter() - t0
    rows = []
    for outcome in outcomes:
        if outcome.ok:
            row = dict(outcome.value)
            text = row.pop("site_toml", None)
            if write_sites is not None and text is not None:
                write_sites.mkdir(parents=True, exist_ok=True)
                (write_sites / f"{row['site_id']}.toml").write_text(text, encoding="utf-8")
            rows.append(row)
        else:
            rows.append({"label": outcome.label, "status": "failed", "error": outcome.error})
    counts = {k: sum(1 for r in rows if r["status"] == k) for k in ("stored", "skipped",
                                                                     "failed")}
    summary = {"sites": rows, **counts, "wall_s": round(wall_s, 3),
               "sites_per_min": round(counts["stored"] / wall_s * 60.0, 2) if wall_s else None,
               "days": days, "store": redact(db), "scheduler": scheduler or "LocalCluster",
               "workers": n_workers}
    if as_json:
        click.echo(json.dumps(summary, sort_keys=True))
    else:
        _print_simulated(summary)
    if counts["failed"]:
        raise SystemExit(1)


def _print_simulated(summary: dict[str, Any]) -> None:
    table = Table(title=f"portfolio: {summary['days']} days simulated into {summary['store']}")
    table.add_column("site", overflow="fold")
    for column in ("status", "meters", "joined", "stored/expected", "read 24h", "rejected",
                   "wall s"):
        table.add_column(column, justify="left" if column == "status" else "right")
    failures = []
    for r in summary["sites"]:
        if r["status"] == "failed":
            table.add_row(r["label"], "[red]failed[/red]", "", "", "", "", "", "")
            failures.append(f"[red]failed[/red] {r['label']}: {r['error']}")
            continue
        stored = r["status"] == "stored"
        table.add_row(
            r["site_id"], r["status"], str(r["meters"]),
            str(r["joined"]["mdt"]) if stored else "",
            f"{r['intervals_stored']}/{r['intervals_expected']}" if stored else "",
            str(r["read_success_24h_ratio"]) if stored else "",
            str(sum(r["frames_rejected"].values())) if stored else "", str(r["wall_s"]))
    console = Console()
    console.print(table)
    for line in failures:
        console.print(line, markup=True, highlight=False)
    console.print(f"{summary['stored']} stored, {summary['skipped']} skipped (already in the "
                  f"store), {summary['failed']} failed in {summary['wall_s']} s on "
                  f"{summary['workers']} workers ({summary['scheduler']}): "
                  f"{summary['sites_per_min']} sites/min")


@portfolio.command("bill")
@click.option("--db", "db", required=True, metavar="DSN",
              help="The store: postgresql://... or a SQLite file.")
@tariff_period_options
@click.option("--site", "sites", multiple=True, metavar="ID",
              help="Bill this site (repeatable; default: every site of the store).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="csv",
              show_default=True, help="Each site's document: bills (JSON) or ledger (CSV).")
@click.option("-o", "--out-dir", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Writes DIR/<site id>.<format> and DIR/summary.csv.")
@click.option("--policy", "policies", multiple=True, metavar="KEY=VALUE",
              help="Override a tariff policy (repeatable), e.g. rounding=total.")
@_cluster_options
def bill(db: str, tariff_file: Path, month: str | None, first: str | None, last: str | None,
         start_day: int, sites: tuple[str, ...], fmt: str, out_dir: Path,
         policies: tuple[str, ...], scheduler: str | None, workers: int, retries: int,
         as_json: bool) -> None:
    """Bill every site of the store (or each --site) for a period, one task per site."""
    from openamr.billing.service import period_for
    from openamr.billing.tariff import with_policy
    from openamr.billing.tariff_file import load_tariff
    from openamr.cli.bill import _open, _policies
    from openamr.compose.portfolio import (
        bill_site_task,
        dask_client,
        portfolio_bill_summary,
        run_tasks,
    )

    require_distributed()
    _refuse_sqlite_on_a_cluster(db, scheduler)
    tariff = with_policy(load_tariff(tariff_file), _policies(policies))
    period_for("UTC", month, first, last, start_day)  # the options' syntax, before any task
    with _open(db) as store:
        site_ids = list(dict.fromkeys(sites)) or [s.site_id for s in store.list_sites()]
    if not site_ids:
        raise InputError("the store holds no site", where="--db")
    kwargs = {"month": month, "first": first, "last": last, "start_day": start_day,
              "fmt": fmt}
    jobs = [(site_id, (db, tariff, site_id), kwargs) for site_id in site_ids]
    show = not as_json and sys.stderr.isatty()
    t0 = time.perf_counter()
    with dask_client(scheduler, workers) as client, \
            _progress(show, "billing sites", len(jobs)) as on_done:
        outcomes = run_tasks(client, bill_site_task, jobs, retries=retries, on_done=on_done)
    wall_s = time.perf_counter() - t0
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for outcome in outcomes:
            if outcome.ok:
                (out_dir / f"{outcome.label}.{fmt}").write_bytes(outcome.value["document"])
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", where=str(out_dir)) from exc
    totals = portfolio_bill_summary([o.value for o in outcomes if o.ok])
    failed = [{"site_id": o.label, "error": o.error} for o in outcomes if not o.ok]
    (out_dir / "summary.csv").write_text(_summary_csv(totals), encoding="utf-8")
    doc = {"sites": [{**row, "energy_kwh": str(row["energy_kwh"]), "total": str(row["total"])}
                     for row in totals["sites"]],
           "failed": failed, "energy_kwh": str(totals["energy_kwh"]),
           "totals": {c: str(v) for c, v in totals["totals"].items()},
           "out_dir": str(out_dir), "wall_s": round(wall_s, 3)}
    if as_json:
        click.echo(json.dumps(doc, sort_keys=True))
    else:
        _print_billed(doc)
    if failed:
        raise SystemExit(1)


def _summary_csv(totals: dict[str, Any]) -> str:
    """The portfolio summary table: one row per site, then a ``portfolio`` row per currency."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["site_id", "accounts", "energy_kwh", "total", "currency",
                     "estimated_accounts"])
    for r in totals["sites"]:
        writer.writerow([r["site_id"], r["accounts"], r["energy_kwh"], r["total"],
                         r["currency"], r["estimated_accounts"]])
    for currency, total in totals["totals"].items():
        writer.writerow(["portfolio", sum(r["accounts"] for r in totals["sites"]),
                         totals["energy_kwh"], total, currency,
                         sum(r["estimated_accounts"] for r in totals["sites"])])
    return buffer.getvalue()


def _print_billed(doc: dict[str, Any]) -> None:
    table = Table(title=f"portfolio bills (in {doc['out_dir']})")
    table.add_column("site", overflow="fold")
    for column in ("accounts", "energy kWh", "total", "currency"):
        table.add_column(column, justify="left" if column == "currency" else "right")
    for r in doc["sites"]:
        table.add_row(r["site_id"], str(r["accounts"]), r["energy_kwh"], r["total"],
                      r["currency"])
    for r in doc["failed"]:
        table.add_row(r["site_id"], "[red]failed[/red]", "", "", "")
    for currency, total in doc["totals"].items():
        table.add_row("[b]portfolio[/b]", "", doc["energy_kwh"], f"[b]{total}[/b]", currency)
    console = Console()
    console.print(table)
    for r in doc["failed"]:
        console.print(f"[red]failed[/red] {r['site_id']}: {r['error']}", highlight=False)
    console.print(f"{len(doc['sites'])} sites billed, {len(doc['failed'])} failed in "
                  f"{doc['wall_s']} s")
