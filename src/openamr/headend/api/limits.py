"""Request bodies: authenticated first, then bounded (an ASGI middleware around the API).

FastAPI reads and parses a request's body before it runs the route's dependencies, so the
token check of :func:`~openamr.headend.api.deps.require` alone would come after an unbounded
read.  :class:`BodyGuard` sits in front of the application and, for every request that may
carry a body (``POST``, ``PUT``, ``PATCH``, ``DELETE``):

1. answers 401 (``auth.missing`` / ``auth.invalid``) before reading a byte when the bearer
   token is absent, unknown or revoked (the route still checks the role);
2. answers 413 (``request.too_large``) when ``Content-Length`` exceeds ``max_body_bytes``, or,
   without a length (chunked), as soon as the bytes received exceed it.

``max_body_bytes`` is ``[api] max_body_bytes`` (default 64 KiB: the largest body the API takes
is a token label or an acknowledgement).  :func:`document_body_limit` adds that 413 answer to
the OpenAPI document of every operation the guard covers (the same methods and prefix).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
from fastapi import FastAPI, HTTPException

from openamr.headend.auth import verify_token
from openamr.headend.store.base import Store

__all__ = ["BodyGuard", "document_body_limit"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _TooLarge(HTTPException):
    """The body went past the limit while it was being read (an HTTP error, so that the
    framework's body parsing passes it on instead of calling it a parse error)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body may be at most {limit} bytes ([api] max_body_bytes)")


async def _answer(send: Send, status: int, code: str, message: str,
                  headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
           (b"connection", b"close")]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def document_body_limit(app: FastAPI, *, prefix: str, max_body_bytes: int) -> None:
    """Document :class:`BodyGuard`'s 413 (``request.too_large``, an ``ErrorBody``) on every
    operation it guards: the methods that may carry a body, under ``prefix``."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()  # FastAPI builds the document once and keeps it
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith(prefix):
                continue
            for method, operation in operations.items():
                if method.upper() in _BODY_METHODS:
                    operation.setdefault("responses", {}).setdefault("413", {
                        "description": f"the body exceeds {max_body_bytes} bytes "
                                       "([api] max_body_bytes)",
                        "content": {"application/json": {"schema": {
                            "$ref": "#/components/schemas/ErrorBody"}}}})
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


class BodyGuard:
    """The middleware (see the module docstring); ``prefix``: the paths it guards."""

    def __init__(self, app: App, *, store: Store, max_body_bytes: int, prefix: str) -> None:
        self.app = app
        self.store = store
        self.max_body_bytes = max_body_bytes
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in _BODY_METHODS
                or not str(scope["path"]).startswith(self.prefix)):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", ())}
        auth = headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await _answer(send, 401, "auth.missing",
                          "send 'Authorization: Bearer <token>' (see 'openamr token create')",
                          {"WWW-Authenticate": 'Bearer realm="openamr"'})
            return
        row = await anyio.to_thread.run_sync(verify_token, self.store, token.strip())
        if row is None:
            await _answer(send, 401, "auth.invalid", "the token is unknown or revoked",
                          {"WWW-Authenticate": 'Bearer realm="openamr", error="invalid_token"'})
            return
        length = headers.get("content-length")
        limit = self.max_body_bytes
        if length is not None and not length.strip().isdigit():
            await _answer(send, 400, "request.bad_input", "Content-Length is not a number")
            return
        if length is not None and int(length) > limit:
            await _answer(send, 413, "request.too_large",
                          f"the body may be at most {limit} bytes ([api] max_body_bytes)")
            return
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except _TooLarge:
            if started:
                raise
            await _answer(send, 413, "request.too_large",
                          f"the body may be at most {limit} bytes ([api] max_body_bytes)")
