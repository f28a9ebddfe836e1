"""Webhook channel: each outbox item is POSTed as one JSON batch, signed with HMAC-SHA256.

Headers of every request::

    Content-Type: application/json
    Idempotency-Key: <hex sha256 of the content>     (the same on every retry of the item)
    X-OpenAMR-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>
    X-OpenAMR-Kind: intervals | meter_state | device_state | events | alarm | discovery

A 2xx answer acknowledges the item (it is deleted from the outbox); anything else — another
status, a timeout, a refused or dropped connection — schedules a retry with back-off.  After a
failure that concerns the endpoint rather than the item (no connection, a timeout, 5xx, 429) the
rest of the pass is not tried: a backlog meets an endpoint that is down with one request, not
with one timeout per item.  The
receiver verifies the signature over the raw bytes (:func:`verify_signature`) before parsing and
drops a body whose ``Idempotency-Key`` it has stored already.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

import httpx

from openamr.headend.push.payloads import Message

__all__ = ["SIGNATURE_HEADER", "WebhookTransport", "sign_body", "verify_signature"]

SIGNATURE_HEADER = "X-OpenAMR-Signature"


def sign_body(secret: bytes, body: bytes) -> str:
    """The signature header value: ``sha256=<hex HMAC-SHA256 of body with secret>``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, body: bytes, header_value: str | None) -> bool:
    """True when ``header_value`` is the signature of ``body`` (constant-time comparison)."""
    if not header_value:
        return False
    return hmac.compare_digest(sign_body(secret, body), header_value.strip())


class WebhookTransport:
    """POSTs messages to one URL (``https://`` in production; ``http://`` for local tests)."""

    name = "webhook"

    def __init__(self, url: str, secret: bytes, *, timeout_s: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"webhook url must be http(s)://, not {url!r}")
        self.url = url
        self._secret = secret
        self._client = httpx.Client(timeout=httpx.Timeout(timeout_s), transport=transport,
                                    follow_redirects=False)

    def deliver(self, messages: Sequence[Message]) -> list[str | None]:
        """POST each message; ``None`` for a 2xx, else the reason."""
        results: list[str | None] = []
        for i, message in enumerate(messages):
            error, endpoint_failing = self._post(message)
            results.append(error)
            if endpoint_failing:
                rest = len(messages) - i - 1
                results.extend([f"not tried: the endpoint failed ({error})"] * rest)
                break
        return results

    def _post(self, message: Message) -> tuple[str | None, bool]:
        body = message.webhook_body()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.idempotency_key,
            SIGNATURE_HEADER: sign_body(self._secret, body),
            "X-OpenAMR-Kind": message.kind,
        }
        try:
            response = self._client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}", True
        status = response.status_code
        if 200 <= status < 300:
            return None, False
        return f"HTTP {status}", status >= 500 or status == 429

    def close(self) -> None:
        self._client.close()
