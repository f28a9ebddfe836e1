"""Crash safety of ``openamr serve``: SIGKILL at random moments during ingest loses nothing acked.

A client plays 20 MDTs over TCP, pipelining frames of interval records and recording what
each ACK acknowledges (every seq at or below ``acked_seq``).  The server is killed with SIGKILL
at seeded random moments, restarted, and the client resends what is unacknowledged, as an MDT
does.  After every kill the store must hold every acknowledged interval exactly once with its
value; at the end every interval is stored once and the energy total is conserved.
"""

from __future__ import annotations

import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_ingest_fakes import FakeDevice, make_site

from openamr.frames import NO_SEQ, Ack, Frame
from openamr.headend.store import open_store
from openamr.units import INTERVAL_LENGTH_S

DEVICES = 20
RECORDS = 48
PER_FRAME = 4
READY_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``openamr serve`` in a subprocess; ready when it prints its ready line."""

    def __init__(self, db: Path, log: Path) -> None:
        self.db = db
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.tcp_port = 0
        self.ready_line = ""

    def start(self) -> None:
        self.tcp_port = _free_port()
        env = {**os.environ, "OPENAMR_INGEST_COMMIT_INTERVAL_MS": "5",
               "OPENAMR_ALARMS_SWEEP_INTERVAL_S": "3600"}
        with self.log.open("ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "openamr", "serve", "--db", str(self.db), "--udp-port",
                 "0", "--tcp-port", str(self.tcp_port), "--port", str(_free_port())],
                stdout=subprocess.PIPE, stderr=err, env=env)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        line = b""
        while b"openamr serve ready" not in line:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(left, 0))
            if not ready:
                self.kill()
                pytest.fail(f"openamr serve not ready within {READY_TIMEOUT_S} s: "
                            f"{self.log.read_text()[-2000:]}")
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                pytest.fail(f"openamr serve exited: {self.log.read_text()[-2000:]}")
        self.ready_line = line.decode()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.proc.stdout.close()  # type: ignore[union-attr]

    def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(60)
        self.proc.stdout.close()  # type: ignore[union-attr]
        return code


class Client:
    """Plays the MDTs: sends frames, reads downlinks, tracks what is acknowledged."""

    def __init__(self, devices: list[FakeDevice], key: bytes, t0: int, rng: random.Random) -> None:
        self.devices = {d.eui: d for d in devices}
        self.key = key
        self.t0 = t0
        self.energy = {d.eui: [rng.randrange(0, 5000) for _ in range(RECORDS)] for d in devices}
        self.acked = {d.eui: -1 for d in devices}
        self.sent = {d.eui: 0 for d in devices}
        self.sock: socket.socket | None = None
        self.buffer = b""

    def connect(self, port: int) -> None:
        self.close()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""
        for eui in self.sent:  # unacknowledged records are sent again after a reconnect
            self.sent[eui] = self.acked[eui] + 1

    def send_next(self, rng: random.Random) -> bool:
        """Send one frame for a device with records left; False when all are sent."""
        pending = [e for e in self.devices if self.sent[e] < RECORDS]
        if not pending:
            return False
        eui = rng.choice(pending)
        first = self.sent[eui]
        n = min(PER_FRAME, RECORDS - first)
        starts = [self.t0 + (first + k) * INTERVAL_LENGTH_S for k in range(n)]
        frame = self.devices[eui].intervals(self.key, first, starts,
                                            self.energy[eui][first:first + n])
        assert self.sock is not None
        self.sock.sendall(struct.pack("!H", len(frame)) + frame)
        self.sent[eui] = first + n
        return True

    def read(self, timeout_s: float) -> int:
        """Read downlinks until ``timeout_s`` of silence or the connection ends; ACKs seen."""
        assert self.sock is not None
        acks = 0
        self.sock.settimeout(timeout_s)
        while True:
            try:
                chunk = self.sock.recv(65536)
            except (TimeoutError, ConnectionError):
                return acks
            if not chunk:
                return acks
            self.buffer += chunk
            while len(self.buffer) >= 2:
                (n,) = struct.unpack_from("!H", self.buffer)
                if len(self.buffer) < 2 + n:
                    break
                data, self.buffer = self.buffer[2:2 + n], self.buffer[2 + n:]
                frame = Frame.from_bytes(data, self.key)
                if isinstance(frame.payload, Ack) and frame.payload.acked_seq != NO_SEQ:
                    acks += 1
                    self.acked[frame.dst] = max(self.acked[frame.dst], frame.payload.acked_seq)

    def done(self) -> bool:
        return all(a == RECORDS - 1 for a in self.acked.values())

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def _check_acknowledged(db: Path, client: Client) -> None:
    with open_store(str(db)) as store:
        for eui, dev in client.devices.items():
            got = store.get_intervals(dev.meter_id)
            stored = dict(zip(got.start_s.tolist(), got.energy_wh.tolist(), strict=True))
            assert len(stored) == len(got)  # once each
            for seq in range(client.acked[eui] + 1):
                start = client.t0 + seq * INTERVAL_LENGTH_S
                assert stored.get(start) == client.energy[eui][seq], (dev.meter_id, seq)


@pytest.mark.slow
def test_sigkill_during_ingest_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(20261125)
    db = tmp_path / "crash.db"
    now = int(time.time())
    t0 = now - now % INTERVAL_LENGTH_S - RECORDS * INTERVAL_LENGTH_S - 3600
    with open_store(str(db)) as store:
        devices = make_site(store, DEVICES, installed_s=t0)
        key = store.get_or_create_network_key()
    client = Client(devices, key, t0, rng)
    server = Server(db, tmp_path / "serve.log")
    kills = 0
    acked_at_kills = []
    for _round in range(4):
        server.start()
        client.connect(server.tcp_port)
        for _ in range(rng.randrange(5, 60)):  # a random moment in the ingest
            if not client.send_next(rng):
                break
            if rng.random() < 0.3:
                client.read(0.02)
        server.kill()
        kills += 1
        client.read(1.0)  # whatever was answered before the kill
        client.close()
        _check_acknowledged(db, client)
        acked_at_kills.append(sum(a + 1 for a in client.acked.values()))
    server.start()
    client.connect(server.tcp_port)
    for _ in range(50):
        while client.send_next(rng):
            pass
        client.read(0.5)
        if client.done():
            break
        client.connect(server.tcp_port)  # as after an ACK timeout: resend the unacknowledged
    client.close()
    assert server.terminate() == 0
    assert kills == 4
    assert acked_at_kills[-1] > 0  # the kills did interrupt an ingest that was acknowledging
    assert client.done()
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
    _check_acknowledged(db, client)
    with open_store(str(db)) as store:
        assert store.interval_count() == DEVICES * RECORDS
        assert store.interval_total_wh() == sum(sum(e) for e in client.energy.values())
