"""``openamr sim run SITE.toml --days N``: simulate a site's mesh and feed the head-end.

The only place where the field model and the head-end meet: the simulator's backhaul callable
hands every frame that reaches the DCAP to ``openamr.headend.ingest.Ingest`` over the store
at ``--db`` (SQLite by default: ``openamr.db`` next to the site file).  The site, its meters
and its devices (with their install codes) are registered in the store before the run
(:func:`register_scenario`); :class:`IngestBackhaul` is the ingest as the simulator's backhaul
(tests and benchmarks compose the simulator with the real head-end through these two).
``--frames-out`` keeps every uplink frame (hex, JSONL).
"""

from __future__ import annotations

import json
import re
import select
import socket
import struct
import sys
import time
from functools import partial
from pathlib import Path
from typing import IO, Any

import click

from openamr.errors import InputError

__all__ = ["IngestBackhaul", "LiveBackhaul", "make_ingest_backhaul", "parse_host_port",
           "register_scenario", "sim"]


# --- --live: frames to a running `openamr serve` ----------------------------------------------
# TCP framing of the head-end's listener (openamr.headend.listener): each frame is preceded by
# its length (u16, big-endian); downlinks come back on the same connection, framed the same way.
# The backhaul has the pipelined interface (submit now, collect at the next upload); joins and
# events wait up to ``wait_s`` for their answers; ``pace="real"`` makes simulated time follow
# the wall clock.

_LENGTH = struct.Struct("!H")


def parse_host_port(text: str) -> tuple[str, int]:
    """``HOST:PORT`` -> (host, port); :class:`InputError` naming ``--live`` otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"expected HOST:PORT, got {text!r}", where="--live")
    return host, int(port)


class LiveBackhaul:
    """Frames to ``openamr serve`` over TCP; downlinks back."""

    def __init__(self, host: str, port: int, *, wait_s: float = 1.0, pace: str = "sim") -> None:
        self.address = f"{host}:{port}"
        try:
            self._sock = socket.create_connection((host, port), timeout=10.0)
        except OSError as exc:
            raise InputError(f"cannot connect to {host}:{port}: {exc}", where="--live") from exc
        self._sock.setblocking(False)
        self._eof = False
        """The server closed the connection (idle timeout, restart): reconnect before sending."""
        self._buf = bytearray()
        self.wait_s = wait_s
        self.pace = pace
        self._t0 = time.monotonic()
        self.frames_sent = 0

    def _pace(self, sim_t_s: float) -> None:
        if self.pace == "real":
            delay = sim_t_s - (time.monotonic() - self._t0)
            if delay > 0:
                time.sleep(delay)

    def _reconnect(self, why: object) -> None:
        """A new connection after the server closed one; a clear error if it is gone."""
        self._sock.close()
        host, _, port = self.address.rpartition(":")
        try:
            self._sock = socket.create_connection((host, int(port)), timeout=10.0)
        except OSError as exc:
            raise click.ClickException(f"the head-end at {self.address} went away ({why}; "
                                       f"reconnecting: {exc}); the simulation stopped after "
                                       f"{self.frames_sent} frames") from None
        self._sock.setblocking(False)
        self._eof = False
        self._buf.clear()

    def _send(self, frames: list[bytes]) -> None:
        data = b"".join(_LENGTH.pack(len(f)) + f for f in frames)
        if self._eof:
            self._reconnect("it closed the connection")
        for attempt in (0, 1):
            self._sock.setblocking(True)
            try:
                self._sock.sendall(data)
                break
            except OSError as exc:
                if attempt:
                    raise click.ClickException(
                        f"the head-end at {self.address} went away ({exc}); the simulation "
                        f"stopped after {self.frames_sent} frames") from None
                self._reconnect(exc)
            finally:
                self._sock.setblocking(False)
        self.frames_sent += len(frames)

    def _read(self, timeout_s: float) -> list[bytes]:
        """Frames that arrive within ``timeout_s`` (and until the line is quiet for 50 ms)."""
        out: list[bytes] = []
        deadline = time.monotonic() + timeout_s
        while self._sock.fileno() >= 0:  # (closed after the server went away)
            left = deadline - time.monotonic()
            quiet = 0.05 if out else max(0.0, left)
            ready, _, _ = select.select([self._sock], [], [], min(max(left, 0.0), quiet))
            if not ready:
                break
            try:
                chunk = self._sock.recv(1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self._eof = True
                break
            self._buf.extend(chunk)
            while len(self._buf) >= 2:
                (n,) = _LENGTH.unpack_from(self._buf)
                if len(self._buf) < 2 + n:
                    break
                out.append(bytes(self._buf[2:2 + n]))
                del self._buf[:2 + n]
            if time.monotonic() >= deadline and out:
                break
        return out

    def submit(self, frames: list[bytes], sim_t_s: float) -> None:
        """Send a periodic batch; its answers arrive with a later :meth:`collect`."""
        self._pace(sim_t_s)
        self._send(frames)

    def collect(self) -> list[bytes]:
        """Downlinks that arrived so far."""
        return self._read(0.0)

    def __call__(self, frames: list[bytes], sim_t_s: float) -> list[bytes]:
        """Send and wait up to ``wait_s`` for the answers."""
        self._pace(sim_t_s)
        self._send(frames)
        return self._read(self.wait_s)

    def close(self) -> None:
        """Let the server answer what it still holds (up to ``wait_s``), then close."""
        self._read(self.wait_s)
        self._sock.close()


@click.group()
def sim() -> None:
    """Simulate a site's wireless mesh (DCAP, repeaters, MDTs)."""


def register_scenario(store: Any, site_id: str, name: str, time_zone: str, scenario: Any, *,
                      units: dict[str, str | None] | None = None) -> None:
    """Put the site, its meters (with their ``units``: meter id -> unit) and devices (with
    install codes) into ``store``, all or nothing (a clash is an :class:`InputError`)."""
    from openamr.errors import StoreError
    from openamr.headend.store.base import Device, Meter, Site

    units = units or {}
    try:
        with store.transaction():  # all or nothing: a clash leaves the store as it was
            store.upsert_site(Site(site_id, name, time_zone))
            for spec in scenario.nodes:
                dev_id = f"{spec.eui:016x}"
                role = spec.role.name.lower()
                meter_id = spec.id if role == "mdt" else None
                if meter_id is not None:
                    store.upsert_meter(Meter(meter_id, site_id, dev_id, spec.model, 10.0,
                                             unit=units.get(spec.id)))
                store.upsert_device(Device(dev_id, role, site_id, meter_id, spec.model,
                                           spec.install_code.hex(), scenario.epoch_s,
                                           local_id=spec.id))
    except StoreError as exc:
        raise InputError(str(exc), where=f"site {site_id!r}") from None


def _register_positions(store: Any, site: Any, scenario: Any) -> None:
    """Where each device is mounted (floor, x/y [m], placement, its site-file name), for the
    dashboard's floor plans and the commissioning tool (``Store.put_device_positions``)."""
    from openamr.headend.store.base import DevicePosition

    store.put_device_positions([
        DevicePosition(f"{spec.eui:016x}", site.site_id, spec.id, placed.floor, placed.x_m,
                       placed.y_m, str(placed.placement))
        for spec in scenario.nodes for placed in (site.device(spec.id),)])


def _register_units(store: Any, site: Any) -> None:
    """Put the site's units into the store: the meters' ``unit`` keys grouped, with the name,
    kind and floor area of ``[[units]]`` (docs/units-tenants.md)."""
    from openamr.headend.store.units import Unit

    def safe(label: str) -> str:  # the store's id alphabet (headend.ids): "Shop A" -> "Shop-A"
        return re.sub(r"[^A-Za-z0-9._~-]+", "-", label).strip("-._~") or "unit"

    described = {u.id: u for u in site.units}
    members: dict[str, list[str]] = {u.id: [] for u in site.units}
    for meter in site.meters:
        if meter.unit is not None:
            members.setdefault(meter.unit, []).append(meter.id)
    with store.transaction():
        for label in members:
            info = described.get(label)
            name = (info.name if info and info.name else None) or label
            unit = Unit(safe(label), site.site_id, (), name if name != safe(label) else "",
                        (info.kind or "") if info else "", info.floor_area_m2 if info else None)
            store.upsert_unit(unit)  # empty first: a meter may move between units
        for label, meter_ids in members.items():
            unit = store.get_unit(safe(label), site_id=site.site_id)
            store.upsert_unit(Unit(unit.unit_id, unit.site_id, tuple(meter_ids), unit.name,
                                   unit.kind, unit.floor_area_m2))


class IngestBackhaul:
    """The head-end's ingest over a store, as the simulator's backhaul: every frame that
    reaches the DCAP is verified and stored, and the downlinks go back into the mesh.

    Stamps arrivals ``epoch_s + sim_t_s`` [UTC epoch s].  ``close_store``: close the store in
    :meth:`close` (the store was opened for this backhaul)."""

    def __init__(self, store: Any, epoch_s: int, dcap_eui: int, *,
                 close_store: bool = False) -> None:
        from openamr.headend.ingest import Ingest

        self.store = store
        self.ingest = Ingest(store, dcap_id=dcap_eui)
        self.epoch_s = epoch_s
        self._close_store = close_store

    def __call__(self, frames: list[bytes], sim_t_s: float) -> list[bytes]:
        replies = self.ingest.handle_batch(frames, int(self.epoch_s + sim_t_s))
        return [d for per_frame in replies for d in per_frame]

    def close(self) -> None:
        """Close the store when this backhaul opened it."""
        if self._close_store:
            self.store.close()


def make_ingest_backhaul(db: str, epoch_s: int, dcap_eui: int) -> IngestBackhaul:
    """An :class:`IngestBackhaul` over the store at ``db`` (picklable through
    ``functools.partial``: the pipelined worker builds it in its own process)."""
    from openamr.headend.store import open_store

    return IngestBackhaul(open_store(db), epoch_s, dcap_eui, close_store=True)


def _prepare_store(db: str, site: Any, scenario: Any, *, refuse_used: bool = True) -> None:
    """Register the site (devices, meters, units and TOU periods) in the store at ``db``."""
    from openamr.headend.store import open_store, redact
    from openamr.headend.tou import set_site_tou

    store = open_store(db)
    try:
        heard = store.load_replay_windows() if refuse_used else {}
        if refuse_used and (store.interval_count(site_id=site.site_id) > 0 or any(
                f"{n.eui:016x}" in heard for n in scenario.nodes)):
            # the simulated devices start with fresh frame counters: against a store that
            # heard this site before every frame would be a replay (other sites do not matter)
            raise InputError(f"the store already holds data of site {site.site_id!r}; "
                             "simulate into a new --db", where=redact(db))
        with store.transaction():  # a bad [tou] leaves nothing registered
            register_scenario(store, site.site_id, site.name, site.time_zone, scenario,
                              units={m.id: m.unit for m in site.meters})
            _register_units(store, site)
            _register_positions(store, site, scenario)
            set_site_tou(store, site.site_id, site.tou, where=f"{site.source or 'site'}: tou",
                         updated_s=scenario.epoch_s)
    finally:
        store.close()


def _rejection_counts(db: str) -> dict[str, int]:
    from openamr.headend.store import open_store

    store = open_store(db)
    try:
        return dict(store.rejection_counts())
    finally:
        store.close()


def _store_counts(db: str, summary: dict[str, Any], scenario: Any, end_s: int,
                  rejected_before: dict[str, int], site_id: str) -> None:
    """What THIS run stored: intervals of the scenario's meters within the run, and the
    rejections added during the run (a store may hold other sites' data)."""
    from openamr.frames import DeviceRole
    from openamr.headend.store import open_store

    meter_ids = [n.id for n in scenario.nodes if n.role == DeviceRole.MDT]
    store = open_store(db)
    try:
        after = store.rejection_counts()
        summary["frames_rejected"] = {k: v - rejected_before.get(k, 0) for k, v in after.items()
                                      if v - rejected_before.get(k, 0) > 0}
        stored = (store.get_intervals_bulk(meter_ids, start_s=scenario.epoch_s, end_s=end_s,
                                           site_id=site_id) if meter_ids else ())
        summary["intervals_stored"] = len(stored)
    finally:
        store.close()


@sim.command("run")
@click.argument("site_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--days", type=click.FloatRange(min=0.0, min_open=True), required=True,
              help="Simulated days.")
@click.option("--db", "db", default=None,
              help="Store for the head-end ingest (default: openamr.db next to the site file).")
@click.option("--seed", type=int, default=None, help="Random seed (default: the site's).")
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write a JSONL trace of network events.")
@click.option("--frames-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write every frame that reached the DCAP (hex, JSONL).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--live", "live", default=None, metavar="HOST:PORT",
              help="Send frames to a running `openamr serve` (its TCP frame port) instead of "
                   "an in-process ingest; --db then names the server's store to register the "
                   "site in.")
@click.option("--pace", type=click.Choice(["sim", "real"]), default="sim", show_default=True,
              help="With --live: as fast as the server answers, or simulated time = wall time.")
@click.option("--live-wait-s", type=click.FloatRange(min=0.0), default=1.0, show_default=True,
              help="With --live: how long a join or event waits for the server's answer [s].")
@click.option("--require-all-joined", is_flag=True,
              help="Exit 1 when a repeater or MDT never joined (they are named in the summary).")
def run(site_file: Path, days: float, db: str | None, seed: int | None, trace_path: Path | None,
        frames_out: Path | None, as_json: bool, live: str | None, pace: str,
        live_wait_s: float, require_all_joined: bool) -> None:
    """Simulate SITE_FILE for --days and print a summary."""
    from openamr.field.mesh.params import MeshParams
    from openamr.field.sim.pipeline import PipelinedBackhaul
    from openamr.field.sim.runner import SimRun
    from openamr.field.sim.site_scenario import scenario_from_site
    from openamr.field.site import load_site

    if not site_file.exists():
        raise InputError("no such file", where=str(site_file))
    site = load_site(site_file)
    params = MeshParams()
    epoch_s: int | None = None
    if live is not None:
        # the server stamps arrivals with its own clock: end the simulated timeline now
        from openamr.timeutil import epoch_s as to_epoch_s
        from openamr.timeutil import utc_now

        drain_s = 2 * params.report_period_s + params.dcap_upload_s
        epoch_s = int(to_epoch_s(utc_now()) - days * 86400 - drain_s)
    scenario = scenario_from_site(site, days, seed=seed, epoch_s=epoch_s)
    inner: Any
    wired = live is None or bool(db)
    db_path = db or ("" if live is not None else str(site_file.with_name("openamr.db")))
    if wired:
        _prepare_store(db_path, site, scenario)
    rejected_before = _rejection_counts(db_path) if wired else {}
    if live is not None:
        host, port = parse_host_port(live)
        inner = LiveBackhaul(host, port, wait_s=live_wait_s, pace=pace)
    else:
        # the head-end works in its own process (the second core), one upload behind
        inner = PipelinedBackhaul(partial(make_ingest_backhaul, db_path, scenario.epoch_s,
                                          scenario.nodes[0].eui))
    out_file: IO[str] | None = frames_out.open("w") if frames_out else None
    backhaul: Any = inner
    if out_file is not None:
        backhaul = _Tap(inner, out_file)
    trace: IO[str] | None = trace_path.open("w") if trace_path else None
    try:
        simulation = SimRun(scenario, backhaul, params=params, trace=trace)
        if as_json or not sys.stdout.isatty():
            summary = simulation.run(days)
        else:
            from rich.progress import Progress

            with Progress() as progress:
                task = progress.add_task("simulated days", total=days)
                summary = simulation.run(
                    days, progress=lambda d: progress.update(task, completed=d))
    finally:
        inner.close()
        if trace is not None:
            trace.close()
        if out_file is not None:
            out_file.close()
    end_s = int(scenario.epoch_s + days * 86400)
    if wired:
        _store_counts(db_path, summary, scenario, end_s, rejected_before, site.site_id)
    else:
        summary["frames_rejected"] = None  # known to the server (GET /rejections)
        summary["intervals_stored"] = None
    summary["store"] = db_path if wired else None
    summary["live"] = live
    if as_json:
        click.echo(json.dumps(summary, sort_keys=True))
    else:
        _print_summary(summary)
    if require_all_joined and summary["never_joined"]:
        raise SystemExit(1)


class _Tap:
    """Writes every uplink batch to ``--frames-out`` (hex, JSONL) on its way to the backhaul."""

    def __init__(self, inner: Any, out: IO[str]) -> None:
        self.inner = inner
        self.out = out
        if hasattr(inner, "submit"):
            self.submit = self._submit
            self.collect = inner.collect

    def _write(self, frames: list[bytes], sim_t_s: float) -> None:
        for f in frames:
            self.out.write(json.dumps({"sim_t_s": round(sim_t_s, 3), "frame": f.hex()}) + "\n")

    def _submit(self, frames: list[bytes], sim_t_s: float) -> None:
        self._write(frames, sim_t_s)
        self.inner.submit(frames, sim_t_s)

    def __call__(self, frames: list[bytes], sim_t_s: float) -> list[bytes]:
        self._write(frames, sim_t_s)
        result: list[bytes] = self.inner(frames, sim_t_s)
        return result


def _print_summary(s: dict[str, Any]) -> None:
    j = s["join_time_s"]
    lines = [
        f"MDTs {s['mdts']} (joined {s['joined']['mdt']}), repeaters {s['repeaters']} "
        f"(joined {s['joined']['repeater']}) over {s['days']} days",
        f"join time p50/max: repeaters {j['repeater']['p50']}/{j['repeater']['max']} s, "
        f"MDTs {j['mdt']['p50']}/{j['mdt']['max']} s",
        f"intervals: expected {s['intervals_expected']}, stored {s['intervals_stored']}",
        f"read success: 24 h {s['read_success_24h_ratio']}, 72 h {s['read_success_72h_ratio']}",
        f"hops mean/max {s['hops']['mean']}/{s['hops']['max']}; parent-link margin p50/min "
        f"{s['links']['margin_db_p50']}/{s['links']['margin_db_min']} dB",
        f"battery projection p50/min {s['battery_projection_years']['p50']}/"
        f"{s['battery_projection_years']['min']} years",
        f"frames rejected: {s['frames_rejected'] or 'none'}",
        f"never joined: {', '.join(s['never_joined']) or 'none'}",
        f"store: {s['store'] or '-'}{'; live: ' + s['live'] if s['live'] else ''}",
        f"{s['events']} events in {s['wall_s']} s",
    ]
    click.echo("\n".join(lines))
