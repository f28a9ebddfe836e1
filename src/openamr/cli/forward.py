"""``openamr serve --forward mqtt://…``: a DCAP that forwards its frames to ingest workers.

The frame listener runs as in ``openamr serve`` (same batching, downlinks only after the
workers' commit), with an :class:`~openamr.headend.bridge.MqttForwarder` in place of the
ingest; there is no store, API, push or alarms here: the workers and the head-end that serves
the API share the PostgreSQL store.
"""

from __future__ import annotations

import asyncio
import signal
import socket

import click

from openamr.errors import OpenAMRError
from openamr.headend.bridge import MqttForwarder, parse_broker_url
from openamr.headend.listener import FrameListener
from openamr.headend.settings import Settings

__all__ = ["run_forwarder"]


async def run_forwarder(settings: Settings, url: str, gateway_id: str | None) -> None:
    """Listen for frames and forward them until SIGTERM/SIGINT."""
    broker = parse_broker_url(url, where="--forward")
    forwarder = MqttForwarder(broker, gateway_id or socket.gethostname().split(".")[0])
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, forwarder.start)
    except OpenAMRError as exc:
        raise click.ClickException(str(exc)) from exc
    lset = settings.listener
    listener = FrameListener(forwarder, host=lset.host, udp_port=lset.udp_port or None,
                             tcp_port=lset.tcp_port or None,
                             commit_interval_ms=settings.ingest.commit_interval_ms,
                             max_batch_frames=settings.ingest.max_batch_frames)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await listener.start()
    except OSError as exc:
        forwarder.stop()
        raise click.ClickException(f"cannot listen for frames on {lset.host}: {exc}") from exc
    parts = [f"forward={broker.redacted()}", f"gateway={forwarder.gateway}"]
    if listener.udp_address:
        parts.append(f"udp={listener.udp_address[0]}:{listener.udp_address[1]}")
    if listener.tcp_address:
        parts.append(f"tcp={listener.tcp_address[0]}:{listener.tcp_address[1]}")
    print(f"openamr serve ready {' '.join(parts)}", flush=True)
    try:
        await stop.wait()
    finally:
        await listener.stop()
        forwarder.stop()
        print("openamr serve stopped", flush=True)
