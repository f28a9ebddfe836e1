"""Dependencies shared by the routes: the store, the caller's token, times and formats."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from openamr.errors import InputError
from openamr.headend.api.errors import ApiError
from openamr.headend.auth import allowed, verify_token
from openamr.headend.store.base import Store, TokenRow
from openamr.timeutil import epoch_s, parse_utc

__all__ = [
    "EndQuery",
    "FormatQuery",
    "StartQuery",
    "get_store",
    "parse_time",
    "require",
    "wants_csv",
]

_bearer = HTTPBearer(auto_error=False, description="a token from `openamr token create`")

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="openamr"'}


def get_store(request: Request) -> Store:
    """The store the app was created with."""
    store: Store = request.app.state.store
    return store


def require(permission: str) -> Callable[..., TokenRow]:
    """A dependency that answers 401 without a valid token and 403 when its role may not."""

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> TokenRow:
        if credentials is None:
            raise ApiError(401, "auth.missing",
                           "send 'Authorization: Bearer <token>' (see 'openamr token create')",
                           headers=_CHALLENGE)
        row = verify_token(get_store(request), credentials.credentials)
        if row is None:
            raise ApiError(401, "auth.invalid", "the token is unknown or revoked",
                           headers={"WWW-Authenticate":
                                    'Bearer realm="openamr", error="invalid_token"'})
        if not allowed(row.role, permission, row.site_ids):
            scoped = " with a token scoped to sites" if row.site_ids is not None and allowed(
                row.role, permission) else ""
            raise ApiError(403, "auth.forbidden",
                           f"role {row.role!r} may not {permission.replace('.', ' ')}{scoped}")
        request.state.token = row
        return row

    return dependency


_PLUS_AS_SPACE = re.compile(r"(\d) (\d\d:?\d\d)$")


def parse_time(text: str | None, name: str) -> int | None:
    """Epoch seconds of an ISO 8601 query parameter with offset, or None when absent.

    An unencoded ``+`` of a positive offset arrives as a space (form encoding); it is read back
    as ``+`` (``2026-03-08T13:45:00 05:30`` is ``2026-03-08T13:45:00+05:30``).
    """
    if text is None:
        return None
    text = _PLUS_AS_SPACE.sub(r"\1+\2", text.strip())
    try:
        return epoch_s(parse_utc(text, where=name))
    except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise InputError(f"timestamp {text!r} is out of range", where=name) from exc


_TIME_DOC = ("ISO 8601 instant with a UTC offset, e.g. 2026-03-08T00:00:00-08:00 or "
             "2026-03-08T08:00:00Z")
StartQuery = Annotated[str | None, Query(description=f"inclusive start: {_TIME_DOC}",
                                         json_schema_extra={"format": "date-time"})]
EndQuery = Annotated[str | None, Query(description=f"exclusive end: {_TIME_DOC}",
                                       json_schema_extra={"format": "date-time"})]
FormatQuery = Annotated[Literal["json", "csv"] | None, Query(
    alias="format", description="json (default) or csv; 'Accept: text/csv' also selects CSV")]


def wants_csv(request: Request, fmt: str | None) -> bool:
    """Whether the caller asked for CSV (``format=csv`` or an ``Accept`` preferring text/csv)."""
    if fmt is not None:
        return fmt == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def check_export(request: Request, token: TokenRow) -> None:
    """403 unless the token may export (CSV)."""
    if not allowed(token.role, "data.export"):
        raise ApiError(403, "auth.forbidden", f"role {token.role!r} may not export CSV")
