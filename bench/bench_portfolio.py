"""Portfolio throughput: sites simulated per minute on a Dask ``LocalCluster`` against the
same sites simulated one after another (``openamr portfolio simulate`` vs ``openamr sim run``).

The workload: ``SITES`` generated sites of ``METERS`` meters for ``DAYS`` days (quick: fewer,
smaller, shorter), into one SQLite store each way.  The baseline, measured in the same run, is
the sequential ``sim run`` path (:func:`openamr.compose.site_sim.simulate_site`, the head-end's
ingest pipelined in a second process, as the command does it); the figures are the portfolio's
tasks (:func:`openamr.compose.portfolio.run_tasks` over
:func:`~openamr.compose.portfolio.simulate_site_task`: staging, then one publishing
transaction) on a LocalCluster of 2 worker processes, and of 1 (which shows the cost of staging
and publishing).  Cluster start-up is timed apart: it is paid once per command.  Figures are
sites/min; the ratio is the baseline's rate over the figure's (a cost: below 1 is faster).
With PostgreSQL at 127.0.0.1:5432 both are repeated into PostgreSQL (the sequential path into
PostgreSQL is that figure's baseline).
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.timing import Result, rate_result

SITES, METERS, FLOORS, DAYS = 8, 60, 2, 2.0
QUICK = (4, 12, 1, 0.5)
GOAL_RATIO = 1.0
"""On 2 cores, 2 workers should at least match the sequential path (which already uses a
second process for the ingest)."""
POSTGRES_DSN = os.environ.get("OPENAMR_BENCH_POSTGRES_DSN",
                              "postgresql://postgres@127.0.0.1:5432/test")


def _sequential_s(sources: list[Any], days: float, db: str | None = None) -> float:
    """Wall time [s] of the sites one after another on the ``sim run`` path."""
    from openamr.compose.portfolio import build_site
    from openamr.compose.site_sim import simulate_site
    from openamr.field.sim.site_scenario import scenario_from_site

    with tempfile.TemporaryDirectory(prefix="bench-portfolio-") as tmp:
        target = db or str(Path(tmp) / "sequential.db")
        start = time.perf_counter()
        for source in sources:
            site = build_site(source)
            simulate_site(site, scenario_from_site(site, days), days, target)
        return time.perf_counter() - start


def _cluster_s(sources: list[Any], days: float, workers: int, db: str | None = None
               ) -> tuple[float, float]:
    """(start-up s, run s) of the sites as tasks on a LocalCluster of ``workers``."""
    from openamr.compose.portfolio import dask_client, run_tasks, simulate_site_task
    from openamr.headend.store import open_store

    with tempfile.TemporaryDirectory(prefix="bench-portfolio-") as tmp:
        target = db or str(Path(tmp) / "portfolio.db")
        with open_store(target) as store:
            store.get_or_create_network_key()
        t0 = time.perf_counter()
        with dask_client(None, workers) as client:
            client.wait_for_workers(workers)
            start = time.perf_counter()
            outcomes = run_tasks(client, simulate_site_task,
                                 [(s.label, (s, days, target), {}) for s in sources])
            run_s = time.perf_counter() - start
        bad = [o for o in outcomes if not o.ok or o.value["status"] != "stored"]
        if bad:
            raise RuntimeError(f"portfolio bench: {bad[0]}")
        return start - t0, run_s


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1.0):
            return True
    except OSError:
        return False


@contextmanager
def _pg_schema() -> Iterator[str]:
    """A DSN whose search_path is a fresh schema, dropped at the end."""
    import psycopg

    schema = f"bench_portfolio_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_DSN}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main(quick: bool = False) -> list[Result]:
    from openamr.compose.portfolio import generated_sources

    n, meters, floors, days = QUICK if quick else (SITES, METERS, FLOORS, DAYS)
    sources = generated_sources(n, meters, floors, seed=1, prefix="bench")
    print(f"{n} sites of {meters} meters for {days} days; load average "
          f"{os.getloadavg()[0]:.2f}")
    seq_s = _sequential_s(sources, days)
    seq_rate = n / seq_s * 60.0
    print(f"  sequential `sim run` path: {seq_s:.1f} s -> {seq_rate:.1f} sites/min")
    results = []
    for workers in (2, 1):
        up_s, run_s = _cluster_s(sources, days, workers)
        rate = n / run_s * 60.0
        print(f"  portfolio, LocalCluster of {workers}: start-up {up_s:.1f} s, run {run_s:.1f} s "
              f"-> {rate:.1f} sites/min ({seq_s / run_s:.2f}x the sequential rate)")
        results.append(rate_result(
            f"portfolio: sites/min, LocalCluster of {workers} vs sequential sim run", rate,
            seq_rate, unit="sites/min", goal=GOAL_RATIO if workers == 2 else None))
    if _postgres_reachable():
        with _pg_schema() as dsn:
            pg_seq_s = _sequential_s(sources, days, dsn)
        with _pg_schema() as dsn:
            _, run_s = _cluster_s(sources, days, 2, dsn)
        pg_seq_rate, rate = n / pg_seq_s * 60.0, n / run_s * 60.0
        print(f"  into PostgreSQL: sequential `sim run` path {pg_seq_s:.1f} s -> "
              f"{pg_seq_rate:.1f} sites/min; portfolio, LocalCluster of 2: {run_s:.1f} s -> "
              f"{rate:.1f} sites/min ({pg_seq_s / run_s:.2f}x the sequential rate)")
        results.append(rate_result("portfolio: sites/min into PostgreSQL, LocalCluster of 2 "
                                   "vs sequential sim run into PostgreSQL", rate, pg_seq_rate,
                                   unit="sites/min"))
    print(f"  load average after: {os.getloadavg()[0]:.2f}")
    return results
