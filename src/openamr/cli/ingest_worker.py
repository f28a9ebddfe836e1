"""``openamr ingest-worker``: one of several processes that share the frame stream of many
DCAPs through an MQTT broker and write one PostgreSQL store (see docs/scaling.md).

It runs the same verified ingest as ``openamr serve`` (in shared-store mode), plus the alarm
rules and the push outbox fed by what it stores, and prints ``openamr ingest-worker ready``
once subscribed.  SIGTERM or SIGINT stops it after the batch in hand.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click

from openamr.errors import InputError, OpenAMRError
from openamr.headend.alarms import AlarmRules
from openamr.headend.bridge import IngestWorker, parse_broker_url
from openamr.headend.ingest import Ingest
from openamr.headend.push import PushService
from openamr.headend.settings import load_settings
from openamr.headend.store import open_store

__all__ = ["ingest_worker"]


@click.command("ingest-worker")
@click.option("--broker", required=True, metavar="mqtt://HOST[:PORT][/PREFIX]",
              help="The broker the DCAPs forward to (mqtts:// for TLS; user:password@ "
                   "for credentials).")
@click.option("--db", default=None, metavar="URL",
              help="The shared store, postgresql://... ([store] url).")
@click.option("--group", default="openamr-ingest", show_default=True,
              help="The shared-subscription group: workers of one group split the stream.")
@click.option("--client-id", default=None,
              help="MQTT client id; the same id after a restart resumes the broker session "
                   "(default: host name and process id).")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="TOML settings file (see docs/configuration.md).")
def ingest_worker(broker: str, db: str | None, group: str, client_id: str | None,
                  config: Path | None) -> None:
    """Ingest frames forwarded through an MQTT broker into a shared PostgreSQL store."""
    url = parse_broker_url(broker)
    settings = load_settings(config, overrides={"store": {"url": db}})
    if not settings.store.url.startswith(("postgresql://", "postgres://")):
        raise InputError("ingest workers share one store: give a postgresql:// URL "
                         f"(got {settings.store.url!r})", where="--db")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store = open_store(settings.store.url)
    ingest = Ingest(store, settings=settings.ingest, shared_store=True)
    alarms = AlarmRules(store, settings)
    ingest.subscribe(alarms.on_stored)
    push = PushService(store, settings)
    ingest.subscribe(push.on_stored)
    worker = IngestWorker(ingest, url, group=group, client_id=client_id,
                          commit_interval_ms=settings.ingest.commit_interval_ms,
                          max_batch_frames=settings.ingest.max_batch_frames)
    try:
        worker.start()
    except OpenAMRError as exc:
        store.close()
        raise click.ClickException(str(exc)) from exc

    def _stop(signum: int, frame: FrameType | None) -> None:
        worker.stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    push.start()
    print(f"openamr ingest-worker ready broker={url.redacted()} group={group} "
          f"client={worker.client_id}", flush=True)
    runner = threading.Thread(target=worker.run, name="openamr-ingest-worker")
    runner.start()
    runner.join()
    worker.close()
    push.stop()
    store.close()
    print("openamr ingest-worker stopped", flush=True)
