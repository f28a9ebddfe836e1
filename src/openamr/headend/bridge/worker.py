"""The head-end side of the bridge: ``openamr ingest-worker``.

Each worker holds an MQTT 5 shared subscription ``$share/{group}/{prefix}/up/+``, so the broker
hands every uplink message to one worker of the group.  A worker gathers messages for
``commit_interval_ms`` (or ``max_batch_frames``), verifies and stores them in one commit
through :class:`~openamr.headend.ingest.Ingest` in shared-store mode (per-sender state and the
DCAP's frame counter taken from the store under row locks), publishes each message's downlinks
to its response topic, and only then acknowledges the messages to the broker (manual PUBACK).

Failure model: a worker that dies before its commit loses nothing — its messages were never
acknowledged downstream, the gateway times out and the devices resend (the MDT keeps 35 days
of intervals and the head-end asks for gaps); a worker that dies after its commit but before
the downlinks leaves stored rows that the devices' resends meet idempotently.  A batch whose
store call fails (the database went away) is retried with capped back-off: ingest is
idempotent, so a retry never duplicates.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes

from openamr.errors import InputError
from openamr.headend.bridge.client import BridgeClient, properties
from openamr.headend.bridge.envelope import decode_uplinks, encode_downlinks
from openamr.headend.bridge.topics import BrokerUrl, check_id, shared_up_filter
from openamr.headend.ingest import Ingest

__all__ = ["IngestWorker"]

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 300
"""How long the broker keeps a worker's session (and messages in flight to it) after a
disconnection, so a worker restarted with the same client id picks them up."""


@dataclass(frozen=True, slots=True)
class _Message:
    mid: int
    frames: list[bytes]
    response_topic: str | None
    correlation: bytes | None


class IngestWorker:
    """One ingest worker (see the module docstring).  ``ingest`` must use a shared store."""

    def __init__(self, ingest: Ingest, url: BrokerUrl, *, group: str = "openamr-ingest",
                 client_id: str | None = None, commit_interval_ms: int = 200,
                 max_batch_frames: int = 20_000, retry_max_s: float = 30.0) -> None:
        if not ingest.shared_store:
            raise ValueError("an ingest worker needs Ingest(..., shared_store=True)")
        self.ingest = ingest
        self.url = url
        self.group = check_id(group, "group")
        self.client_id = client_id or f"openamr-ingest-{socket.gethostname()}-{os.getpid()}"
        self.commit_interval_s = commit_interval_ms / 1000
        self.max_batch_frames = max_batch_frames
        self.retry_max_s = retry_max_s
        self.batches = 0
        self.malformed = 0
        self._inbox: queue.Queue[_Message] = queue.Queue()
        self._stop = threading.Event()
        # a session outlives the process only under a stable, given client id (a restart
        # under it resumes the messages in flight); otherwise the broker forgets it at once
        self._mqtt = BridgeClient(url, self.client_id,
                                  subscriptions=(shared_up_filter(url.prefix, group),),
                                  session_expiry_s=SESSION_EXPIRY_S if client_id else 0,
                                  manual_ack=True)
        self._mqtt.client.on_message = self._on_message

    def start(self) -> None:
        """Connect and subscribe (``OpenAMRError`` if the broker refuses)."""
        self._mqtt.start()

    def stop(self) -> None:
        """Ask :meth:`run` to finish the batch in hand and return."""
        self._stop.set()

    def close(self) -> None:
        """Disconnect from the broker."""
        self._mqtt.stop()

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        props = msg.properties
        try:
            frames = decode_uplinks(msg.payload)
        except InputError as exc:
            self.malformed += 1
            log.error("malformed uplink message on %s: %s; acknowledged and dropped",
                      msg.topic, exc)
            client.ack(msg.mid, msg.qos)
            return
        self._inbox.put(_Message(msg.mid, frames, getattr(props, "ResponseTopic", None),
                                 getattr(props, "CorrelationData", None)))

    def run(self) -> None:
        """Gather, ingest, answer and acknowledge until :meth:`stop`."""
        while not self._stop.is_set():
            try:
                first = self._inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            batch = [first]
            frames = len(first.frames)
            deadline = time.monotonic() + self.commit_interval_s
            while frames < self.max_batch_frames:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    msg = self._inbox.get(timeout=remaining)
                except queue.Empty:
                    break
                batch.append(msg)
                frames += len(msg.frames)
            self._process(batch)

    def _process(self, batch: list[_Message]) -> None:
        all_frames = [f for m in batch for f in m.frames]
        origins = [f"mqtt:{m.response_topic or '-'}" for m in batch for _ in m.frames]
        delay_s = 0.5
        while True:
            try:
                replies = self.ingest.handle_batch(all_frames, None, origins=origins)
                break
            except Exception:
                if self._stop.is_set():
                    log.error("stopping with a batch of %d frames not stored; it is not "
                              "acknowledged, so the devices resend it", len(all_frames))
                    return
                log.exception("ingest of a batch of %d frames failed; retrying in %.1f s",
                              len(all_frames), delay_s)
                self._stop.wait(delay_s)
                delay_s = min(delay_s * 2, self.retry_max_s)
        self.batches += 1
        client = self._mqtt.client
        i = 0
        for msg in batch:
            mine = replies[i:i + len(msg.frames)]
            i += len(msg.frames)
            if msg.response_topic:
                props = properties(PacketTypes.PUBLISH)
                if msg.correlation is not None:
                    props.CorrelationData = msg.correlation
                self._mqtt.publish(msg.response_topic, encode_downlinks(mine), props)
            client.ack(msg.mid, 1)
