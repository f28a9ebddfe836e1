"""Request bodies are authenticated before they are read, and bounded.

Regression: ``POST /api/v1/tokens`` read a 300 MB body without a token (840 MB of memory)
before answering 401.  The app is driven through raw ASGI with a ``receive`` that counts what
the server pulled: without a valid token it must pull nothing.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from api_seed import bearer

from openamr.headend.api import create_app
from openamr.headend.settings import Settings, load_settings
from openamr.headend.store import Store

CHUNK = b"x" * (1 << 20)


def _call(store: Store, headers: dict[str, str], chunks: int, *, length: int | None,
          settings: Settings | None = None, raw_length: bytes | None = None
          ) -> tuple[int, dict[str, Any], int]:
    """(status, JSON body, bytes the app read) of a POST /api/v1/tokens."""
    app = create_app(store, settings or Settings(), freeze_gc=False)
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw_headers.append((b"content-type", b"application/json"))
    if length is not None:
        raw_headers.append((b"content-length", str(length).encode()))
    if raw_length is not None:
        raw_headers.append((b"content-length", raw_length))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/api/v1/tokens", "raw_path":
             b"/api/v1/tokens", "query_string": b"", "root_path": "", "headers": raw_headers,
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    read = 0
    sent = 0
    out: dict[str, Any] = {"status": 0, "body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal read, sent
        if sent >= chunks:
            return {"type": "http.request", "body": b"", "more_body": False}
        sent += 1
        read += len(CHUNK)
        return {"type": "http.request", "body": CHUNK, "more_body": sent < chunks}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return int(out["status"]), json.loads(out["body"]), read


def test_no_token_is_refused_before_the_body_is_read(store: Store,
                                                     tokens: dict[str, str]) -> None:
    status, body, read = _call(store, {}, chunks=300, length=300 * len(CHUNK))
    assert status == 401
    assert body["error"]["code"] == "auth.missing"
    assert read == 0


def test_a_bad_token_is_refused_before_the_body_is_read(store: Store,
                                                        tokens: dict[str, str]) -> None:
    status, body, read = _call(store, bearer("oamr_not-a-token"), chunks=300,
                               length=300 * len(CHUNK))
    assert (status, body["error"]["code"], read) == (401, "auth.invalid", 0)


def test_a_declared_oversized_body_is_413_unread(store: Store, tokens: dict[str, str]) -> None:
    status, body, read = _call(store, bearer(tokens["admin"]), chunks=300,
                               length=300 * len(CHUNK))
    assert (status, body["error"]["code"], read) == (413, "request.too_large", 0)


def test_a_chunked_oversized_body_is_cut_at_the_limit(store: Store,
                                                      tokens: dict[str, str]) -> None:
    settings = load_settings(env={}, overrides={"api": {"max_body_bytes": 3 * len(CHUNK)}})
    status, body, read = _call(store, bearer(tokens["admin"]), chunks=300, length=None,
                               settings=settings)
    assert status == 413
    assert body["error"]["code"] == "request.too_large"
    assert read <= 4 * len(CHUNK)


def test_a_small_body_with_a_token_still_works(client: Any, headers: dict[str, dict[str, str]]
                                               ) -> None:
    answer = client.post("/api/v1/tokens", json={"role": "read-only", "label": "x"},
                         headers=headers["admin"])
    assert answer.status_code == 201
    refused = client.post("/api/v1/tokens", json={"role": "read-only"},
                          headers=headers["billing"])
    assert refused.status_code == 403  # the role is still checked by the route


def test_the_limit_is_a_positive_setting() -> None:
    import pytest

    from openamr.errors import InputError

    with pytest.raises(InputError, match="max_body_bytes"):
        load_settings(env={}, overrides={"api": {"max_body_bytes": 0}})


def test_a_malformed_content_length_is_400_unread(store: Store, tokens: dict[str, str]) -> None:
    app_headers = {**bearer(tokens["admin"])}
    status, body, read = _call(store, app_headers, chunks=3, length=None,
                               settings=None, raw_length=b"12abc")
    assert (status, body["error"]["code"], read) == (400, "request.bad_input", 0)


def test_the_413_is_documented_where_the_guard_answers_it(store: Store) -> None:
    """Found by schemathesis: POST /tokens answered 413 that its OpenAPI entry did not list."""
    settings = load_settings(env={}, overrides={"api": {"max_body_bytes": 1000}})
    document = create_app(store, settings, freeze_gc=False).openapi()
    guarded = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            if path.startswith("/api/v1") and method.upper() in {"POST", "PUT", "PATCH",
                                                                 "DELETE"}:
                guarded += 1
                assert answers["413"]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorBody"}, (method, path)
                assert "1000 bytes" in answers["413"]["description"]
            else:
                assert "413" not in answers, (method, path)
    assert guarded >= 18
