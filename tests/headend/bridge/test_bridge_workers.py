"""Scale-out acceptance: frames forwarded through the real Mosquitto to three
``openamr ingest-worker`` processes sharing one real PostgreSQL store; one worker is killed
mid-stream.  Nothing is lost, nothing is stored twice, every frame is acknowledged in the end,
and no two downlinks share a frame counter (an AES-CCM nonce)."""

from __future__ import annotations

import signal
import subprocess
import uuid

import numpy as np
import pytest
from bridge_helpers import start_worker

from openamr.frames import Frame, FrameCounter, FrameType, IntervalRecord, Intervals, KeyId
from openamr.frames.codec import open_packed, unpack_ack
from openamr.headend.bridge import MqttForwarder
from openamr.headend.bridge.topics import BrokerUrl
from openamr.headend.store import Device, Meter, Site, open_store

pytestmark = [pytest.mark.postgres, pytest.mark.mqtt, pytest.mark.slow]

MDTS = 30
HOURS = 24
RECORDS = 4
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
DCAP = 0x00000000000000D1
EUI0 = 0x7000


def test_three_workers_one_killed_nothing_lost_or_duplicated(
        shared_dsn: str, mqtt_broker: tuple[str, int]) -> None:
    host, port = mqtt_broker
    prefix = f"openamr-test-{uuid.uuid4().hex[:8]}"
    with open_store(shared_dsn) as store:
        store.upsert_site(Site("s1", "Scale-out", "UTC"))
        with store.transaction():
            for m in range(MDTS):
                eui = f"{EUI0 + m:016x}"
                store.upsert_meter(Meter(f"m{m:02d}", "s1", eui))
                store.upsert_device(Device(eui, "mdt", "s1", f"m{m:02d}",
                                           install_code=f"{m + 1:032x}", installed_s=T0))
        network_key = store.get_or_create_network_key()

    rng = np.random.default_rng(7)
    energy = rng.integers(0, 2000, size=(MDTS, HOURS * RECORDS))
    counters = [FrameCounter() for _ in range(MDTS)]

    def frame(m: int, hour: int) -> bytes:
        records = tuple(IntervalRecord(hour * RECORDS + k, T0 + (hour * RECORDS + k) * 900,
                                       int(energy[m, hour * RECORDS + k]))
                        for k in range(RECORDS))
        counter, _ = counters[m].next()  # a resend is a new frame with a fresh counter
        register_wh = int(energy[m, :(hour + 1) * RECORDS].sum())
        return Frame(EUI0 + m, DCAP, counter, Intervals(register_wh, records),
                     KeyId.NETWORK).to_bytes(network_key)

    broker = f"mqtt://{host}:{port}/{prefix}"
    workers = [start_worker(broker, shared_dsn) for _ in range(3)]
    forwarder = MqttForwarder(BrokerUrl(host, port, prefix), "gw1", timeout_s=5.0)
    forwarder.start()
    nonces: list[tuple[int, int]] = []
    acked: set[tuple[int, int]] = set()  # (mdt, hour) whose frame was acknowledged

    def send(items: list[tuple[int, int]]) -> None:
        replies = forwarder.handle_batch([frame(m, h) for m, h in items])
        for (m, h), downs in zip(items, replies, strict=True):
            for down in downs:
                ftype, src, dst, counter, _key, plain = open_packed(down, network_key)
                nonces.append((src, counter))
                assert dst == EUI0 + m
                if ftype != FrameType.ACK:
                    continue  # a TIME_SYNC
                _acked_counter, acked_seq, _gaps = unpack_ack(plain)
                if acked_seq != 0xFFFF_FFFF and acked_seq >= (h + 1) * RECORDS - 1:
                    acked.add((m, h))

    try:
        for hour in range(HOURS):
            if hour == HOURS // 3:
                workers[0][0].send_signal(signal.SIGKILL)  # mid-stream, no goodbye
                workers[0][0].wait(timeout=30)
            for lo in range(0, MDTS, 10):
                send([(m, hour) for m in range(lo, lo + 10)])
        for _ in range(6):  # the field resends what was not acknowledged
            missing = [(m, h) for m in range(MDTS) for h in range(HOURS) if (m, h) not in acked]
            if not missing:
                break
            for lo in range(0, len(missing), 10):
                send(missing[lo:lo + 10])
    finally:
        forwarder.stop()
        for proc, _ in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, pump in workers:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            pump.join(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()
    assert all(proc.returncode == 0 for proc, _ in workers[1:]), "workers stop cleanly"

    assert len(acked) == MDTS * HOURS, "every frame acknowledged in the end"
    assert len(nonces) == len(set(nonces)), "a downlink counter (nonce) was used twice"
    with open_store(shared_dsn) as store:
        for m in range(MDTS):
            stored = store.get_intervals(f"m{m:02d}")
            expected_start = T0 + np.arange(HOURS * RECORDS) * 900
            np.testing.assert_array_equal(stored.start_s, expected_start)  # none lost, none twice
            np.testing.assert_array_equal(stored.energy_wh, energy[m].astype(float))
