"""``openamr serve``: the head-end process.

Runs, in one asyncio loop: the frame listener (UDP and TCP, :mod:`openamr.headend.listener`)
feeding the ingest, the HTTP API (``openamr.headend.api.create_app`` under uvicorn, if that
room is installed), the push service (``openamr.headend.push.PushService``) and the alarm rules
(``openamr.headend.alarms.AlarmRules``, swept every ``[alarms] sweep_interval_s``), both
subscribed to the ingest.  When everything listens it prints one line starting with
``openamr serve ready`` on stdout.  SIGTERM or SIGINT stops it gracefully: the listener stops
reading, commits and answers what it received, the API and the push stop, the store closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from openamr.headend.settings import Settings, load_settings
from openamr.timeutil import epoch_s, utc_now

__all__ = ["run_server", "serve"]

log = logging.getLogger("openamr.serve")


def _optional(module: str, attr: str) -> Any | None:
    """``module.attr`` if that room is installed, else None (other import errors propagate)."""
    try:
        return getattr(importlib.import_module(module), attr)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            return None
        raise


async def run_server(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT (see the module docstring)."""
    from openamr.headend.ingest import Ingest
    from openamr.headend.listener import FrameListener
    from openamr.headend.store import open_store

    store = open_store(settings.store.url,
                       sqlite_synchronous=settings.store.sqlite_synchronous)
    ingest = Ingest(store, settings=settings.ingest)
    notes: list[str] = []

    push = None
    push_cls = _optional("openamr.headend.push", "PushService")
    if push_cls is not None:
        push = push_cls(store, settings)
        ingest.subscribe(push.on_stored)
    else:
        notes.append("push: not installed")
    alarms = None
    alarms_cls = _optional("openamr.headend.alarms", "AlarmRules")
    if alarms_cls is not None:
        alarms = alarms_cls(store, settings)
        ingest.subscribe(alarms.on_stored)
    else:
        notes.append("alarms: not installed")

    lset = settings.listener
    listener = FrameListener(ingest, host=lset.host, udp_port=lset.udp_port or None,
                             tcp_port=lset.tcp_port or None,
                             commit_interval_ms=settings.ingest.commit_interval_ms,
                             max_batch_frames=settings.ingest.max_batch_frames)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    api_server = None
    api_task: asyncio.Task[None] | None = None
    create_app = _optional("openamr.headend.api", "create_app")
    if create_app is None:
        notes.append("API: openamr.headend.api is not installed; serving the frame listener "
                     "only")
    else:
        import uvicorn

        class _Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:  # we handle signals ourselves
                yield

        from openamr.web import mount_web

        app = create_app(store, settings)
        mount_web(app)  # the dashboard and commissioning tool at /
        config = uvicorn.Config(app, host=settings.api.host,
                                port=settings.api.port, log_level="warning", lifespan="on")
        api_server = _Server(config)

        async def _serve_api(server: uvicorn.Server) -> None:
            try:
                await server.serve()
            except SystemExit:  # uvicorn exits when it cannot start (port in use ...)
                log.error("the API server could not start")

        api_task = asyncio.create_task(_serve_api(api_server), name="openamr-api")

    try:
        await listener.start()
    except OSError as exc:
        store.close()
        raise click.ClickException(f"cannot listen for frames on {lset.host} "
                                   f"(udp {lset.udp_port}, tcp {lset.tcp_port}): {exc}") from exc
    if push is not None:
        push.start()
    if api_server is not None and api_task is not None:
        while not api_server.started and not api_task.done():
            await asyncio.sleep(0.01)  # uvicorn exposes no readiness event
        if api_task.done():  # uvicorn could not start (port in use ...): stop what runs
            await listener.stop()
            if push is not None:
                await loop.run_in_executor(None, push.stop)
            store.close()
            raise click.ClickException(f"cannot serve the API on {settings.api.host}:"
                                       f"{settings.api.port} (see the log above)")
    parts = [f"db={store.url}"]
    if listener.udp_address:
        parts.append(f"udp={listener.udp_address[0]}:{listener.udp_address[1]}")
    if listener.tcp_address:
        parts.append(f"tcp={listener.tcp_address[0]}:{listener.tcp_address[1]}")
    if api_server is not None:
        parts.append(f"api=http://{settings.api.host}:{settings.api.port}")
    print(f"openamr serve ready {' '.join(parts)}", flush=True)
    for note in notes:
        print(f"openamr serve: {note}", flush=True)

    sweeper = asyncio.create_task(_sweep(ingest, alarms, settings.alarms.sweep_interval_s, stop),
                                  name="openamr-sweep")
    try:
        await stop.wait()
    finally:
        await listener.stop()  # commit and answer what was received
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        if api_server is not None and api_task is not None:
            api_server.should_exit = True
            await api_task
        if push is not None:
            await loop.run_in_executor(None, push.stop)
        store.close()
        print("openamr serve stopped", flush=True)


async def _sweep(ingest: Any, alarms: Any, interval_s: int, stop: asyncio.Event) -> None:
    """Every ``interval_s``: pick up changed devices and meters, run the alarm sweep."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)
        if stop.is_set():
            return
        try:
            await loop.run_in_executor(None, ingest.refresh)
            if alarms is not None:
                now_s = epoch_s(utc_now())
                await loop.run_in_executor(None, alarms.sweep, now_s)
        except Exception:
            log.exception("periodic sweep failed")


@click.command("serve")
@click.option("--db", default=None, metavar="PATH|URL",
              help="The store: a SQLite path or postgresql://... ([store] url).")
@click.option("--host", default=None, help="Address of the HTTP API ([api] host).")
@click.option("--port", type=int, default=None, help="Port of the HTTP API ([api] port).")
@click.option("--config", "config", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="TOML settings file (see docs/configuration.md).")
@click.option("--udp-port", type=int, default=None,
              help="UDP port of the frame listener, 0: off ([listener] udp_port).")
@click.option("--tcp-port", type=int, default=None,
              help="TCP port of the frame listener, 0: off ([listener] tcp_port).")
def serve(db: str | None, host: str | None, port: int | None, config: Path | None,
          udp_port: int | None, tcp_port: int | None) -> None:
    """Run the head-end: frame listener, ingest, API, push and alarms."""
    settings = load_settings(config, overrides={
        "store": {"url": db}, "api": {"host": host, "port": port},
        "listener": {"udp_port": udp_port, "tcp_port": tcp_port}})
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run_server(settings))
