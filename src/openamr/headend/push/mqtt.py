"""MQTT channel (paho-mqtt 2.x): QoS 1, an item is acknowledged only by the broker's PUBACK.

The client connects in the background and reconnects by itself (paho's loop thread).  A delivery
pass publishes its messages (paho keeps ``window`` of them in flight), then waits until each has
its PUBACK, the connection drops, or ``ack_timeout_s`` passes; what has no PUBACK goes back to
the outbox for a retry.
Nothing is published while disconnected, so paho's own queue never grows without bound; on each
(re)connection the transport calls ``on_connected`` (the worker then retries at once what was
backing off).

At-least-once: a PUBACK lost with a dropped connection makes the same message arrive twice;
subscribers drop duplicates by the ``idempotency_key`` of the body.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from openamr.headend.push.payloads import Message

__all__ = ["MqttTransport"]

log = logging.getLogger(__name__)


class MqttTransport:
    """Publishes messages to one broker at QoS 1 (retained where the message says so)."""

    name = "mqtt"

    def __init__(self, host: str, port: int = 1883, *, qos: int = 1, keepalive_s: int = 30,
                 ack_timeout_s: float = 10.0, window: int = 100, client_id: str | None = None,
                 username: str | None = None, password: str | None = None,
                 reconnect_max_s: int = 30, availability_topic: str | None = None,
                 on_connected: Callable[[], None] | None = None, tls: bool = False,
                 tls_ca_file: str | None = None) -> None:
        if qos not in (1, 2):
            raise ValueError("push needs QoS 1 or 2: only an acknowledgement deletes an item")
        self.host = host
        self.port = port
        self.qos = qos
        self.ack_timeout_s = ack_timeout_s
        self.window = window
        self.on_connected = on_connected
        self._cond = threading.Condition()
        self._connected = False
        self._acked_mids: set[int] = set()
        self._client = paho.Client(CallbackAPIVersion.VERSION2,
                                   client_id=client_id or f"openamr-push-{uuid.uuid4().hex[:12]}",
                                   protocol=paho.MQTTv311, clean_session=True)
        if username:
            self._client.username_pw_set(username, password or None)
        if tls:  # verifies the broker's certificate and host name (ssl defaults)
            self._client.tls_set(ca_certs=tls_ca_file or None)
        self._client.max_inflight_messages_set(window)
        self._client.reconnect_delay_set(min_delay=1, max_delay=max(1, reconnect_max_s))
        self.availability_topic = availability_topic
        if availability_topic is not None:  # the broker says "offline" if we vanish
            self._client.will_set(availability_topic, b"offline", qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish
        self._keepalive_s = keepalive_s
        self._started = False

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Connect in the background (paho reconnects by itself)."""
        if self._started:
            return
        self._started = True
        self._client.connect_async(self.host, self.port, keepalive=self._keepalive_s)
        self._client.loop_start()

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        if not self._started:
            return
        self._started = False
        if self.availability_topic is not None and self._connected:
            # a clean disconnect does not fire the will: say it ourselves
            info = self._client.publish(self.availability_topic, b"offline", qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(self.ack_timeout_s)
        self._client.disconnect()
        self._client.loop_stop()

    @property
    def connected(self) -> bool:
        return self._connected

    def wait_connected(self, timeout_s: float) -> bool:
        """Block until connected or ``timeout_s`` passed; returns whether connected."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not self._connected:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    # -- delivery --------------------------------------------------------------------------
    def deliver(self, messages: Sequence[Message]) -> list[str | None]:
        """Publish and wait for the PUBACKs; ``None`` per acknowledged message.

        paho keeps at most ``window`` messages in flight and sends the rest as PUBACKs free
        slots, so the pipeline never stalls between windows.
        """
        if not self._connected:
            return ["not connected to the broker"] * len(messages)
        infos: list[paho.MQTTMessageInfo | None] = []
        errors: list[str | None] = []
        with self._cond:
            self._acked_mids.clear()
        for message in messages:
            published = self._client.publish(message.topic, message.mqtt_payload(),
                                             qos=self.qos, retain=message.retain)
            if published.rc != paho.MQTT_ERR_SUCCESS:
                infos.append(None)
                errors.append(f"publish refused: {paho.error_string(published.rc)}")
            else:
                infos.append(published)
                errors.append(None)
        deadline = time.monotonic() + self.ack_timeout_s
        with self._cond:
            while self._connected and not all(self._acked(i) for i in infos):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            acked = [self._acked(i) for i in infos]
        results: list[str | None] = []
        for sent, err, ok in zip(infos, errors, acked, strict=True):
            if sent is None:
                results.append(err)
            elif ok:
                results.append(None)
            else:
                results.append("no PUBACK" + ("" if self._connected else " (disconnected)"))
        return results

    def _acked(self, info: paho.MQTTMessageInfo | None) -> bool:
        # on_publish runs before paho marks the info as published: track the mids ourselves.
        return info is None or info.mid in self._acked_mids or info.is_published()

    # -- paho callbacks (network thread) ---------------------------------------------------
    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any,
                    properties: Any) -> None:
        if getattr(reason_code, "is_failure", False):
            log.warning("mqtt %s:%s refused the connection: %s", self.host, self.port,
                        reason_code)
            return
        if self.availability_topic is not None:
            client.publish(self.availability_topic, b"online", qos=1, retain=True)
        with self._cond:
            self._connected = True
            self._cond.notify_all()
        if self.on_connected is not None:
            self.on_connected()

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any,
                       properties: Any) -> None:
        with self._cond:
            self._connected = False
            self._cond.notify_all()

    def _on_publish(self, client: paho.Client, userdata: Any, mid: int, reason_code: Any,
                    properties: Any) -> None:
        with self._cond:
            self._acked_mids.add(mid)
            self._cond.notify_all()
