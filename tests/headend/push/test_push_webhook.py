"""Webhook channel against a real local HTTP receiver that fails on purpose (seeded)."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from push_helpers import METERS, interval_batch, seed, status_batch, store_batch

from openamr.errors import InputError
from openamr.headend.push import PushConfig, PushService
from openamr.headend.push.webhook import SIGNATURE_HEADER, verify_signature
from openamr.headend.settings import load_settings
from openamr.headend.store import Store, open_store

SECRET = b"test-secret-\x01"


@dataclass
class Receiver:
    """A webhook endpoint: stores bodies by Idempotency-Key; fails requests by plan."""

    plan: list[str]
    rng: random.Random
    failure_ratio: float = 0.2
    bodies: dict[str, dict[str, object]] = field(default_factory=dict)
    receipts: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    bad_signatures: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_outcome(self) -> str:
        with self.lock:
            outcome = self.plan.pop(0) if self.plan else (
                self.rng.choice(["500", "drop", "timeout"])
                if self.rng.random() < self.failure_ratio else "ok")
            self.outcomes[outcome] += 1
            return outcome


def _serve(receiver: Receiver) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            outcome = receiver.next_outcome()
            if outcome == "drop":  # close the connection without an answer
                self.close_connection = True
                return
            if outcome == "500":
                self.send_response(500)
                self.end_headers()
                return
            if not verify_signature(SECRET, body, self.headers.get(SIGNATURE_HEADER)):
                receiver.bad_signatures += 1
                self.send_response(401)
                self.end_headers()
                return
            key = self.headers["Idempotency-Key"]
            with receiver.lock:
                receiver.receipts[key] += 1
                receiver.bodies.setdefault(key, json.loads(body))
            if outcome == "timeout":  # processed, but the answer comes too late
                receiver.release.wait(5.0)
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    rec = Receiver(plan=["500", "drop", "timeout", "ok", "500"], rng=random.Random(20261125))
    server, url = _serve(rec)
    yield rec, url
    rec.release.set()
    server.shutdown()
    server.server_close()


def fast_clock(speed: float = 20.0) -> Callable[[], float]:
    """A wall clock running ``speed`` times faster: back-offs (whole seconds in the store) pass
    quickly while the real code paths run."""
    t0, m0 = time.time(), time.monotonic()
    return lambda: t0 + speed * (time.monotonic() - m0)


def _config(url: str) -> PushConfig:
    return PushConfig(webhook_enabled=True, webhook_url=url, webhook_secret=SECRET,
                      webhook_timeout_s=0.5, retry_initial_s=0.2, retry_max_s=1.0,
                      batch_readings=20, poll_s=0.05)


def _readings(bodies: dict[str, dict[str, object]]) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for body in bodies.values():
        if body["kind"] != "intervals":
            continue
        data = body["data"]
        assert isinstance(data, dict)
        for reading in data["readings"]:
            found[(data["meter_id"], reading["start"])] += 1
    return found


def test_every_batch_arrives_exactly_once_by_key_despite_failures(
        store: Store, receiver: tuple[Receiver, str]) -> None:
    rec, url = receiver
    batch = interval_batch(n=40)
    store_batch(store, batch)
    service = PushService(store, config=_config(url), clock=fast_clock())
    expected = {m.idempotency_key for m in service.publisher.stored_messages(batch)["webhook"]}
    with service:
        service.on_stored(batch)
        service.on_stored(batch)  # the same data again: the same keys, nothing new queued
        service.on_stored(status_batch())
        assert service.flush(timeout_s=60.0), service.depth()
    assert rec.bad_signatures == 0
    assert {"500", "drop", "timeout"} <= set(rec.outcomes)
    assert expected <= set(rec.bodies)
    assert len(rec.bodies) == len(expected) + 2  # + the device state and the events
    readings = _readings(rec.bodies)
    assert len(readings) == 40 * len(METERS)
    assert set(readings.values()) == {1}
    assert max(rec.receipts.values()) >= 2  # the late answer made a duplicate, dropped by key
    kinds = Counter(str(b["kind"]) for b in rec.bodies.values())
    assert kinds == {"intervals": len(expected), "device_state": 1, "events": 1}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_the_outbox_survives_a_restart(db_path: Path, receiver: tuple[Receiver, str]) -> None:
    rec, url = receiver
    rec.plan.clear()
    rec.failure_ratio = 0.0
    first = open_store(str(db_path))
    seed(first)
    batch = interval_batch(n=20)
    store_batch(first, batch)
    down = PushService(first, config=_config(f"http://127.0.0.1:{_closed_port()}/hook"),
                       clock=fast_clock())
    with down:
        down.on_stored(batch)

        def attempted() -> bool:  # nobody listens: the items stay, with failed attempts
            return all(i.attempts >= 1 for i in first.outbox_due("webhook", 2**62, 1000))

        deadline = time.monotonic() + 10.0
        while not attempted() and time.monotonic() < deadline:
            down.wake()
            threading.Event().wait(0.02)  # bounded poll of the store, not a synchronisation
        assert attempted()
    left = down.depth()["webhook"]
    assert left == len(METERS)  # 20 readings per meter: one batch each
    first.close()

    second = open_store(str(db_path))  # a new process over the same file
    try:
        with PushService(second, config=_config(url), clock=fast_clock()) as service:
            assert service.flush(timeout_s=30.0), service.depth()
        assert len(rec.bodies) == left
        assert set(_readings(rec.bodies).values()) == {1}
        assert len(_readings(rec.bodies)) == 20 * len(METERS)
    finally:
        second.close()


def test_settings_read_the_secret_from_the_named_environment_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    settings = load_settings(env={}, overrides={
        "webhook": {"enabled": True, "url": "https://example.invalid/h",
                    "secret_env": "HOOK_SECRET"}, "push": {"retry_max_s": 60}})
    config = PushConfig.from_settings(settings)
    assert config.webhook_secret == b"s3cret"
    assert config.retry_max_s == 60.0
    assert "s3cret" not in repr(config)
    monkeypatch.delenv("HOOK_SECRET")
    with pytest.raises(InputError, match="secret_env"):
        PushConfig.from_settings(settings)
    with pytest.raises(InputError, match="qos"):
        load_settings(env={}, overrides={"mqtt": {"qos": 0}})
