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

from openamr.headend.api.bytecols import float_column, iso_utc_column, join_rows, text_column

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
                  energy_wh: npt.NDArray[np.float64], quality: npt.NDArray[np.str_]) -> bytes:
    """``meter_id,start,energy_wh,quality`` rows for one meter's intervals (vectorised)."""
    header = b"meter_id,start,energy_wh,quality\r\n"
    rows = int(start_s.size)
    if rows == 0:
        return header
    meter_cell = rows_csv(["m"], [[meter_id]]).split(b"\r\n")[1]
    energy, lengths = float_column(energy_wh)
    lengths = np.where(np.isfinite(energy_wh), lengths, 0)  # NaN ('null') is an empty cell
    body = join_rows([meter_cell + b",", iso_utc_column(start_s), b",", (energy, lengths), b",",
                      text_column(quality), b"\r\n"], rows, head=header)
    return body.tobytes()
