"""``openamr serve``: the head-end process.

Runs, in one asyncio loop: the frame listener (UDP and TCP, :mod:`openamr.headend.listener`)
feeding the ingest, the HTTP API (``openamr.headend.api.create_app`` under uvicorn, with
``/metrics``), the push service (``openamr.headend.push.PushService``) and the alarm rules
(``openamr.headend.alarms.AlarmRules``, swept every ``[alarms] sweep_interval_s``), both
subscribed to the ingest, and the retention (``[retention]``).  Every part is imported directly:
a broken installation fails at start-up, it never serves with a part silently missing.  When
everything listens it prints one line starting with ``openamr serve ready`` on stdout (the
store's password redacted).  SIGTERM or SIGINT stops it gracefully: the listener stops reading,
commits and answers what it received, the API and the push stop, the store closes.

Logs go to stderr through :mod:`logging` (``--log-level``; ``--log-format json`` writes one JSON
object per line): each batch with rejections (summarised by reason), ingest failures, alarms
raised and cleared, push delivery failures, reconnections of the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from openamr.headend.logs import LOG_LEVELS, configure_logging
from openamr.headend.settings import Settings, load_settings
from openamr.timeutil import epoch_s, utc_now

__all__ = ["run_server", "serve"]

log = logging.getLogger("openamr.serve")


async def run_server(settings: Settings, *, create: bool = False) -> None:
    """Serve until SIGTERM/SIGINT (see the module docstring); ``create``: make the store if it
    does not exist (else a missing store is an error)."""
    import uvicorn

    from openamr.headend.alarms import AlarmRules
    from openamr.headend.api import create_app
    from openamr.headend.ingest import Ingest
    from openamr.headend.listener import FrameListener
    from openamr.headend.metrics import Metrics
    from openamr.headend.push import PushService
    from openamr.headend.store import open_store

    store = open_store(settings.store.url, create=create,
                       sqlite_synchronous=settings.store.sqlite_synchronous)
    ingest = Ingest(store, settings=settings.ingest)
    metrics = Metrics(store, ingest)
    push = PushService(store, settings)
    ingest.subscribe(push.on_stored)
    alarms = AlarmRules(store, settings)
    ingest.subscribe(alarms.on_stored)

    lset = settings.listener
    listener = FrameListener(ingest, host=lset.host, udp_port=lset.udp_port or None,
                             tcp_port=lset.tcp_port or None,
                             commit_interval_ms=settings.ingest.commit_interval_ms,
                             max_batch_frames=settings.ingest.max_batch_frames,
                             idle_timeout_s=lset.idle_timeout_s,
                             observe_batch=metrics.observe_batch)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:  # we handle signals ourselves
            yield

    from openamr.web import mount_web

    app = create_app(store, settings, metrics=metrics, on_devices_changed=ingest.refresh)
    mount_web(app)  # the dashboard and commissioning tool at /
    config = uvicorn.Config(app, host=settings.api.host, port=settings.api.port,
                            log_level="warning", lifespan="on")
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
    push.start()
    while not api_server.started and not api_task.done():
        await asyncio.sleep(0.01)  # uvicorn exposes no readiness event
    if api_task.done():  # uvicorn could not start (port in use ...): stop what runs
        await listener.stop()
        await loop.run_in_executor(None, push.stop)
        store.close()
        raise click.ClickException(f"cannot serve the API on {settings.api.host}:"
                                   f"{settings.api.port} (see the log above)")
    parts = [f"db={store.url}"]
    if listener.udp_address:
        parts.append(f"udp={listener.udp_address[0]}:{listener.udp_address[1]}")
    if listener.tcp_address:
        parts.append(f"tcp={listener.tcp_address[0]}:{listener.tcp_address[1]}")
    parts.append(f"api=http://{settings.api.host}:{settings.api.port}")
    print(f"openamr serve ready {' '.join(parts)}", flush=True)

    sweeper = asyncio.create_task(_sweep(ingest, alarms, store, settings, stop),
                                  name="openamr-sweep")
    try:
        await stop.wait()
    finally:
        await listener.stop()  # commit and answer what was received
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        api_server.should_exit = True
        await api_task
        await loop.run_in_executor(None, push.stop)
        store.close()
        print("openamr serve stopped", flush=True)


async def _sweep(ingest: Any, alarms: Any, store: Any, settings: Settings,
                 stop: asyncio.Event) -> None:
    """Every ``[alarms] sweep_interval_s``: pick up changed devices and meters, run the alarm
    sweep; every ``[retention] prune_interval_s``: apply the retention and, on PostgreSQL,
    create the coming month's interval partition and move rows out of DEFAULT."""
    from openamr.headend.retention import apply_retention
    from openamr.headend.store.postgres import PostgresStore

    loop = asyncio.get_running_loop()
    next_prune = loop.time()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.alarms.sweep_interval_s)
        if stop.is_set():
            return
        try:
            await loop.run_in_executor(None, ingest.refresh)
            now_s = epoch_s(utc_now())
            await loop.run_in_executor(None, alarms.sweep, now_s)
            if loop.time() >= next_prune:
                next_prune = loop.time() + settings.retention.prune_interval_s
                await loop.run_in_executor(None, apply_retention, store, settings.retention,
                                           now_s)
                if isinstance(store, PostgresStore):
                    await loop.run_in_executor(None, store.maintain_partitions, now_s)
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
@click.option("--create", is_flag=True,
              help="Create the store if it does not exist (default: refuse a missing store).")
@click.option("--log-level", type=click.Choice(LOG_LEVELS, case_sensitive=False),
              default="info", show_default=True,
              help="Least severe log records written to stderr.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text lines, or one JSON object per line.")
@click.option("--forward", default=None, metavar="mqtt://HOST[:PORT][/PREFIX]",
              help="Forward frames to ingest workers through this MQTT broker instead of "
                   "ingesting them here (no store; see docs/scaling.md).")
@click.option("--gateway-id", default=None,
              help="With --forward: this DCAP's name in the broker's topics (default: the "
                   "host name).")
def serve(db: str | None, host: str | None, port: int | None, config: Path | None,
          udp_port: int | None, tcp_port: int | None, create: bool, log_level: str,
          log_format: str, forward: str | None, gateway_id: str | None) -> None:
    """Run the head-end: frame listener, ingest, API, push and alarms."""
    settings = load_settings(config, overrides={
        "store": {"url": db}, "api": {"host": host, "port": port},
        "listener": {"udp_port": udp_port, "tcp_port": tcp_port}})
    configure_logging(log_level, log_format)
    if forward is not None:
        from openamr.cli.forward import run_forwarder

        asyncio.run(run_forwarder(settings, forward, gateway_id))
        return
    asyncio.run(run_server(settings, create=create))
