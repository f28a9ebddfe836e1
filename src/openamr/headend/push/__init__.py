"""Push: the DCAP pushes what it stores to MQTT and HTTPS webhooks, through durable outboxes.

``PushService(store, settings)`` is composed by ``openamr serve``: ``on_stored(batch)`` is the
ingest listener (called after each commit) and queues messages in the store's outbox table;
one delivery thread per enabled channel drains it, deleting an item only after the broker's
PUBACK or the endpoint's 2xx, retrying with capped exponential back-off and jitter.  A restart
loses nothing: a new service over the same store delivers what was left.

See ``docs/push.md`` for topics and payloads.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from openamr.headend.push.config import PushConfig
from openamr.headend.push.mqtt import MqttTransport
from openamr.headend.push.outbox import DeliveryWorker, Outbox, RetryPolicy, Transport
from openamr.headend.push.payloads import Message
from openamr.headend.push.publisher import MQTT, WEBHOOK, Publisher
from openamr.headend.push.topics import availability_topic
from openamr.headend.push.webhook import WebhookTransport
from openamr.headend.settings import Settings
from openamr.headend.store.protocols import PushStore

__all__ = [
    "DeliveryWorker",
    "Message",
    "MqttTransport",
    "Outbox",
    "Publisher",
    "PushConfig",
    "PushService",
    "RetryPolicy",
    "WebhookTransport",
]

log = logging.getLogger(__name__)


class PushService:
    """The push of one head-end: outboxes, delivery threads, Home Assistant discovery."""

    def __init__(self, store: PushStore, settings: Settings | None = None, *,
                 config: PushConfig | None = None, clock: Callable[[], float] = time.time,
                 rng: random.Random | None = None,
                 transports: dict[str, Transport] | None = None) -> None:
        self.store = store
        self.config = config or PushConfig.from_settings(settings)
        self.clock = clock
        self.publisher = Publisher(store, self.config, session_s=int(clock()), rng=rng)
        self._transports: dict[str, Transport] = dict(transports or {})
        self.workers: dict[str, DeliveryWorker] = {}
        self._started = False
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------
    def _make_transport(self, channel: str) -> Transport:
        cfg = self.config
        if channel == MQTT:
            return MqttTransport(cfg.mqtt_host, cfg.mqtt_port, qos=cfg.mqtt_qos,
                                 keepalive_s=cfg.keepalive_s, ack_timeout_s=cfg.ack_timeout_s,
                                 reconnect_max_s=max(1, int(cfg.retry_max_s)),
                                 availability_topic=availability_topic(cfg.topic_prefix),
                                 username=cfg.mqtt_username or None,
                                 password=cfg.mqtt_password or None, tls=cfg.mqtt_tls,
                                 tls_ca_file=cfg.mqtt_tls_ca_file or None)
        if channel == WEBHOOK:
            return WebhookTransport(cfg.webhook_url, cfg.webhook_secret,
                                    timeout_s=cfg.webhook_timeout_s)
        raise ValueError(f"unknown push channel {channel!r}")

    def start(self) -> None:
        """Connect the channels, start the delivery threads, publish discovery and states."""
        with self._lock:
            if self._started:
                return
            self._started = True
            for channel, outbox in self.publisher.outboxes.items():
                transport = self._transports.get(channel) or self._make_transport(channel)
                self._transports[channel] = transport
                worker = DeliveryWorker(outbox, transport, poll_s=self.config.poll_s,
                                        clock=self.clock)
                self.workers[channel] = worker
                if isinstance(transport, MqttTransport):
                    transport.on_connected = lambda w=worker: w.wake(flush_all=True)
                    transport.start()
                worker.start()
        meters = self.store.list_meters()
        now_s = self.clock()
        self.publisher.publish_discovery(meters, now_s)
        self.publisher.publish_meter_states([(m.site_id, m.meter_id) for m in meters], now_s)
        self.wake()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the threads and close the transports; undelivered items stay in the outbox."""
        with self._lock:
            if not self._started:
                return
            self._started = False
            for worker in self.workers.values():
                worker.stop(timeout_s)
            for transport in self._transports.values():
                transport.close()
            self.workers.clear()
            self._transports.clear()

    def __enter__(self) -> PushService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- listeners -------------------------------------------------------------------------
    def on_stored(self, batch: Any) -> None:
        """Ingest listener: queue what one commit stored (``StoredBatch``) and wake the threads.

        Never raises into the ingest: a failure is logged (the data stays in the store and can
        be pushed again with ``openamr export`` or a replay).
        """
        try:
            now_s = self.clock()
            queued = self.publisher.publish_stored(batch, now_s)
            table = batch.intervals
            if len(table):
                meter_ids = [str(m) for m in table.meter_id]
                site_ids = ([str(s) for s in table.site_id] if table.site_id is not None
                            else [self.publisher.site_of_meter(m) for m in meter_ids])
                queued += self.publisher.announce_new_meters(
                    zip(site_ids, meter_ids, strict=True), now_s)
            if queued:
                self.wake()
        except Exception:
            log.exception("push: could not queue a stored batch")

    def on_alarm(self, alarm: Any, transition: str, t_s: int) -> None:
        """Alarm listener (``AlarmRules`` queues alarms itself; this only wakes the threads)."""
        self.wake()

    def wake(self) -> None:
        """Tell the delivery threads that items are waiting."""
        for worker in self.workers.values():
            worker.wake()

    # -- inspection ------------------------------------------------------------------------
    def depth(self) -> dict[str, int]:
        """Items waiting per channel."""
        return {c: o.depth() for c, o in self.publisher.outboxes.items()}

    def flush(self, timeout_s: float) -> bool:
        """Block until every outbox is empty or ``timeout_s`` passed; returns whether empty."""
        deadline = time.monotonic() + timeout_s
        while True:
            if not any(self.depth().values()):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.wake()
            threading.Event().wait(min(left, 0.05))
