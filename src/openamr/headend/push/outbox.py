"""The durable outbox of one push channel, over the store's outbox table.

Store-and-forward as the AcquiSuite does it, not as emonhub does: an item is written to the store
(it survives restarts), delivered, and deleted **only** after the transport's acknowledgement (the
broker's PUBACK, the endpoint's 2xx).  A failed delivery is retried after an exponential back-off
with jitter, capped::

    delay_s = min(retry_max_s, retry_initial_s * 2 ** attempts) * uniform(1 - jitter_ratio, 1)

Delivery is at-least-once: every message carries its idempotency key so the receiver can drop a
duplicate (a PUBACK lost with the connection makes the broker see the message twice).

:class:`DeliveryWorker` is the loop (one thread per channel) that drains the outbox through a
:class:`Transport`.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from openamr.errors import InputError
from openamr.headend.push.payloads import Message
from openamr.headend.store.protocols import OutboxStore

__all__ = ["DeliveryWorker", "Outbox", "RetryPolicy", "Transport"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential back-off with jitter, capped."""

    retry_initial_s: float = 1.0
    """Delay before the first retry [s]."""
    retry_max_s: float = 300.0
    """Cap of the delay [s]."""
    jitter_ratio: float = 0.5
    """The delay is drawn uniformly in ``[(1 - jitter_ratio) * d, d]`` (0: no jitter)."""

    def __post_init__(self) -> None:
        if not 0 < self.retry_initial_s <= self.retry_max_s:
            raise InputError("need 0 < retry_initial_s <= retry_max_s",
                             where="[push] retry_initial_s")
        if not 0 <= self.jitter_ratio <= 1:
            raise InputError("jitter_ratio must be in [0, 1]", where="[push] jitter_ratio")

    def delay_s(self, attempts: int, rng: random.Random) -> float:
        """Delay [s] before the next try after ``attempts`` failed ones (0, 1, 2 ...)."""
        ceiling_s = min(self.retry_max_s, self.retry_initial_s * 2.0 ** min(attempts, 60))
        return ceiling_s * (1.0 - self.jitter_ratio * rng.random())


class Outbox:
    """One channel's queue over the store's ``outbox_*`` methods."""

    def __init__(self, store: OutboxStore, channel: str, policy: RetryPolicy | None = None, *,
                 rng: random.Random | None = None) -> None:
        self.store = store
        self.channel = channel
        self.policy = policy or RetryPolicy()
        self._rng = rng or random.Random()

    def enqueue(self, messages: Sequence[Message], now_s: float) -> None:
        """Store ``messages`` (a message already queued under its key is not added again)."""
        for message in messages:
            self.store.outbox_put(self.channel, message.idempotency_key, message.to_envelope(),
                                  int(now_s))

    def due(self, now_s: float, limit: int) -> list[tuple[Any, Message | None]]:
        """Items due at ``now_s`` [UTC epoch s] with their decoded message (``None``: foreign)."""
        out: list[tuple[Any, Message | None]] = []
        for item in self.store.outbox_due(self.channel, _floor_s(now_s), limit):
            try:
                out.append((item, Message.from_envelope(bytes(item.payload))))
            except InputError:
                out.append((item, None))
        return out

    def acknowledged(self, item_ids: Sequence[int]) -> None:
        """The transport acknowledged these items: delete them."""
        if item_ids:
            self.store.outbox_done(list(item_ids))

    def failed(self, item: Any, error: str, now_s: float) -> float:
        """Schedule ``item`` again after the back-off; returns the next attempt [UTC epoch s]."""
        attempts = int(getattr(item, "attempts", 0) or 0)
        next_s = now_s + self.policy.delay_s(attempts, self._rng)
        self.store.outbox_retry(item.item_id, _ceil_s(next_s), error[:500])
        return next_s

    def depth(self) -> int:
        """Items waiting (due or backing off)."""
        return int(self.store.outbox_depth(self.channel))


_FAR_FUTURE_S = 2**62


def _floor_s(t_s: float) -> int:
    # The store keeps whole epoch seconds: an item is due once its second has begun.
    return math.floor(t_s) if math.isfinite(t_s) else _FAR_FUTURE_S


def _ceil_s(t_s: float) -> int:
    # Never retry earlier than the back-off asks.
    return math.ceil(t_s) if math.isfinite(t_s) else _FAR_FUTURE_S


class Transport(Protocol):
    """Delivers messages; the result per message is ``None`` (acknowledged) or an error text."""

    name: str

    def deliver(self, messages: Sequence[Message]) -> list[str | None]: ...

    def close(self) -> None: ...


class DeliveryWorker:
    """A thread that drains one :class:`Outbox` through one :class:`Transport`."""

    def __init__(self, outbox: Outbox, transport: Transport, *, batch_items: int = 500,
                 poll_s: float = 1.0, clock: Callable[[], float] = time.time) -> None:
        self.outbox = outbox
        self.transport = transport
        self.batch_items = batch_items
        self.poll_s = poll_s
        self.clock = clock
        self.delivered = 0
        self.failures = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._flush_all = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start draining in a daemon thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"push-{self.outbox.channel}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the loop (items not yet acknowledged stay in the outbox)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def wake(self, *, flush_all: bool = False) -> None:
        """New items (or, with ``flush_all``, a reconnect: retry now what is backing off)."""
        if flush_all:
            self._flush_all.set()
        self._wake.set()

    def drain_once(self) -> int:
        """One pass: deliver what is due; returns how many items were handled.

        A transport that says it is not connected (``connected`` False, e.g. MQTT while the
        broker is away) is not handed anything: items keep their schedule and attempt count, and
        the reconnection wakes the worker to send them all.
        """
        if not getattr(self.transport, "connected", True):
            return 0
        now_s = self.clock()
        if self._flush_all.is_set():
            self._flush_all.clear()
            due_s = math.inf
        else:
            due_s = now_s
        items = self.outbox.due(due_s, self.batch_items)
        if not items:
            return 0
        good = [(item, msg) for item, msg in items if msg is not None]
        for item, msg in items:
            if msg is None:  # never deliverable: park it at the longest back-off, keep it
                self.outbox.failed(item, "payload is not an openamr envelope", now_s)
        try:
            results = self.transport.deliver([msg for _, msg in good if msg is not None])
        except Exception as exc:  # a transport bug must not kill the loop; log it, retry later
            log.exception("push %s: transport raised", self.outbox.channel)
            results = [f"{type(exc).__name__}: {exc}"] * len(good)
        acked = [item.item_id for (item, _), err in zip(good, results, strict=True) if err is None]
        self.outbox.acknowledged(acked)
        self.delivered += len(acked)
        errors = [err for err in results if err is not None]
        if errors:
            log.warning("push %s: %d of %d deliveries failed, retried with back-off (first: %s)",
                        self.outbox.channel, len(errors), len(good), errors[0])
        for (item, _), err in zip(good, results, strict=True):
            if err is not None:
                self.failures += 1
                self.outbox.failed(item, err, self.clock())
        return len(items)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self.drain_once()
            except Exception:  # the store hiccuped: log, wait, try again
                log.exception("push %s: drain failed", self.outbox.channel)
                handled = 0
            if handled >= self.batch_items:
                continue  # more may be due right away
            self._wake.wait(self.poll_s)
            self._wake.clear()
