"""The fast JSON path for long series (intervals, register reads): bytes straight from numpy.

The body is exactly what :class:`~openamr.headend.api.models.IntervalsPage` describes; the
top-level keys come from orjson, the rows from :mod:`.bytecols` (no per-row Python object).
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from openamr.headend.api.bytecols import ByteColumn, Piece, join_rows

__all__ = ["series_json"]


def series_json(head: Mapping[str, object], key: str, rows: int,
                columns: list[tuple[str, ByteColumn]]) -> memoryview:
    """``{**head, key: [{name: value, ...}, ...]}`` where each column is already JSON text.

    Returned as a memoryview of one buffer (see :func:`.bytecols.join_rows`).
    """
    opening = orjson.dumps(dict(head))[:-1]
    comma = b"," if len(opening) > 1 else b""
    pieces: list[ByteColumn | Piece] = []
    for i, (name, column) in enumerate(columns):
        pieces.append((b"{" if i == 0 else b",") + orjson.dumps(name) + b":")
        pieces.append(column)
    pieces.append(b"}")
    return join_rows(pieces, rows, separator=b",",
                     head=opening + comma + orjson.dumps(key) + b":[", tail=b"]}")
