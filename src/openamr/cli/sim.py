"""``openamr sim run SITE.toml --days N``: simulate a site's mesh and feed the head-end.

Where the field model and the head-end meet, through the single-site job of
:mod:`openamr.compose.site_sim` (:func:`~openamr.compose.site_sim.simulate_site`, also each
task of ``openamr portfolio simulate``): the simulator's backhaul hands every frame that
reaches the DCAP to ``openamr.headend.ingest.Ingest`` over the store at ``--db`` (SQLite by
default: ``openamr.db`` next to the site file), after the site, its meters and its devices
(with their install codes) were registered there.  ``--live`` sends the frames to a running
``openamr serve`` instead (:class:`LiveBackhaul`); ``--frames-out`` keeps every uplink frame
(hex, JSONL).
"""

from __future__ import annotations

import json
import select
import socket
import struct
import sys
import time
from pathlib import Path
from typing import IO, Any

import click

from openamr.errors import InputError
from openamr.field.mdt.battery import SHELF_LIFE_YEARS

__all__ = ["LiveBackhaul", "parse_host_port", "sim"]


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
                if self._sock.fileno() >= 0:  # (a failed reconnect closed it)
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
    from openamr.compose.site_sim import simulate_site
    from openamr.field.mesh.params import MeshParams
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
    db_path = db or (None if live is not None else str(site_file.with_name("openamr.db")))
    backhaul: Any = None
    if live is not None:
        host, port = parse_host_port(live)
        backhaul = LiveBackhaul(host, port, wait_s=live_wait_s, pace=pace)
    out_file: IO[str] | None = frames_out.open("w") if frames_out else None
    trace: IO[str] | None = trace_path.open("w") if trace_path else None
    try:
        if as_json or not sys.stdout.isatty():
            summary = simulate_site(site, scenario, days, db_path, backhaul=backhaul,
                                    params=params, trace=trace, frames_out=out_file)
        else:
            from rich.progress import Progress

            with Progress() as progress:
                task = progress.add_task("simulated days", total=days)
                summary = simulate_site(
                    site, scenario, days, db_path, backhaul=backhaul, params=params,
                    trace=trace, frames_out=out_file,
                    progress=lambda d: progress.update(task, completed=d))
    finally:
        if trace is not None:
            trace.close()
        if out_file is not None:
            out_file.close()
    summary["live"] = live
    if as_json:
        click.echo(json.dumps(summary, sort_keys=True))
    else:
        _print_summary(summary)
    if require_all_joined and summary["never_joined"]:
        raise SystemExit(1)


def _counts(by_code: dict[str, int]) -> str:
    return ", ".join(f"{code} {n}" for code, n in by_code.items()) or "none"


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
        f"{s['battery_projection_years']['min']} years (at most the cell's "
        f"{SHELF_LIFE_YEARS:g}-year shelf life)",
        f"frames rejected: {s['frames_rejected'] or 'none'}",
        f"alarms raised: {_counts(s['alarms']['raised'])}; open at the end: "
        f"{_counts(s['alarms']['open'])}" if s.get("alarms") is not None else
        "alarms: raised by the server (GET /api/v1/alarms)",
        f"never joined: {', '.join(s['never_joined']) or 'none'}",
        f"store: {s['store'] or '-'}{'; live: ' + s['live'] if s['live'] else ''}",
        f"{s['events']} events in {s['wall_s']} s",
    ]
    click.echo("\n".join(lines))
