"""CSV answers (RFC 4180, UTF-8, ``\\r\\n`` line ends, a header row).

Interval series take the vectorised path of :mod:`.bytecols`; other lists go through
:mod:`csv`.  Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``) are prefixed with ``'`` (OWASP CSV injection advice); numbers are written as is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from openamr.headend.api.bytecols import (
    ByteColumn,
    Piece,
    Segment,
    float_column,
    iso_utc_column,
    join_rows,
    text_column,
)

__all__ = ["CSV_MEDIA_TYPE", "intervals_csv", "rows_csv"]

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def rows_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV document with ``header`` and ``rows``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def intervals_csv(meter_id: str, start_s: npt.NDArray[np.int64],
                  energy_wh: npt.NDArray[np.float64], quality: npt.NDArray[np.str_],
                  temperature_c: npt.NDArray[np.float64] | None = None) -> bytes:
    """``meter_id,start,energy_wh,quality`` rows for one meter's intervals (vectorised), and
    ``temperature_c`` [degC] when given (an empty cell where it is NaN)."""
    header = b"meter_id,start,energy_wh,quality" + (
        b",temperature_c" if temperature_c is not None else b"") + b"\r\n"
    rows = int(start_s.size)
    if rows == 0:
        return header
    meter_cell = rows_csv(["m"], [[meter_id]]).split(b"\r\n")[1]
    pieces: list[ByteColumn | Piece] = [meter_cell + b",", iso_utc_column(start_s), b",",
                                        _blank_nan(energy_wh), b",", text_column(quality)]
    if temperature_c is not None:
        pieces += [b",", _blank_nan(temperature_c)]
    body = join_rows([*pieces, b"\r\n"], rows, head=header)
    return body.tobytes()


def _blank_nan(values: npt.NDArray[np.float64]) -> ByteColumn:
    """A float column whose NaN ('null') cells are empty."""
    (text,) = float_column(values)
    assert isinstance(text, Segment)  # a number column is one segment
    table = text.table if text.codes is None else text.table[text.codes]
    return (Segment(table, np.where(np.isfinite(values), text.row_lengths(), 0)),)
