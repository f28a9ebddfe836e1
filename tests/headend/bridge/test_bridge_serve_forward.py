"""``openamr serve --forward``: a DCAP whose frames reach an ingest worker through the real
Mosquitto and whose devices get their ACKs back over the same TCP connection."""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import uuid

import pytest
from bridge_helpers import start_worker

from openamr.frames import Frame, FrameType, IntervalRecord, Intervals, KeyId
from openamr.frames.codec import open_packed, unpack_ack
from openamr.headend.store import Device, Meter, Site, open_store

pytestmark = [pytest.mark.postgres, pytest.mark.mqtt, pytest.mark.slow]

T0 = 1_767_225_600
EUI = 0x7100
_LEN = struct.Struct("!H")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _read_frame(sock: socket.socket) -> bytes:
    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            assert chunk, "the DCAP closed the connection"
            data += chunk
        return data

    (n,) = _LEN.unpack(exactly(_LEN.size))
    return exactly(n)


def test_a_forwarding_dcap_gets_acks_from_a_worker(shared_dsn: str,
                                                   mqtt_broker: tuple[str, int]) -> None:
    host, port = mqtt_broker
    broker = f"mqtt://{host}:{port}/openamr-fwd-{uuid.uuid4().hex[:8]}"
    with open_store(shared_dsn) as store:
        store.upsert_site(Site("s1", "Forwarded", "UTC"))
        store.upsert_meter(Meter("m1", "s1", f"{EUI:016x}"))
        store.upsert_device(Device(f"{EUI:016x}", "mdt", "s1", "m1",
                                   install_code=f"{1:032x}", installed_s=T0))
        key = store.get_or_create_network_key()
    worker, pump = start_worker(broker, shared_dsn)
    tcp_port = _free_port()
    dcap = subprocess.Popen(
        [sys.executable, "-m", "openamr", "serve", "--forward", broker, "--gateway-id", "b1",
         "--udp-port", "0", "--tcp-port", str(tcp_port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert dcap.stdout is not None
        ready = dcap.stdout.readline()
        assert ready.startswith("openamr serve ready forward="), ready
        assert "gateway=b1" in ready
        records = tuple(IntervalRecord(k, T0 + 900 * k, 100 + k) for k in range(4))
        frame = Frame(EUI, 0xD1, 0, Intervals(406, records), KeyId.NETWORK).to_bytes(key)
        with socket.create_connection(("127.0.0.1", tcp_port), timeout=30) as sock:
            sock.sendall(_LEN.pack(len(frame)) + frame)
            downs = [_read_frame(sock)]
            acks = []
            while not acks:  # a TIME_SYNC may come first
                ftype, _src, dst, _counter, _key_id, plain = open_packed(downs[-1], key)
                assert dst == EUI
                if ftype == FrameType.ACK:
                    acks.append(unpack_ack(plain))
                else:
                    downs.append(_read_frame(sock))
        assert acks[0][:2] == (0, 3)  # frame counter 0 answered; seqs 0..3 stored
    finally:
        for proc in (dcap, worker):
            proc.send_signal(signal.SIGTERM)
        for proc in (dcap, worker):
            proc.wait(timeout=60)
        pump.join(timeout=10)
        for proc in (dcap, worker):
            if proc.stdout is not None:
                proc.stdout.close()
    assert dcap.returncode == 0
    assert worker.returncode == 0
    with open_store(shared_dsn) as store:
        stored = store.get_intervals("m1")
        assert stored.energy_wh.tolist() == [100.0, 101.0, 102.0, 103.0]
