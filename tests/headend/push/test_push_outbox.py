"""The outbox and its delivery loop with fake transports (no network)."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import numpy as np
from push_helpers import T0_S

from openamr.headend.push.outbox import DeliveryWorker, Outbox, RetryPolicy
from openamr.headend.push.payloads import Message, interval_messages
from openamr.headend.push.webhook import WebhookTransport
from openamr.headend.store import Store


def _messages(n: int = 5) -> list[Message]:
    return interval_messages("fake", "t", site_id="s1", meter_id="m1",
                             start_s=T0_S + 900 * np.arange(n), energy_wh=np.arange(n) * 1.0,
                             batch_readings=1)


class FakeTransport:
    name = "fake"

    def __init__(self, answers: list[str | None], connected: bool = True) -> None:
        self.answers = answers
        self.connected = connected
        self.seen: list[str] = []

    def deliver(self, messages: Sequence[Message]) -> list[str | None]:
        self.seen.extend(m.idempotency_key for m in messages)
        return [self.answers.pop(0) if self.answers else None for _ in messages]

    def close(self) -> None:
        pass


def test_enqueue_is_idempotent_and_only_acknowledged_items_leave(store: Store) -> None:
    outbox = Outbox(store, "fake", RetryPolicy(retry_initial_s=10.0, retry_max_s=100.0))
    outbox.enqueue(_messages(), T0_S)
    outbox.enqueue(_messages(), T0_S)  # the same content: the same keys
    assert outbox.depth() == 5
    transport = FakeTransport([None, "HTTP 500", None, "timeout", None])
    worker = DeliveryWorker(outbox, transport, clock=lambda: float(T0_S))
    assert worker.drain_once() == 5
    assert outbox.depth() == 2
    assert worker.drain_once() == 0  # the failed ones back off
    left = store.outbox_due("fake", 2**62, 10)
    assert [i.attempts for i in left] == [1, 1]
    assert all(T0_S + 5 <= i.next_attempt_s <= T0_S + 10 for i in left)
    assert {i.last_error for i in left} == {"HTTP 500", "timeout"}
    outbox.enqueue(_messages(), T0_S)  # delivered keys are remembered: nothing comes back
    assert outbox.depth() == 2


def test_nothing_is_attempted_while_the_transport_is_disconnected(store: Store) -> None:
    outbox = Outbox(store, "fake")
    outbox.enqueue(_messages(3), T0_S)
    transport = FakeTransport([], connected=False)
    worker = DeliveryWorker(outbox, transport, clock=lambda: float(T0_S))
    assert worker.drain_once() == 0
    assert [i.attempts for i in store.outbox_due("fake", 2**62, 10)] == [0, 0, 0]
    transport.connected = True
    worker.wake(flush_all=True)
    assert worker.drain_once() == 3
    assert outbox.depth() == 0


def test_a_failing_endpoint_stops_the_pass() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["Idempotency-Key"])
        return httpx.Response(503 if len(calls) == 2 else 204)

    transport = WebhookTransport("https://example.invalid/h", b"k",
                                 transport=httpx.MockTransport(handler))
    results = transport.deliver(_messages(5))
    assert results[0] is None
    assert results[1] == "HTTP 503"
    assert all(r is not None and r.startswith("not tried") for r in results[2:])
    assert len(calls) == 2
    rejected = WebhookTransport("https://example.invalid/h", b"k",
                                transport=httpx.MockTransport(lambda r: httpx.Response(400)))
    assert rejected.deliver(_messages(3)) == ["HTTP 400"] * 3  # the item, not the endpoint
    transport.close()
    rejected.close()


def test_a_meter_created_after_the_start_is_announced_to_home_assistant(store: Store) -> None:
    from push_helpers import interval_batch, store_batch

    from openamr.headend.push import PushConfig, PushService
    from openamr.headend.store import Meter

    service = PushService(store, config=PushConfig(mqtt_enabled=True), clock=lambda: T0_S)
    service.publisher.publish_discovery(store.list_meters(), T0_S)  # what start() does
    store.upsert_meter(Meter("m9", "s1"))
    batch = interval_batch(("m1", "m9"), n=4)
    store_batch(store, batch)
    service.on_stored(batch)
    service.on_stored(batch)
    topics = [Message.from_envelope(i.payload).topic
              for i in store.outbox_due("mqtt", 2**62, 100)]
    discovery = sorted(t for t in topics if t.endswith("/config"))
    assert discovery == sorted(f"homeassistant/sensor/openamr_s1_{m}/energy/config"
                               for m in ("m1", "m2", "m3", "m9"))
    assert "openamr/s1/meters/m9/state" in topics
