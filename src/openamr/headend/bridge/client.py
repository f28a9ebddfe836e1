"""One way to open the bridge's MQTT 5 connections (credentials and TLS from the URL)."""

from __future__ import annotations

import threading
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from openamr.errors import OpenAMRError
from openamr.headend.bridge.topics import BrokerUrl

__all__ = ["BridgeClient", "properties"]


def properties(packet: int, **values: object) -> Properties:
    """MQTT 5 properties of one packet type (``PacketTypes.PUBLISH`` ...) with ``values``."""
    props = Properties(packet)  # type: ignore[no-untyped-call]  # paho leaves it untyped
    for name, value in values.items():
        setattr(props, name, value)
    return props


class BridgeClient:
    """A paho MQTT 5 client that is connected when :meth:`start` returns.

    ``subscriptions``: topic filters (QoS 1) subscribed on every (re)connection.
    ``session_expiry_s``: how long the broker keeps the session (and the QoS 1 messages in
    flight to it) after a disconnection; 0 for a clean session.
    """

    def __init__(self, url: BrokerUrl, client_id: str, *, subscriptions: tuple[str, ...] = (),
                 session_expiry_s: int = 0, manual_ack: bool = False,
                 keepalive_s: int = 30) -> None:
        self.url = url
        self.subscriptions = subscriptions
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._pending_subs = 0
        self._failure: str | None = None
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                             protocol=paho.MQTTv5)
        if url.username:
            client.username_pw_set(url.username, url.password)
        if url.tls:
            client.tls_set()
        client.manual_ack_set(manual_ack)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        self.client = client
        self._session_expiry_s = session_expiry_s
        self._keepalive_s = keepalive_s

    def start(self, timeout_s: float = 10.0) -> None:
        """Connect, subscribe and start the network thread; ``OpenAMRError`` on failure."""
        props = properties(PacketTypes.CONNECT, SessionExpiryInterval=self._session_expiry_s)
        try:
            self.client.connect(self.url.host, self.url.port, keepalive=self._keepalive_s,
                                clean_start=self._session_expiry_s == 0, properties=props)
        except OSError as exc:
            raise OpenAMRError(f"cannot reach the MQTT broker {self.url.redacted()}: {exc}"
                               ) from exc
        self.client.loop_start()
        ready = self._subscribed if self.subscriptions else self._connected
        if not ready.wait(timeout_s) or self._failure:
            self.client.loop_stop()
            raise OpenAMRError(f"MQTT broker {self.url.redacted()}: "
                               f"{self._failure or 'no CONNACK/SUBACK in time'}")

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: bytes, properties: Properties | None = None) -> None:
        """Publish at QoS 1 (paho queues it while the connection is down)."""
        self.client.publish(topic, payload, qos=1, properties=properties)

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any,
                    properties: Any) -> None:
        if reason_code.is_failure:
            self._failure = f"connection refused: {reason_code}"
            self._connected.set()
            self._subscribed.set()
            return
        self._connected.set()
        if self.subscriptions:
            self._pending_subs = len(self.subscriptions)
            client.subscribe([(topic, 1) for topic in self.subscriptions])

    def _on_subscribe(self, client: paho.Client, userdata: Any, mid: int,
                      reason_codes: Any, properties: Any) -> None:
        failed = [str(rc) for rc in reason_codes if rc.is_failure]
        if failed:
            self._failure = f"subscription refused: {', '.join(failed)}"
        self._subscribed.set()

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any,
                       properties: Any) -> None:
        self._connected.clear()
