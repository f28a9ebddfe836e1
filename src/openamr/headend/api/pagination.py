"""Pagination: ``limit`` (capped) and ``offset`` for lists, a time cursor for series.

Each page says where the next one is: ``next`` is the URL of the same request with the cursor
moved on (``offset`` advanced, or ``start`` set to the first row not returned), or null when
the page is the last one.  Routes fetch ``limit + 1`` rows to know whether there is more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, TypeVar

from fastapi import Query, Request

__all__ = [
    "INTERVALS_LIMIT_DEFAULT",
    "INTERVALS_LIMIT_MAX",
    "LIST_LIMIT_DEFAULT",
    "LIST_LIMIT_MAX",
    "LimitQuery",
    "OffsetQuery",
    "SeriesLimitQuery",
    "next_url",
    "offset_page",
]

T = TypeVar("T")

LIST_LIMIT_DEFAULT = 100
LIST_LIMIT_MAX = 1000
INTERVALS_LIMIT_DEFAULT = 50_000
"""Intervals per page by default: more than a leap year of quarter-hours (35,136)."""
INTERVALS_LIMIT_MAX = 100_000
OFFSET_MAX = 10_000_000

LimitQuery = Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX,
                                  description=f"rows per page (at most {LIST_LIMIT_MAX})")]
OffsetQuery = Annotated[int, Query(ge=0, le=OFFSET_MAX, description="rows to skip")]
SeriesLimitQuery = Annotated[int, Query(
    ge=1, le=INTERVALS_LIMIT_MAX, description=f"rows per page (at most {INTERVALS_LIMIT_MAX})")]


def next_url(request: Request, **params: str | int) -> str:
    """The request's URL with ``params`` replaced (absolute, as the client sent it)."""
    return str(request.url.include_query_params(**params))


def offset_page(request: Request, rows: Sequence[T], limit: int,
                offset: int) -> tuple[Sequence[T], str | None]:
    """The first ``limit`` of ``rows`` (fetched with ``limit + 1``) and the next page's URL."""
    if len(rows) > limit:
        return rows[:limit], next_url(request, offset=offset + limit, limit=limit)
    return rows, None
