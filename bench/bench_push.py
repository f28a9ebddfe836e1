"""Benchmark of the push: from a stored batch to PUBACKed MQTT messages, through the outbox.

1,000 meters x 96 intervals (one day) in one ``StoredBatch`` over a seeded SQLite store.

* **queue**: ``PushService.on_stored`` (building the JSON messages, 96 readings each, and writing
  them to the durable outbox), against the same-run baseline ``json.dumps`` of the same readings
  (the floor of any JSON push);
* **alarms**: ``AlarmRules.on_stored`` on 1,000 device statuses (a tenth with a weak link),
  against the same-run baseline of the store writing the same statuses
  (``put_device_statuses``);
* **deliver** (needs Mosquitto at 127.0.0.1:1883, else skipped): draining the outbox to the
  broker at QoS 1 with PUBACKs, deleting each item, against the same-run baseline of bare paho
  QoS 1 publishes of the same payloads (window 100, wait for every PUBACK).

Run with ``python -m bench push``.  Targets: queue ratio <= 10; deliver ratio <= 3.
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np

from bench.timing import Result, time_result
from openamr.headend.push import PushConfig, PushService
from openamr.headend.push.payloads import Message
from openamr.headend.store import (
    Device,
    DeviceStatus,
    IntervalTable,
    Meter,
    Site,
    Store,
    StoredBatch,
    open_store,
)
from openamr.timeutil import format_utc

METERS = 1_000
INTERVALS = 96
T0_S = 1_790_000_100 - (1_790_000_100 % 900)


def _batch() -> StoredBatch:
    rng = np.random.default_rng(20261125)
    ids = np.repeat(np.array([f"m{i:04d}" for i in range(METERS)], dtype=object), INTERVALS)
    starts = np.tile(T0_S + 900 * np.arange(INTERVALS, dtype=np.int64), METERS)
    energy = rng.integers(0, 400, size=len(starts)).astype(np.float64) * 10.0
    return StoredBatch(IntervalTable(ids, starts, energy, np.full(len(starts), "measured"),
                                     np.zeros(len(starts), dtype=np.int64)),
                       received_s=T0_S + 86_400)


def _baseline_json(batch: StoredBatch) -> float:
    t = batch.intervals
    starts = [format_utc(int(s)) for s in t.start_s[:INTERVALS].tolist()]  # outside the timing
    start = time.perf_counter()
    for lo in range(0, len(t), INTERVALS):
        json.dumps([{"start": s, "energy_wh": e} for s, e in
                    zip(starts, t.energy_wh[lo:lo + INTERVALS].tolist(), strict=True)])
    return time.perf_counter() - start


def _broker_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=1.0):
            return True
    except OSError:
        return False


def _baseline_paho(payloads: list[tuple[str, bytes]]) -> float:
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:8]}")
    window = threading.Semaphore(100)
    done = threading.Event()
    acked = [0]

    def on_publish(*_: object) -> None:
        acked[0] += 1
        window.release()
        if acked[0] == len(payloads):
            done.set()

    client.on_publish = on_publish
    client.max_inflight_messages_set(100)
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    start = time.perf_counter()
    for topic, payload in payloads:
        window.acquire()
        client.publish(topic, payload, qos=1)
    done.wait(60.0)
    elapsed = time.perf_counter() - start
    client.disconnect()
    client.loop_stop()
    return elapsed


def _bench_alarms(store: Store) -> Result:
    from openamr.headend.alarms import AlarmRules

    for i in range(METERS):
        store.upsert_device(Device(f"{i:016x}", "mdt", "s1", f"m{i:04d}"))
    statuses = tuple(DeviceStatus(f"{i:016x}", T0_S, rssi_dbm=-80, battery_mv=3300,
                                  link_margin_db=5.0 if i % 10 == 0 else 30.0, etx=1.2)
                     for i in range(METERS))
    start = time.perf_counter()
    store.put_device_statuses(list(statuses))
    baseline_s = time.perf_counter() - start
    rules = AlarmRules(store, push_config=PushConfig(), clock=lambda: float(T0_S))
    start = time.perf_counter()
    rules.on_stored(StoredBatch(IntervalTable.empty(), statuses=statuses, received_s=T0_S))
    rules_s = time.perf_counter() - start
    raised = len(store.list_alarms(state="open"))
    print(f"alarms: {METERS} statuses -> {raised} alarms raised in {rules_s:.3f} s; baseline "
          f"put_device_statuses {baseline_s:.3f} s; ratio {rules_s / baseline_s:.1f}")
    return time_result(f"push: alarm rules over {METERS} statuses vs storing them", rules_s,
                       baseline_s)


def main(quick: bool = False) -> list[Result]:
    # the workload is a few seconds: --quick runs the same
    batch = _batch()
    readings = len(batch.intervals)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "bench.db"))
        store.upsert_site(Site("s1", "bench", "UTC"))
        for i in range(METERS):
            store.upsert_meter(Meter(f"m{i:04d}", "s1"))
        results = [_bench_alarms(store)]
        prefix = f"openamr-bench-{uuid.uuid4().hex[:8]}"
        broker = _broker_up()
        config = PushConfig(mqtt_enabled=True, topic_prefix=prefix, discovery_prefix="",
                            retry_initial_s=1.0, retry_max_s=5.0, poll_s=0.05)
        service = PushService(store, config=config)
        baseline_s = _baseline_json(batch)
        start = time.perf_counter()
        service.on_stored(batch)
        queue_s = time.perf_counter() - start
        depth = service.depth()["mqtt"]
        print(f"queue: {readings:,} readings -> {depth} messages in {queue_s:.3f} s "
              f"({readings / queue_s:,.0f} readings/s); baseline json.dumps {baseline_s:.3f} s; "
              f"ratio {queue_s / baseline_s:.1f}")
        results.append(time_result("push: outbox enqueue vs json.dumps of the batch", queue_s,
                                   baseline_s))
        if not broker:
            print("deliver: skipped (no Mosquitto at 127.0.0.1:1883)")
            store.close()
            return results
        payloads = [(m.topic, m.mqtt_payload()) for m in
                    (Message.from_envelope(i.payload)
                     for i in store.outbox_due("mqtt", 2**62, depth + 10))]
        start = time.perf_counter()
        service.start()
        ok = service.flush(timeout_s=120.0)
        deliver_s = time.perf_counter() - start
        service.stop()
        store.close()
        paho_s = _baseline_paho(payloads)
        print(f"deliver: {depth} messages ({readings:,} readings) PUBACKed and deleted in "
              f"{deliver_s:.3f} s ({depth / deliver_s:,.0f} msg/s, "
              f"{readings / deliver_s:,.0f} readings/s, complete={ok}); baseline bare paho "
              f"QoS 1 {paho_s:.3f} s; ratio {deliver_s / paho_s:.1f}")
    results.append(time_result("push: MQTT QoS 1 delivery through the outbox vs bare paho",
                               deliver_s, paho_s))
    return results


if __name__ == "__main__":
    main()
