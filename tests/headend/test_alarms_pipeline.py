"""End to end: frames -> ingest -> store -> alarm rules and push -> a real MQTT subscriber."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from test_ingest_fakes import DCAP, T0, make_site

from openamr.frames import Event, EventKind, Status
from openamr.headend.alarms import AlarmConfig, AlarmRules
from openamr.headend.ingest import Ingest
from openamr.headend.push import PushConfig, PushService
from openamr.headend.settings import IngestSettings
from openamr.headend.store import Store, open_store
from openamr.timeutil import format_utc

pytestmark = pytest.mark.mqtt
NOW = T0 + 2 * 86_400


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(str(tmp_path / "pipeline.db"))
    yield s
    s.close()


def test_frames_become_pushed_readings_events_and_alarms(
        store: Store, mqtt_broker: tuple[str, int]) -> None:
    host, port = mqtt_broker
    prefix = f"openamr-test-{uuid.uuid4().hex[:10]}"
    got: list[tuple[str, dict[str, object]]] = []
    cond = threading.Condition()
    sub = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:10]}")
    subscribed = threading.Event()
    sub.on_subscribe = lambda *a: subscribed.set()

    def on_message(client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        with cond:
            if msg.payload.startswith(b"{"):
                got.append((msg.topic, json.loads(msg.payload)))
            cond.notify_all()

    sub.on_message = on_message
    sub.connect(host, port)
    sub.loop_start()
    sub.subscribe(f"{prefix}/#", qos=1)
    assert subscribed.wait(10.0)

    devices = make_site(store, 2)
    ingest = Ingest(store, settings=IngestSettings(), dcap_id=DCAP)  # type: ignore[arg-type]
    push = PushService(store, config=PushConfig(mqtt_enabled=True, mqtt_host=host,
                                                mqtt_port=port, topic_prefix=prefix,
                                                discovery_prefix="", poll_s=0.05,
                                                retry_initial_s=0.2, retry_max_s=1.0))
    alarms = AlarmRules(store, config=AlarmConfig(), push_config=push.config,
                        clock=lambda: float(NOW))
    alarms.subscribe(push.on_alarm)
    ingest.subscribe(push.on_stored)
    ingest.subscribe(alarms.on_stored)
    key = ingest.network_key
    frames = []
    for dev in devices:
        for day_part in range(4):  # 4 frames of 24 records: one day
            first = day_part * 24
            starts = [T0 + 900 * (first + k) for k in range(24)]
            frames.append(dev.intervals(key, first, starts, [10 * (k % 7) for k in range(24)],
                                        register_wh=5_000 + 100 * day_part))
    frames.append(devices[0].seal(Event(EventKind.TAMPER_COVER_REMOVED, T0 + 3600), key))
    frames.append(devices[1].seal(Status(parent=DCAP, rssi_dbm=-104, battery_mv=2300,
                                         link_margin_db=6.0, drops=2, uptime_s=900), key))
    try:
        with push:
            ingest.handle_batch(frames, NOW)

            def complete() -> bool:
                readings = {(b["meter_id"], r["start"]) for t, b in got
                            if t.endswith("/intervals")
                            for r in b["readings"]}  # type: ignore[attr-defined]
                codes = {b["alarm"]["code"] for t, b in got  # type: ignore[index]
                         if t.endswith("/alarms")}
                stated = any(t == f"{prefix}/s1/devices/{devices[1].device_id}/state"
                             for t, _ in got)
                return len(readings) == 2 * 96 and stated and codes == {
                    "alarm.tamper", "alarm.battery_low", "alarm.weak_link"}

            deadline = time.monotonic() + 20.0
            with cond:
                while not complete() and time.monotonic() < deadline:
                    cond.wait(deadline - time.monotonic())
            assert complete(), [t for t, _ in got]
            assert push.flush(timeout_s=10.0)
        events = [b for t, b in got if t == f"{prefix}/s1/events"]
        assert events
        assert events[0]["events"][0]["code"] == "tamper.cover_removed"  # type: ignore[index]
        device_state = [b for t, b in got
                        if t == f"{prefix}/s1/devices/{devices[1].device_id}/state"]
        assert device_state, [t for t, _ in got]
        assert {k: device_state[-1][k] for k in ("rssi_dbm", "link_margin_db", "battery_mv",
                                                  "drops", "uptime_s", "status_received")} == {
            "rssi_dbm": -104, "link_margin_db": 6, "battery_mv": 2300, "drops": 2,
            "uptime_s": 900, "status_received": format_utc(NOW)}
        states = {t: b for t, b in got if t.endswith("/meters/m0/state")}
        assert states[f"{prefix}/s1/meters/m0/state"]["register_wh"] == 5_300
        assert {a.code for a in store.list_alarms(state="open")} == {
            "alarm.tamper", "alarm.battery_low", "alarm.weak_link"}
    finally:
        for topic in {t for t, _ in got if t.endswith("/state")} | {f"{prefix}/status"}:
            sub.publish(topic, b"", qos=1, retain=True).wait_for_publish(5.0)
        sub.disconnect()
        sub.loop_stop()
