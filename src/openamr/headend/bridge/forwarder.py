"""The DCAP side of the bridge: frames received by the listener go to the broker, and the
workers' downlinks come back (``openamr serve --forward mqtt://…``).

:class:`MqttForwarder` has the shape of :meth:`Ingest.handle_batch`, so the frame listener
uses it unchanged: a batch is published as one uplink message (QoS 1) with an MQTT 5 response
topic and correlation data, and the call returns when the workers' downlink message for it
arrives (after their commit), or with no downlinks after ``timeout_s`` (the devices resend, as
they would after any lost ACK).  One batch is in flight per forwarder at a time, as with the
listener's own ingest.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes

from openamr.errors import InputError
from openamr.headend.bridge.client import BridgeClient, properties
from openamr.headend.bridge.envelope import decode_downlinks, encode_uplinks
from openamr.headend.bridge.topics import BrokerUrl, check_id, down_topic, up_topic
from openamr.headend.ingest import IngestStats

__all__ = ["MqttForwarder"]

log = logging.getLogger(__name__)


@dataclass
class _Waiting:
    n_frames: int
    done: threading.Event = field(default_factory=threading.Event)
    replies: list[list[bytes]] | None = None


class MqttForwarder:
    """Forward frame batches to the ingest workers through ``url`` as gateway ``gateway``."""

    def __init__(self, url: BrokerUrl, gateway: str, *, timeout_s: float = 10.0) -> None:
        self.gateway = check_id(gateway, "gateway id")
        self.timeout_s = timeout_s
        self.up = up_topic(url.prefix, gateway)
        self.down = down_topic(url.prefix, gateway)
        self._waiting: dict[bytes, _Waiting] = {}
        self._lock = threading.Lock()
        self.timeouts = 0
        """Batches that got no downlink in time."""
        self.stats = IngestStats()
        """Frames and batches forwarded (the listener's batch log reads it)."""
        self._mqtt = BridgeClient(url, f"openamr-gw-{gateway}-{os.getpid()}",
                                  subscriptions=(self.down,))
        self._mqtt.client.on_message = self._on_message

    def start(self) -> None:
        """Connect and subscribe to this gateway's downlink topic."""
        self._mqtt.start()

    def stop(self) -> None:
        """Disconnect (batches still waiting return with no downlinks)."""
        self._mqtt.stop()
        with self._lock:
            for waiting in self._waiting.values():
                waiting.done.set()

    def handle_batch(self, frames: Sequence[bytes], received_s: float | None = None,
                     *, origins: Sequence[str] | None = None) -> list[list[bytes]]:
        """Publish ``frames``; return the downlinks of each (see the module docstring).
        ``received_s`` and ``origins`` are accepted for the listener's call and not sent: the
        worker stamps the batch with its own clock, as ``openamr serve`` does."""
        self.stats.frames += len(frames)
        self.stats.batches += 1
        correlation = uuid.uuid4().bytes
        waiting = _Waiting(len(frames))
        with self._lock:
            self._waiting[correlation] = waiting
        props = properties(PacketTypes.PUBLISH, ResponseTopic=self.down,
                           CorrelationData=correlation)
        try:
            self._mqtt.publish(self.up, encode_uplinks(frames), props)
            waiting.done.wait(self.timeout_s)
        finally:
            with self._lock:
                self._waiting.pop(correlation, None)
        if waiting.replies is None:
            self.timeouts += 1
            log.warning("no downlinks for a batch of %d frames within %.1f s; the devices will "
                        "resend", len(frames), self.timeout_s)
            return [[] for _ in frames]
        return waiting.replies

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        correlation = getattr(msg.properties, "CorrelationData", None)
        with self._lock:
            waiting = self._waiting.get(bytes(correlation)) if correlation else None
        if waiting is None:
            log.debug("a downlink message for no waiting batch (late or foreign); dropped")
            return
        try:
            replies = decode_downlinks(msg.payload)
        except InputError as exc:
            log.error("malformed downlink message on %s: %s", msg.topic, exc)
            return
        if len(replies) != waiting.n_frames:
            log.error("downlink message answers %d frames, the batch had %d; dropped",
                      len(replies), waiting.n_frames)
            return
        waiting.replies = replies
        waiting.done.set()
