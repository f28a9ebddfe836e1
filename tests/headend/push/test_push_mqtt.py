"""MQTT channel against real Mosquitto brokers: every reading arrives, across a broker restart."""

from __future__ import annotations

import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from push_helpers import METERS, interval_batch, status_batch, store_batch

from openamr.headend.push import PushConfig, PushService
from openamr.headend.store import Store

pytestmark = pytest.mark.mqtt


class Subscriber:
    """Collects every message under some topic filters (QoS 1, persistent session)."""

    def __init__(self, host: str, port: int, filters: list[str], *, clean: bool = False) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self.cond = threading.Condition()
        self.filters = filters
        self.client = paho.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"openamr-test-{uuid.uuid4().hex[:10]}",
                                  clean_session=clean)
        self.client.reconnect_delay_set(1, 1)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.connect(host, port)
        self.client.loop_start()
        assert self.subscribed.wait(10.0), "subscription not acknowledged"

    def _on_connect(self, client: paho.Client, *args: object) -> None:
        client.subscribe([(f, 1) for f in self.filters])

    def _on_message(self, client: paho.Client, userdata: object,
                    msg: paho.MQTTMessage) -> None:
        with self.cond:
            self.messages.append((msg.topic, msg.payload, bool(msg.retain)))
            self.cond.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    def readings(self) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for topic, payload, _ in list(self.messages):
            if topic.endswith("/intervals"):
                body = json.loads(payload)
                found.update((body["meter_id"], r["start"]) for r in body["readings"])
        return found

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _config(host: str, port: int, prefix: str) -> PushConfig:
    return PushConfig(mqtt_enabled=True, mqtt_host=host, mqtt_port=port, topic_prefix=prefix,
                      discovery_prefix=f"{prefix}-ha", retry_initial_s=0.2, retry_max_s=1.0,
                      batch_readings=24, poll_s=0.05, ack_timeout_s=5.0)


def test_every_reading_device_state_and_discovery_reach_a_subscriber(
        store: Store, mqtt_broker: tuple[str, int]) -> None:
    host, port = mqtt_broker
    prefix = f"openamr-test-{uuid.uuid4().hex[:10]}"
    sub = Subscriber(host, port, [f"{prefix}/#", f"{prefix}-ha/#"], clean=True)
    batch = interval_batch(n=100)
    store_batch(store, batch)
    try:
        with PushService(store, config=_config(host, port, prefix)) as service:
            service.on_stored(batch)
            service.on_stored(status_batch())
            assert sub.wait_for(lambda: len(sub.readings()) == 100 * len(METERS), 20.0)
            assert service.flush(timeout_s=20.0), service.depth()
        topics = {t for t, _, _ in sub.messages}
        assert f"{prefix}/s1/events" in topics
        assert f"{prefix}/s1/meters/m1/state" in topics
        # a newcomer gets the retained state and the Home Assistant discovery configs
        late = Subscriber(host, port, [f"{prefix}/+/devices/#", f"{prefix}/+/meters/+/state",
                                       f"{prefix}-ha/#", f"{prefix}/status"], clean=True)
        assert late.wait_for(lambda: len(late.messages) >= 2 + 2 * len(METERS), 10.0)
        status = [p for t, p, r in late.messages if t == f"{prefix}/status" and r]
        assert status == [b"offline"]  # the service has stopped and said so
        assert (f"{prefix}/status", b"online", False) in sub.messages
        retained = {t: json.loads(p) for t, p, r in late.messages
                    if r and t != f"{prefix}/status"}
        config = retained[f"{prefix}-ha/sensor/openamr_s1_m1/energy/config"]
        assert config["device_class"] == "energy"
        assert config["state_class"] == "total_increasing"
        assert config["state_topic"] == f"{prefix}/s1/meters/m1/state"
        assert config["availability_topic"] == f"{prefix}/status"
        state = retained[f"{prefix}/s1/meters/m1/state"]
        assert state["register_kwh"] == pytest.approx(state["register_wh"] / 1000, abs=1e-3)
        device = retained[f"{prefix}/s1/devices/0000000000000001/state"]
        assert device["rssi_dbm"] == -71
        assert device["parent_id"] == "00000000000000aa"
        late.close()
    finally:
        for topic, _, retain in list(sub.messages):  # leave the shared broker clean
            if retain or topic.endswith(("/state", "/config", "/status")):
                sub.client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5.0)
        sub.close()


# -- a broker of our own, which the test stops and starts ----------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _wait_listening(port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            threading.Event().wait(0.02)  # bounded readiness poll, not a synchronisation sleep
    return False


class OwnBroker:
    """``mosquitto`` on a free port, with persistence so sessions survive its restart."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                             f"persistence true\npersistence_location {workdir}/\n"
                             # as root, mosquitto would drop to user 'mosquitto', which cannot
                             # write its persistence file in our private directory
                             f"user {getpass.getuser()}\n"
                             "log_dest none\n", encoding="utf-8")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert _wait_listening(self.port, 10.0), "mosquitto did not start listening"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10.0)
        self.proc = None


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[OwnBroker]:
    if shutil.which("mosquitto") is None:
        if os.environ.get("CI"):
            pytest.fail("mosquitto is not installed, and CI must run this test")
        pytest.skip("mosquitto is not installed (set CI=1 to make this a failure)")
    broker = OwnBroker(tmp_path)
    broker.start()
    yield broker
    broker.stop()


@pytest.mark.slow
def test_every_reading_arrives_across_a_broker_stop_and_restart(
        store: Store, own_broker: OwnBroker) -> None:
    prefix = "restart"
    sub = Subscriber("127.0.0.1", own_broker.port, [f"{prefix}/+/meters/+/intervals"])
    before = interval_batch(n=48)
    after = interval_batch(n=48, first_s=int(before.intervals.start_s.max()) + 900, seed_=1)
    store_batch(store, before)
    store_batch(store, after)
    try:
        with PushService(store, config=_config("127.0.0.1", own_broker.port, prefix)) as service:
            service.on_stored(before)
            assert sub.wait_for(lambda: len(sub.readings()) == 48 * len(METERS), 20.0)
            own_broker.stop()
            service.on_stored(after)  # queued while the broker is down
            assert service.depth()["mqtt"] > 0
            own_broker.start()
            assert sub.wait_for(lambda: len(sub.readings()) == 2 * 48 * len(METERS), 30.0), \
                f"{len(sub.readings())} readings, outbox {service.depth()} "
            assert service.flush(timeout_s=20.0), service.depth()
    finally:
        sub.close()
