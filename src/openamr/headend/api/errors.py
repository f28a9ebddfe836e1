"""API errors: each carries its HTTP status and a stable dotted code.

::

    ApiError(status, code, message)      raised by routes and dependencies
     ├── status 400  request.bad_input     a parameter that parses but makes no sense (start ≥ end)
     ├── status 401  auth.missing / auth.invalid   (with ``WWW-Authenticate: Bearer``)
     ├── status 403  auth.forbidden        the token's role lacks the permission
     ├── status 404  not_found.<thing>     unknown site, meter, device, alarm, token, path
     ├── status 409  conflict.<thing>      e.g. acknowledging an alarm that is not open;
     │                                     conflict.ambiguous_id (with ``candidates``: sites)
     └── status 422  request.invalid       a parameter of the wrong type or out of range

Every error answer has the body ``{"error": {"code": ..., "message": ...}}``; an
:class:`~openamr.errors.InputError` becomes a 400, an unexpected exception a 500 with code
``server.error`` and no detail (the exception is logged, never echoed).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from openamr.errors import InputError, StoreError
from openamr.headend.store.base import AmbiguousIdError

__all__ = ["ApiError", "error_response", "install_error_handlers"]

log = logging.getLogger("openamr.headend.api")

_CODES = {400: "request.bad_input", 401: "auth.missing", 403: "auth.forbidden",
          404: "not_found.path", 405: "request.method_not_allowed", 406: "request.not_acceptable",
          409: "conflict", 413: "request.too_large", 422: "request.invalid",
          503: "server.unavailable"}


class ApiError(Exception):
    """An error answer: HTTP ``status``, dotted ``code`` and a human ``message``."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None,
                 candidates: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.candidates = candidates


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None,
                   candidates: list[str] | None = None) -> JSONResponse:
    """The JSON error answer (``candidates``: the sites of an ambiguous id, 409)."""
    error: dict[str, object] = {"code": code, "message": message}
    if candidates is not None:
        error["candidates"] = candidates
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _location(loc: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header")]
    return ".".join(parts) or "request"


def install_error_handlers(app: FastAPI) -> None:
    """Make every error answer an :class:`ErrorBody`."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers, exc.candidates)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> JSONResponse:
        return error_response(400, "request.bad_input", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{_location(e.get('loc', ()))}: {e.get('msg', 'invalid')}"
                    for e in exc.errors()]
        return error_response(422, "request.invalid", "; ".join(problems) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, f"http.{exc.status_code}")
        headers = dict(exc.headers) if exc.headers else None
        return error_response(exc.status_code, code, str(exc.detail), headers)

    @app.exception_handler(AmbiguousIdError)
    async def _ambiguous(request: Request, exc: AmbiguousIdError) -> JSONResponse:
        return error_response(409, "conflict.ambiguous_id", str(exc),
                              candidates=list(exc.candidates))

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        log.error("store error on %s %s: %s", request.method, request.url.path, exc)
        return error_response(503, "server.unavailable", "the store is not available")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "server.error", "internal error (logged)")
