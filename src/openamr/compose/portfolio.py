"""Portfolio jobs on Dask distributed: many sites simulated into one store, many sites billed.

Each site is one Dask task.  The task functions (:func:`simulate_site_task`,
:func:`bill_site_task`) are plain module-level functions, so a worker anywhere imports them by
name; what a worker needs is this package installed and the store's DSN reachable (and, for a
site file whose loads are CSV files, those files at the same paths).

**Simulating a site, idempotently.**  A task first looks in the store: a site that holds data
already (its intervals, or its devices heard) is *skipped*, so running a portfolio twice stores
nothing new.  Otherwise it simulates the site through :func:`openamr.compose.site_sim.
simulate_site` into a private staging SQLite store on the worker (the head-end's ingest inline,
with the simulated timing of ``openamr sim run``; the staging store adopts the target's network
key), recording every batch of frames the DCAP handed over.  Then it *publishes*: in ONE
transaction of the target store it registers the site (:func:`~openamr.compose.site_sim.
register_site`) and hands the same batches, with the same arrival times, to the head-end's
ingest over the target.  Ingest is deterministic, so the target stores exactly what ``sim run``
would have stored; and since the site's rows appear in one commit or not at all, a worker that
dies mid-task leaves nothing, and the task Dask retries elsewhere starts afresh.  The publish
first locks the site's row and re-checks, so two tasks of one site id never both publish.

Concurrent writers: PostgreSQL takes the publishes in parallel (each locks only its own
site's rows).  A SQLite store serialises them (one writer at a time; a publish waits up to
``busy_timeout_s`` for the lock) and is a file on one machine: the CLI refuses it with a
remote scheduler.

**Billing a site**: :func:`bill_site_task` is ``openamr bill --site ID`` (the same
:func:`openamr.billing.service.run_bills` and :func:`~openamr.billing.service.render_bills`)
and returns the bills and the rendered document; :func:`portfolio_bill_summary` adds them up
(``Decimal``, to the cent).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from openamr.errors import InputError

__all__ = ["GeneratedSite", "SiteSource", "TaskOutcome", "bill_site_task", "build_site",
           "dask_client", "file_sources", "generated_sources", "portfolio_bill_summary",
           "publish_site", "run_tasks", "simulate_site_task", "stage_site"]

DEFAULT_BUSY_TIMEOUT_S = 600.0
"""How long a publish into a SQLite store waits for the write lock [s]: other workers'
publishes go first, one at a time."""


@dataclass(frozen=True, slots=True)
class GeneratedSite:
    """The parameters of :func:`openamr.field.site.generate.generate_site` for one site."""

    site_id: str
    name: str
    meters: int
    floors: int
    repeaters: int | None
    seed: int
    time_zone: str = "America/Los_Angeles"
    start_utc: str | None = None


@dataclass(frozen=True, slots=True)
class SiteSource:
    """Where one site of a portfolio comes from: a site file's text (read by the client, so a
    worker needs no copy) or the generator's parameters.  ``label`` names the site in progress
    and error reports (the file's path, or the generated site's id)."""

    label: str
    text: str | None = None
    base_dir: str | None = None
    """The site file's folder: its CSV load paths are relative to it (on the worker)."""
    generated: GeneratedSite | None = None


def file_sources(paths: Sequence[Path]) -> list[SiteSource]:
    """The sources of site files (an :class:`InputError` naming a file that cannot be read)."""
    out = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 text: {exc}"
            raise InputError(f"cannot read the site file: {reason}", where=str(path)) from None
        out.append(SiteSource(str(path), text=text, base_dir=str(path.resolve().parent)))
    return out


def generated_sources(count: int, meters: int, floors: int, *, repeaters: int | None = None,
                      seed: int = 0, prefix: str = "site", time_zone: str = "America/Los_Angeles",
                      start_utc: str | None = None) -> list[SiteSource]:
    """``count`` generated sites ``PREFIX-001`` … with seeds ``seed``, ``seed + 1`` …"""
    if count < 1:
        raise InputError(f"must be at least 1, got {count}", where="--generate")
    width = max(3, len(str(count)))
    out = []
    for k in range(1, count + 1):
        site_id = f"{prefix}-{k:0{width}d}"
        spec = GeneratedSite(site_id, f"{prefix} {k:0{width}d}", meters, floors, repeaters,
                             seed + k - 1, time_zone, start_utc)
        out.append(SiteSource(site_id, generated=spec))
    return out


def build_site(source: SiteSource) -> Any:
    """The :class:`openamr.field.site.Site` of ``source`` (a :class:`SiteError` for a bad
    file, naming it)."""
    from openamr.field.site import site_from_text
    from openamr.field.site.generate import generate_site

    if source.generated is not None:
        g = source.generated
        site = generate_site(g.meters, g.floors, g.repeaters, seed=g.seed, name=g.name,
                             time_zone=g.time_zone, start_utc=g.start_utc)
        return replace(site, id=g.site_id)
    if source.text is None:
        raise ValueError(f"{source.label}: a site source needs a text or generator parameters")
    base = Path(source.base_dir) if source.base_dir else None
    return site_from_text(source.text, file=source.label, base_dir=base,
                          source=Path(source.label))


# --- simulating -----------------------------------------------------------------------------

class _AlreadyStoredError(Exception):
    """The target store holds the site's data already (rolls the publish back)."""


def publish_site(db: str, site: Any, scenario: Any, days: float,
                 batches: Iterable[tuple[list[bytes], float]], *,
                 busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> dict[str, Any] | None:
    """Register ``site`` in the store at ``db`` and ingest ``batches`` (``(frames, sim_t_s)``,
    as the DCAP handed them over) in ONE transaction; None (and nothing written) when the
    store holds the site's data already.  Returns ``intervals_stored`` (within the ``days``
    of the run, as ``sim run`` counts them) and ``frames_rejected`` (by reason)."""
    from openamr.compose.site_sim import (
        IngestBackhaul,
        register_site,
        site_holds_data,
        stored_interval_count,
    )
    from openamr.headend.store import open_store
    from openamr.headend.store.base import Site as StoreSite

    store = open_store(db, create=False, busy_timeout_s=busy_timeout_s)
    try:
        try:
            with store.transaction():
                # lock the site's row first: a concurrent publish of the same site id waits
                # here and then sees the other's commit below
                store.upsert_site(StoreSite(site.site_id, site.name, site.time_zone))
                if site_holds_data(store, site.site_id, (f"{n.eui:016x}" for n in scenario.nodes)):
                    raise _AlreadyStoredError
                register_site(store, site, scenario)
                backhaul = IngestBackhaul(store, scenario.epoch_s, scenario.nodes[0].eui)
                for frames, sim_t_s in batches:
                    backhaul(frames, sim_t_s)
        except _AlreadyStoredError:
            return None
        end_s = int(scenario.epoch_s + days * 86400)
        return {"intervals_stored": stored_interval_count(store, scenario, end_s, site.site_id),
                "frames_rejected": dict(sorted(backhaul.ingest.stats.rejected.items()))}
    finally:
        store.close()


def stage_site(site: Any, scenario: Any, days: float, network_key: bytes
               ) -> tuple[dict[str, Any], list[tuple[list[bytes], float]]]:
    """Simulate ``site`` into a private staging store (a temporary SQLite file that adopts
    ``network_key``, the target's) through :func:`openamr.compose.site_sim.simulate_site`, the
    head-end's ingest inline; returns the run's summary and every batch of frames the DCAP
    handed over, as ``(frames, sim_t_s)`` in order."""
    from openamr.compose.site_sim import IngestBackhaul, simulate_site
    from openamr.field.sim.pipeline import InlineBackhaul
    from openamr.headend.store import open_store

    batches: list[tuple[list[bytes], float]] = []
    with tempfile.TemporaryDirectory(prefix="openamr-portfolio-") as tmp:
        staging = str(Path(tmp) / "staging.db")
        with open_store(staging, sqlite_synchronous="NORMAL") as store:
            store.adopt_network_key(network_key)
        ingest = IngestBackhaul(open_store(staging, sqlite_synchronous="NORMAL"),
                                scenario.epoch_s, scenario.nodes[0].eui, close_store=True,
                                record=batches, alarms=False)  # the target's ingest raises them
        summary = simulate_site(site, scenario, days, staging, backhaul=InlineBackhaul(ingest))
    return summary, batches


def simulate_site_task(source: SiteSource, days: float, db: str, *, seed: int | None = None,
                       busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
                       want_site_file: bool = False) -> dict[str, Any]:
    """One portfolio task: simulate one site for ``days`` into the store at ``db``, or skip it
    when the store holds its data already (see the module's docstring).  Returns a row:
    ``label``, ``site_id``, ``status`` (``stored`` or ``skipped``), the simulation's summary
    (``mdts``, ``joined``, ``intervals_expected``, ``intervals_stored``, ``frames_rejected``
    …), ``wall_s`` [s], and with ``want_site_file`` the site file's text (``site_toml``)."""
    from openamr.compose.site_sim import site_holds_data
    from openamr.field.sim.site_scenario import scenario_from_site
    from openamr.field.site import site_to_toml
    from openamr.headend.store import open_store

    t0 = time.perf_counter()
    site = build_site(source)
    row: dict[str, Any] = {"label": source.label, "site_id": site.site_id,
                           "meters": len(site.meters)}
    if want_site_file:
        row["site_toml"] = site_to_toml(site)
    scenario = scenario_from_site(site, days, seed=seed)
    device_ids = [f"{n.eui:016x}" for n in scenario.nodes]
    with open_store(db, create=False, busy_timeout_s=busy_timeout_s) as target:
        if site_holds_data(target, site.site_id, device_ids):
            return {**row, "status": "skipped", "wall_s": round(time.perf_counter() - t0, 3)}
        network_key = target.get_or_create_network_key()
    summary, batches = stage_site(site, scenario, days, network_key)
    published = publish_site(db, site, scenario, days, batches, busy_timeout_s=busy_timeout_s)
    summary.pop("store", None)
    summary.pop("wall_s", None)
    if published is None:  # another task of this site id published first
        return {**row, "status": "skipped", "wall_s": round(time.perf_counter() - t0, 3)}
    summary.update(published)
    return {**row, **summary, "status": "stored", "wall_s": round(time.perf_counter() - t0, 3)}


# --- billing --------------------------------------------------------------------------------

def bill_site_task(db: str, tariff: Any, site_id: str, *, month: str | None, first: str | None,
                   last: str | None, start_day: int, fmt: str) -> dict[str, Any]:
    """One portfolio task: ``openamr bill --site SITE_ID`` for the period; returns ``site_id``,
    ``bills`` (:class:`openamr.billing.bill.Bill`) and ``document`` (the bills rendered in
    ``fmt``: ``json`` or ``csv``, bytes)."""
    from openamr.billing.service import render_bills, run_bills
    from openamr.headend.store import open_store

    with open_store(db, create=False) as store:
        bills, scope, common = run_bills(store, tariff, month=month, first=first, last=last,
                                         start_day=start_day, tenant=None, meter=None,
                                         site=site_id)
        document = render_bills(store, bills, scope, fmt, common)
    return {"site_id": site_id, "bills": bills, "document": document}


def portfolio_bill_summary(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per site (``accounts``, ``energy_kwh``, ``total``, ``currency``) and the portfolio's
    totals per currency; amounts are ``Decimal``."""
    sites = []
    totals: dict[str, Decimal] = {}
    energy_kwh = Decimal("0")
    for result in results:
        bills = result["bills"]
        currencies = sorted({b.currency for b in bills})
        total = sum((b.total for b in bills), Decimal("0.00"))
        kwh = sum((b.energy_kwh for b in bills), Decimal("0"))
        energy_kwh += kwh
        for b in bills:
            totals[b.currency] = totals.get(b.currency, Decimal("0.00")) + b.total
        sites.append({"site_id": result["site_id"], "accounts": len(bills),
                      "energy_kwh": kwh, "total": total,
                      "currency": currencies[0] if len(currencies) == 1 else " ".join(currencies),
                      "estimated_accounts": sum(1 for b in bills if b.estimated_kwh > 0)})
    return {"sites": sites, "energy_kwh": energy_kwh, "totals": dict(sorted(totals.items()))}


# --- running on Dask ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """One task's end: its ``value``, or the ``error`` (type and message) it raised."""

    label: str
    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_tasks(client: Any, function: Callable[..., Any],
              jobs: Sequence[tuple[str, tuple[Any, ...], dict[str, Any]]], *, retries: int = 1,
              on_done: Callable[[TaskOutcome], None] | None = None) -> list[TaskOutcome]:
    """Submit ``function(*args, **kwargs)`` for every ``(label, args, kwargs)`` of ``jobs`` to
    the Dask ``client`` and gather them as they complete (``on_done`` hears each one: a
    progress bar).  A task that raises (after ``retries`` more tries) is an outcome with its
    ``error``; the other tasks go on.  Outcomes are returned in the order of ``jobs``."""
    from distributed import as_completed

    futures = {}
    for i, (label, args, kwargs) in enumerate(jobs):
        future = client.submit(function, *args, **kwargs, pure=False, retries=retries)
        futures[future] = (i, label)
    outcomes: list[TaskOutcome | None] = [None] * len(jobs)
    for future in as_completed(futures):
        i, label = futures[future]
        if future.status == "finished":
            outcome = TaskOutcome(label, value=future.result())
        else:
            try:
                exc = future.exception()
            except Exception as lost:  # cancelled: the scheduler went away
                exc = lost
            outcome = TaskOutcome(label, error=f"{type(exc).__name__}: {exc}")
        future.release()
        outcomes[i] = outcome
        if on_done is not None:
            on_done(outcome)
    return [o for o in outcomes if o is not None]


@contextmanager
def dask_client(scheduler: str | None, workers: int, *, processes: bool = True,
                connect_timeout_s: float = 20.0, worker_timeout_s: float = 60.0
                ) -> Iterator[Any]:
    """A Dask ``Client``: of the cluster whose scheduler is at ``scheduler``
    (``tcp://host:8786``), or of a new ``LocalCluster`` of ``workers`` single-threaded workers
    (the simulator is pure Python: one process per core; ``processes=False``: threads of this
    process).  A scheduler that cannot be reached within ``connect_timeout_s``, or that has no
    worker within ``worker_timeout_s``, is an :class:`InputError`.  Closed, with a local
    cluster, on exit."""
    import logging

    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=connect_timeout_s)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"cannot reach the Dask scheduler: {exc}",
                             where="--scheduler") from None
        try:
            client.wait_for_workers(1, timeout=worker_timeout_s)
        except TimeoutError:
            client.close()
            raise InputError(f"the scheduler has no worker (none joined within "
                             f"{worker_timeout_s:g} s): start `dask worker {scheduler}`",
                             where="--scheduler") from None
    else:
        if workers < 1:
            raise InputError(f"must be at least 1, got {workers}", where="--workers")
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                               dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL)
        client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
