"""``openamr demo``: the whole system on one sample building, in one command.

Composes the field and the head-end (the CLI is the only place where they meet):

1. **builds** the demo apartment block (:func:`openamr.field.site.demo_building.demo_site`):
   apartments with household loads, a common-area meter, a PV production meter on the roof, 3
   repeaters (for the default 48 apartments) and one DCAP, in Los Angeles' time zone;
2. **simulates** the last ``--days`` (35) up to now through the mesh into the head-end's real
   ingest over a SQLite store (``--db``, default ``demo.db``), with a progress bar; the
   simulated timeline ends now, its last ``2 × report period + DCAP upload`` (2 h 15 min) being
   the drain in which the last reports travel, so intervals are expected up to then;
3. **registers** units, tenants and occupancies, and stores the
   utility master meter's intervals (the building's total as the utility meter sees it:
   :func:`openamr.field.site.demo_building.master_interval_wh`);
4. **validates** the intervals (VEE, :func:`openamr.headend.vee.run_vee`) and **bills** every
   tenant for the last full calendar month in the site's zone under an example tariff
   (``examples/tariffs/residential-tou.toml``, or ``--tariff``) through the billing service
   that ``openamr bill`` uses;
5. **serves** the head-end (``openamr serve``'s :func:`run_server`, in this process: API,
   dashboard at ``/``, alarms; no frame listener) and prints the sign-in URL with a token.
   Ctrl-C stops it.

``--no-serve`` prints the summary and exits; ``--json`` prints it as JSON.  A step this
installation cannot run (no dashboard package, no example tariff outside a source checkout) is
reported as such in the summary's ``unavailable`` list: the demo never makes up a result.
Bad input (a tariff file that does not load, a ``--db`` in a missing directory) is refused
before anything is simulated or written.  The store at ``--db`` is
replaced when it is an earlier demo's (only the site ``openamr-demo``); any other existing file
is refused (exit 2) unless ``--force``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import sqlite3
import sys
import time
from datetime import timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import click

from openamr.errors import InputError

__all__ = ["DEFAULT_TARIFF", "demo", "is_demo_store", "last_full_month"]

DEFAULT_TARIFF = "examples/tariffs/residential-tou.toml"
"""The example tariff the demo bills with (relative to the source checkout)."""
TOKEN_ROLE = "admin"
"""Role of the sign-in token the demo prints (the demo's owner sees and may do everything)."""


def is_demo_store(path: Path) -> bool:
    """Whether ``path`` is a SQLite store holding only the demo site (read without changing
    it: a store that is not the demo's is never migrated or written)."""
    from openamr.field.site.demo_building import DEMO_SITE_ID

    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        rows = con.execute("SELECT site_id FROM sites").fetchall()
    except sqlite3.Error:
        return False
    finally:
        con.close()
    return {r[0] for r in rows} == {DEMO_SITE_ID}


def _clear_target(db: Path, force: bool) -> None:
    """Remove an earlier demo store at ``db`` (or any file with ``force``); refuse otherwise."""
    if db.is_dir():
        raise InputError("is a directory; give a file path", where="--db")
    if not db.exists():
        return
    if not force and not is_demo_store(db):
        raise InputError("exists and is not an openamr demo store (it holds other sites or is "
                         "not a store); nothing was changed: choose another --db, or --force "
                         "to replace it", where=str(db))
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{db}{suffix}").unlink()


def last_full_month(now_s: int, time_zone: str) -> str:
    """``YYYY-MM`` of the last calendar month that ended before ``now_s`` in ``time_zone``."""
    from openamr.timeutil import local_date, site_zone

    local = local_date(now_s, site_zone(time_zone))
    last_day = local.replace(day=1) - timedelta(days=1)
    return f"{last_day.year:04d}-{last_day.month:02d}"


def _default_tariff() -> Path | None:
    """The example tariff of the source checkout, if this installation has one."""
    here = Path(__file__).resolve()
    for root in here.parents:
        candidate = root / DEFAULT_TARIFF
        if candidate.is_file():
            return candidate
    return None


# --- the steps --------------------------------------------------------------------------------

def _ingest_backhaul(db: str, epoch_s: int, dcap_eui: int) -> Any:
    """``sim run``'s ingest backhaul over the demo store opened with ``synchronous=NORMAL``: a
    sample store need not survive a power cut (WAL keeps it consistent; the last commits may be
    lost, and the demo is run again), and the simulation waits for no fsync.  Built in the
    pipelined worker's own process (picklable through ``functools.partial``)."""
    from openamr.compose.site_sim import IngestBackhaul
    from openamr.headend.store import open_store

    return IngestBackhaul(open_store(db, sqlite_synchronous="NORMAL"), epoch_s, dcap_eui,
                          close_store=True)


def _simulate(db: str, building: Any, days: int, epoch_s: int, drain_s: int,
              show_progress: bool) -> tuple[dict[str, Any], dict[str, int]]:
    """Run the mesh into the head-end's ingest over ``db``; the sim summary (with
    ``commissioned_s``: start of the first interval every joined MDT counts [UTC epoch s]) and
    the intervals each joined MDT was expected to deliver (from its first whole interval after
    power-up to the data end)."""
    from openamr.compose.site_sim import prepare_store
    from openamr.field.mesh.mdt_node import MdtNode
    from openamr.field.mesh.params import MeshParams
    from openamr.field.sim.pipeline import PipelinedBackhaul
    from openamr.field.sim.runner import SimRun
    from openamr.field.sim.site_scenario import scenario_from_site
    from openamr.units import INTERVAL_LENGTH_S

    site = building.site
    scenario = scenario_from_site(site, days, epoch_s=epoch_s)
    prepare_store(db, site, scenario)  # the site, meters, devices, units: as `sim run` does
    backhaul = PipelinedBackhaul(partial(_ingest_backhaul, db, scenario.epoch_s,
                                         scenario.nodes[0].eui))
    try:
        run = SimRun(scenario, backhaul, params=MeshParams())
        if show_progress:
            from rich.console import Console
            from rich.progress import Progress

            with Progress(console=Console(stderr=True), transient=False) as progress:
                task = progress.add_task(f"simulating {days} days of {len(site.meters)} MDTs",
                                         total=days)
                summary = run.run(days, drain_s=drain_s,
                                  progress=lambda d: progress.update(task, completed=d))
        else:
            summary = run.run(days, drain_s=drain_s)
    finally:
        backhaul.close()
    end_k = int(run.end_s // INTERVAL_LENGTH_S)
    mdts = [n for n in run.nodes if isinstance(n, MdtNode) and n.joined]
    expected = {scenario.nodes[n.idx].id: max(0, end_k - n.first_interval) for n in mdts}
    first = max((n.first_interval for n in mdts), default=0)
    summary["commissioned_s"] = int(scenario.epoch_s + first * INTERVAL_LENGTH_S)
    return summary, expected


def _store_master(store: Any, building: Any, start_s: int, end_s: int, now_s: int
                  ) -> dict[str, Any]:
    """Store the utility master meter's delivered intervals over ``[start_s, end_s)``."""
    import numpy as np

    from openamr.field.site.demo_building import master_interval_wh
    from openamr.headend.store.base import Meter

    n = (end_s - start_s) // 900
    master = master_interval_wh(building, start_s, n)
    peak_w = float(master.delivered_wh.max(initial=0)) * 4.0
    store.upsert_meter(Meter(meter_id=building.master_meter_id, site_id=building.site.site_id,
                             model="utility master meter", kh_wh=1.0,
                             max_power_w=max(2.0 * peak_w, 100_000.0)))
    keys = np.repeat(store.meter_keys([building.master_meter_id]), n)
    starts = start_s + 900 * np.arange(n, dtype=np.int64)
    zeros = np.zeros(n, dtype=np.int64)
    store.put_interval_rows(keys, starts, master.delivered_wh.astype(np.float64), zeros, zeros,
                            "import", now_s)
    return {"meter_id": building.master_meter_id, "intervals_stored": int(n),
            "delivered_kwh": round(float(master.delivered_wh.sum()) / 1000.0, 3),
            "pv_exported_kwh": round(float(master.exported_wh.sum()) / 1000.0, 3)}


def _tenants(store: Any, building: Any, epoch_s: int) -> dict[str, str]:
    """One tenant per apartment (its unit registered with the site), moved in a year before
    the simulated days; apartment meter -> tenant id."""
    from openamr.headend.store.units import Occupancy, Tenant
    from openamr.timeutil import local_date, site_zone

    site = building.site
    move_in = local_date(epoch_s, site_zone(site.time_zone)) - timedelta(days=365)
    tenants: dict[str, str] = {}
    for meter_id in building.apartment_meter_ids:
        unit_id = building.unit_of[meter_id]
        number = unit_id.removeprefix("APT-")
        tenant_id = f"T-{number}"
        store.upsert_tenant(Tenant(tenant_id=tenant_id, name=f"Tenant of apartment {number}",
                                   account=f"DEMO-{number}"))
        store.add_occupancy(Occupancy(site_id=site.site_id, unit_id=unit_id,
                                      tenant_id=tenant_id, move_in=move_in))
        tenants[meter_id] = tenant_id
    return tenants


def _vee(store: Any, site_id: str, start_s: int, end_s: int, now_s: int) -> dict[str, Any]:
    from openamr.headend.vee import run_vee

    summary = run_vee(store, site_id=site_id, start_s=start_s, end_s=end_s, now_s=now_s)
    keep = ("meters", "intervals_checked", "intervals_by_rule", "estimated_by_method",
            "left_missing", "findings")
    return {k: v for k, v in dataclasses.asdict(summary).items() if k in keep}


def _bills(store: Any, building: Any, tariff: Any, tariff_path: Path, month: str,
           tenants: dict[str, str]) -> dict[str, Any]:
    """Bill every tenant for ``month`` (``openamr bill --tenant``'s service)."""
    from openamr.billing.service import run_bills

    rows: dict[str, dict[str, Any]] = {}
    total = Decimal(0)
    currency = ""
    for meter_id in building.apartment_meter_ids:
        bills, _, _ = run_bills(store, tariff, month=month, first=None, last=None,
                                start_day=1, tenant=tenants[meter_id], meter=None, site=None)
        for bill in bills:
            rows[bill.account_id] = {"account_kind": bill.account_kind,
                                     "meter_ids": list(bill.meter_ids),
                                     "energy_kwh": str(bill.energy_kwh),
                                     "estimated_kwh": str(bill.estimated_kwh),
                                     "intervals_expected": bill.intervals_expected,
                                     "intervals_present": bill.intervals_present,
                                     "total": str(bill.total)}
            total += bill.total
            currency = bill.currency
    return {"period": month, "tariff": str(tariff_path), "tariff_name": tariff.name,
            "scope": "tenant", "count": len(rows),
            "currency": currency, "total": str(total), "accounts": rows}


def _unavailable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError:
        return True


# --- the command ------------------------------------------------------------------------------

@click.command("demo")
@click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("demo.db"), show_default=True, help="The demo's SQLite store.")
@click.option("--force", is_flag=True,
              help="Replace an existing file at --db even if it is not a demo store.")
@click.option("--days", type=click.IntRange(1, 366), default=35, show_default=True,
              help="Days simulated, up to now.")
@click.option("--apartments", type=click.IntRange(1, 500), default=48, show_default=True,
              help="Apartments (one meter and one tenant each).")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the building.")
@click.option("--tariff", "tariff_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help=f"Tariff for the bills (default: {DEFAULT_TARIFF}).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help="Port of the dashboard and API.")
@click.option("--no-serve", is_flag=True, help="Print the summary and exit.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def demo(db: Path, force: bool, days: int, apartments: int, seed: int,
         tariff_file: Path | None, host: str, port: int, no_serve: bool, as_json: bool) -> None:
    """Build a sample building, simulate its last days, validate, bill, and serve it."""
    from openamr.billing.tariff_file import load_tariff
    from openamr.field.mesh.params import MeshParams
    from openamr.field.site.demo_building import demo_site
    from openamr.headend.auth import issue_token
    from openamr.headend.store import open_store
    from openamr.timeutil import epoch_s, format_utc, utc_now

    t0 = time.perf_counter()
    tariff_path = tariff_file if tariff_file is not None else _default_tariff()
    if tariff_file is not None and not tariff_file.is_file():
        raise InputError("no such tariff file", where="--tariff")
    tariff = load_tariff(tariff_path) if tariff_path is not None else None  # refused up front
    if not db.parent.is_dir():
        raise InputError("its directory does not exist", where=f"--db {db}")
    _clear_target(db, force)
    # the roof array grows with the building: 30 kWp for the default 48 apartments
    building = demo_site(apartments, seed=seed, pv_kwp=round(30.0 * apartments / 48, 2))
    site = building.site
    now_s = int(epoch_s(utc_now()))
    timeline_end_s = now_s - now_s % 900
    params = MeshParams()
    drain_s = int(2 * params.report_period_s + params.dcap_upload_s)
    drain_s += -drain_s % 900
    start_s = timeline_end_s - days * 86400 - drain_s
    data_end_s = start_s + days * 86400
    unavailable: list[str] = []

    show_progress = sys.stderr.isatty()
    timings: dict[str, float] = {}
    lap = t0

    def _lap(name: str) -> None:
        nonlocal lap
        now = time.perf_counter()
        timings[name] = round(now - lap, 2)
        lap = now

    _lap("build")
    sim_summary, expected = _simulate(str(db), building, days, start_s, drain_s, show_progress)
    _lap("simulate")
    per_meter: dict[str, dict[str, int]] = {}
    with open_store(str(db)) as store:
        for meter_id, n in expected.items():
            stored = store.interval_count(meter_id, start_s=start_s, end_s=data_end_s)
            per_meter[meter_id] = {"expected": n, "stored": int(stored)}
        master = _store_master(store, building, start_s, data_end_s, now_s)
        tenants = _tenants(store, building, start_s)
        _lap("register")
        # from the first interval every MDT counts (before it, an MDT was not yet powered: no
        # gap to find), to the data end
        vee = _vee(store, site.site_id, sim_summary["commissioned_s"], data_end_s, now_s)
        _lap("vee")
        month = last_full_month(now_s, site.time_zone)
        bills: dict[str, Any] | None = None
        if tariff is None or tariff_path is None:
            unavailable.append(f"bills: no tariff ({DEFAULT_TARIFF} is not in this "
                               "installation; give --tariff FILE)")
        else:
            bills = _bills(store, building, tariff, tariff_path, month, tenants)
        _lap("bills")
        token = issue_token(store, TOKEN_ROLE, "openamr demo", now_s).secret
    url = f"http://{host}:{port}/?token={token}"
    if _unavailable("openamr.web"):
        unavailable.append("dashboard: openamr.web is not installed; the API and its /docs "
                           "are served (use the token as a Bearer token)")
        url = f"http://{host}:{port}/docs"
    devices = {"dcap": 1, "repeaters": sim_summary["repeaters"], "mdts": sim_summary["mdts"],
               "joined": sim_summary["joined"]}
    summary: dict[str, Any] = {
        "db": str(db), "site_id": site.site_id, "time_zone": site.time_zone,
        "days": days, "start_utc": format_utc(start_s), "end_utc": format_utc(data_end_s),
        "commissioned_utc": format_utc(sim_summary["commissioned_s"]),
        "devices": devices,
        "intervals": {"expected": sum(v["expected"] for v in per_meter.values()),
                      "stored": sum(v["stored"] for v in per_meter.values()),
                      "delivered_by_mesh": sim_summary["intervals_delivered"],
                      "per_meter": per_meter},
        "read_success_24h_ratio": sim_summary["read_success_24h_ratio"],
        "pv": {"meter_id": building.pv_meter_id, "kwp": building.pv_kwp},
        "master_meter": master, "tenants": len(tenants),
        "vee": vee, "bills": bills, "unavailable": unavailable,
        "wall_s": round(time.perf_counter() - t0, 1), "timings_s": timings,
        "url": url, "token": token, "token_role": TOKEN_ROLE,
    }
    if as_json:
        click.echo(json.dumps(summary, sort_keys=True))
    else:
        click.echo(_summary_text(summary))
    if no_serve:
        if not as_json:
            click.echo(f"browse it: openamr serve --db {db} --port {port}, then open {url}"
                       + ("" if "token=" in url else f" (API token: {token})"))
        return
    _serve(str(db), host, port, url if "token=" in url else f"{url} (API token: {token})",
           quiet=as_json)


def _summary_text(s: dict[str, Any]) -> str:
    d, iv = s["devices"], s["intervals"]
    lines = [
        f"openamr demo: site {s['site_id']} ({s['time_zone']}), {s['days']} days "
        f"{s['start_utc']} .. {s['end_utc']} in {s['db']}",
        f"devices joined: {d['joined']['mdt']}/{d['mdts']} MDTs, "
        f"{d['joined']['repeater']}/{d['repeaters']} repeaters, 1 DCAP",
        f"intervals stored: {iv['stored']:,} of {iv['expected']:,} expected "
        f"({sum(1 for v in iv['per_meter'].values() if v['stored'] == v['expected'])}"
        f"/{len(iv['per_meter'])} MDTs complete)",
    ]
    m = s["master_meter"]
    lines.append(f"master meter {m['meter_id']}: {m['delivered_kwh']:,} kWh delivered, "
                 f"{m['pv_exported_kwh']:,} kWh PV exported"
                 f" (PV {s['pv']['kwp']:g} kWp on {s['pv']['meter_id']})")
    if s["vee"] is not None:
        v = s["vee"]
        rules = ", ".join(f"{k} {n}" for k, n in v["intervals_by_rule"].items()) or "none"
        est = ", ".join(f"{k} {n}" for k, n in v["estimated_by_method"].items()) or "none"
        lines.append(f"VEE: {v['intervals_checked']:,} intervals checked, {v['findings']} "
                     f"findings; failed rules: {rules}; estimated: {est}")
    if s["bills"] is not None:
        b = s["bills"]
        lines.append(f"bills {b['period']} ({b['tariff_name']}): {b['count']} {b['scope']} "
                     f"bills, total {b['total']} {b['currency']}")
    for note in s["unavailable"]:
        lines.append(f"not available: {note}")
    lines.append(f"done in {s['wall_s']} s ("
                 + ", ".join(f"{k} {v:g} s" for k, v in s["timings_s"].items()) + ")")
    return "\n".join(lines)


def _serve(db: str, host: str, port: int, url: str, *, quiet: bool) -> None:
    """``openamr serve``'s machinery on the demo store until Ctrl-C (no frame listener)."""
    from openamr.cli.serve import run_server
    from openamr.headend.logs import configure_logging
    from openamr.headend.settings import load_settings

    settings = load_settings(overrides={"store": {"url": db}, "api": {"host": host, "port": port},
                                        "listener": {"udp_port": 0, "tcp_port": 0}})
    configure_logging("warning", "text")

    async def main() -> None:
        server = asyncio.create_task(run_server(settings), name="openamr-demo-serve")
        while not server.done():  # wait until the port answers, then print the link
            try:
                _, writer = await asyncio.open_connection(host, port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            click.echo(f"\nOpen {url}\nPress Ctrl-C to stop the server."
                       if not quiet else f"ready {url}")
            break
        await server

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
