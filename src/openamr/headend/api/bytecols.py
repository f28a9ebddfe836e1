"""Vectorised text rendering: numpy columns to bytes without a Python loop per row.

A response of one meter-year (35,040 intervals) must be serialised in a few milliseconds, so
rows are never built as Python dicts.  Each column becomes a *byte column*: a 2-D ``uint8``
block (rows × widest piece, padded) plus the used length of each row's piece.
:func:`join_rows` interleaves such columns and constant separators row by row: one numpy
structured array with a bytes field per piece, written inside the output buffer.

* timestamps: :func:`iso_utc_column` writes ``YYYY-MM-DDTHH:MM:SSZ`` with digit arithmetic;
* floats: :func:`float_column` takes orjson's shortest round-trip repr of the whole array
  (NaN and infinities become ``null``, valid JSON);
* categorical text (quality codes, meter ids): :func:`text_column` renders each distinct value once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import orjson

__all__ = ["ByteColumn", "constant_column", "float_column", "int_column", "iso_local_column",
           "iso_utc_column", "join_rows", "text_column"]

#: a padded byte block (rows × width, uint8) and the used length of each row (≤ width)
ByteColumn = tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]

_MIN_S = -62_135_596_800  # 0001-01-01T00:00:00Z
_MAX_S = 253_402_300_799  # 9999-12-31T23:59:59Z


def _digits(out: npt.NDArray[np.uint8], col: int, value: npt.NDArray[np.int64], width: int) -> None:
    for k in range(width):
        out[:, col + width - 1 - k] = (value // 10**k) % 10 + ord("0")


def _date_block(days: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
    """``YYYY-MM-DD`` for each day number since 1970-01-01."""
    d = days.astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    years = months.astype("datetime64[Y]")
    out = np.empty((days.size, 10), dtype=np.uint8)
    _digits(out, 0, years.astype(np.int64) + 1970, 4)
    _digits(out, 5, (months - years.astype("datetime64[M]")).astype(np.int64) + 1, 2)
    _digits(out, 8, (d - months.astype("datetime64[D]")).astype(np.int64) + 1, 2)
    out[:, 4] = out[:, 7] = ord("-")
    return out


def _time_block(seconds_of_day: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
    """``THH:MM:SSZ`` for each second of the day."""
    hour, rest = np.divmod(seconds_of_day, 3600)
    minute, second = np.divmod(rest, 60)
    out = np.empty((seconds_of_day.size, 10), dtype=np.uint8)
    _digits(out, 1, hour, 2)
    _digits(out, 4, minute, 2)
    _digits(out, 7, second, 2)
    out[:, 0] = ord("T")
    out[:, 3] = out[:, 6] = ord(":")
    out[:, 9] = ord("Z")
    return out


_TIME_TABLE = _time_block(np.arange(86_400, dtype=np.int64))  # 864 kB, every second of a day


def iso_utc_column(t_s: npt.ArrayLike, *, quote: bool = False) -> ByteColumn:
    """``YYYY-MM-DDTHH:MM:SSZ`` (20 bytes) for each instant [UTC epoch s] (years 1..9999),
    in double quotes (22 bytes) when ``quote``.

    Dates are rendered once per distinct day of the span and times looked up in a table of the
    86,400 seconds of a day, so a meter-year costs two row gathers.
    """
    t = np.asarray(t_s, dtype=np.int64).reshape(-1)
    if t.size and (int(t.min()) < _MIN_S or int(t.max()) > _MAX_S):
        raise ValueError("timestamps outside years 1..9999 cannot be written as ISO 8601")
    days, seconds_of_day = np.divmod(t, 86_400)
    if t.size == 0:
        dates = np.zeros((0, 10), dtype=np.uint8)
    else:
        first, last = int(days.min()), int(days.max())
        if last - first < 4 * t.size:
            dates = _date_block(np.arange(first, last + 1, dtype=np.int64))[days - first]
        else:
            dates = _date_block(days)
    parts = [dates, _TIME_TABLE[seconds_of_day]]
    if quote:
        mark = np.full((t.size, 1), ord('"'), dtype=np.uint8)
        parts = [mark, *parts, mark]
    block = np.concatenate(parts, axis=1)
    return block, np.full(t.size, block.shape[1], dtype=np.int64)


def float_column(values: npt.ArrayLike, *, align: str = "left") -> ByteColumn:
    """The shortest round-trip decimal text of each float (``null`` for NaN/inf).

    ``align="right"`` pads every row on the left with spaces to the widest value and reports
    every row as full width: JSON allows whitespace after ``:``, and a fixed-width column keeps
    the whole row fixed width, which :func:`join_rows` writes with one structured copy.
    """
    return _number_column(np.ascontiguousarray(values, dtype=np.float64).reshape(-1), align)


def int_column(values: npt.ArrayLike, *, align: str = "left") -> ByteColumn:
    """The decimal text of each integer (``align`` as for :func:`float_column`)."""
    return _number_column(np.ascontiguousarray(values, dtype=np.int64).reshape(-1), align)


_WHOLE_MAX = 1e15  # below it orjson writes a whole float as digits + ".0"
_POWERS_OF_TEN = 10 ** np.arange(16, dtype=np.int64)


def _whole_floats_right(array: npt.NDArray[np.float64]) -> ByteColumn | None:
    """Right-aligned ``123.0`` text of non-negative whole floats by digit arithmetic (pulse
    counts times Kh are whole watt-hours), or None when some value is not such a float."""
    if not bool(np.all((array >= 0) & (array < _WHOLE_MAX) & (array == np.floor(array)))) \
            or bool(np.any(np.signbit(array))):
        return None
    whole = array.astype(np.int64)
    digits = max(len(str(int(whole.max()))), 1)
    block = np.empty((array.size, digits + 2), dtype=np.uint8)
    _digits(block, 0, whole, digits)
    widths = np.maximum(np.searchsorted(_POWERS_OF_TEN, whole, side="right"), 1)
    lead = np.arange(digits) < (digits - widths)[:, None]
    block[:, :digits][lead] = ord(" ")
    block[:, digits] = ord(".")
    block[:, digits + 1] = ord("0")
    return block, np.full(array.size, digits + 2, dtype=np.int64)


def _number_column(array: npt.NDArray[np.float64] | npt.NDArray[np.int64],
                   align: str) -> ByteColumn:
    if array.size == 0:
        return np.zeros((0, 0), dtype=np.uint8), np.zeros(0, dtype=np.int64)
    if align == "right" and array.dtype == np.float64:
        fast = _whole_floats_right(array)  # type: ignore[arg-type]
        if fast is not None:
            return fast
    text = orjson.dumps(array, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1]
    flat = np.frombuffer(text, dtype=np.uint8)
    is_comma = flat == ord(",")
    commas = np.flatnonzero(is_comma)
    bounds = np.concatenate(([-1], commas, [flat.size]))
    lengths = (np.diff(bounds) - 1).astype(np.int64)
    if align == "right":
        width = int(lengths.max())
        block = np.full((lengths.size, width), ord(" "), dtype=np.uint8)
        block[np.arange(width) >= (width - lengths)[:, None]] = flat[~is_comma]
        return block, np.full(lengths.size, width, dtype=np.int64)
    return _pad(flat[~is_comma], lengths), lengths


def iso_local_column(t_s: npt.ArrayLike, offset_s: npt.ArrayLike, *,
                     quote: bool = False) -> ByteColumn:
    """``YYYY-MM-DDTHH:MM:SS±hh:mm``: each instant [UTC epoch s] in civil time at its UTC
    offset [s] (offsets from :func:`openamr.timeutil.utc_offsets_s`; whole minutes)."""
    t = np.asarray(t_s, dtype=np.int64).reshape(-1)
    offsets = np.asarray(offset_s, dtype=np.int64).reshape(-1)
    wall, _ = iso_utc_column(t + offsets)
    minutes = np.abs(offsets) // 60
    offset_block = np.empty((t.size, 6), dtype=np.uint8)
    offset_block[:, 0] = np.where(offsets < 0, ord("-"), ord("+"))
    _digits(offset_block, 1, minutes // 60, 2)
    offset_block[:, 3] = ord(":")
    _digits(offset_block, 4, minutes % 60, 2)
    parts = [wall[:, :19], offset_block]
    if quote:
        mark = np.full((t.size, 1), ord('"'), dtype=np.uint8)
        parts = [mark, *parts, mark]
    block = np.concatenate(parts, axis=1)
    return block, np.full(t.size, block.shape[1], dtype=np.int64)


def text_column(values: Sequence[str] | npt.NDArray[np.str_], *, quote: bool = False) -> ByteColumn:
    """UTF-8 bytes of each value (JSON-quoted and escaped when ``quote``), distinct values once."""
    array = np.asarray(values).reshape(-1)
    if array.dtype.kind != "U":
        array = array.astype(str)
    if array.size == 0:
        return np.zeros((0, 0), dtype=np.uint8), np.zeros(0, dtype=np.int64)
    if bool((array == array[0]).all()):  # the usual case: one quality for the whole range
        distinct, codes = array[:1], np.zeros(array.size, dtype=np.int64)
    else:
        distinct, codes = np.unique(array, return_inverse=True)
    encoded = [orjson.dumps(str(v)) if quote else str(v).encode() for v in distinct]
    table_lengths = np.array([len(b) for b in encoded], dtype=np.int64)
    table = _pad(np.frombuffer(b"".join(encoded), dtype=np.uint8), table_lengths)
    codes = codes.reshape(-1)
    return table[codes], table_lengths[codes]


def constant_column(text: bytes, rows: int) -> ByteColumn:
    """The same bytes on every row."""
    block = np.broadcast_to(np.frombuffer(text, dtype=np.uint8), (rows, len(text)))
    return block, np.full(rows, len(text), dtype=np.int64)


def _pad(flat: npt.NDArray[np.uint8], lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
    """Rows of ``lengths`` bytes taken in turn from ``flat``, padded into a 2-D block."""
    width = int(lengths.max()) if lengths.size else 0
    block = np.zeros((lengths.size, width), dtype=np.uint8)
    block[np.arange(width) < lengths[:, None]] = flat
    return block


def join_rows(pieces: Sequence[ByteColumn | bytes], rows: int, *, separator: bytes = b"",
              head: bytes = b"", tail: bytes = b"") -> memoryview:
    """``head`` + the rows joined by ``separator`` + ``tail``; each row concatenates the pieces
    (byte columns or constant bytes).

    The rows are written as one numpy structured array (one fixed-width bytes field per piece:
    a strided copy per field, no loop over rows) placed directly inside the output buffer, which
    is returned as a memoryview (no further copy: Starlette sends it as is); the tail overwrites
    the last row's separator.  When a column is ragged its padding and the last separator are
    squeezed out with a boolean mask.
    """
    all_pieces = [*pieces, separator] if separator else list(pieces)
    blocks: list[bytes | npt.NDArray[np.uint8]] = []
    masks: list[npt.NDArray[np.bool_] | int] = []
    ragged = False
    for piece in all_pieces:
        if isinstance(piece, bytes):
            blocks.append(piece)
            masks.append(len(piece))
            continue
        block, lengths = piece
        blocks.append(block)
        if block.shape[1] and bool((lengths != block.shape[1]).any()):
            ragged = True
            masks.append(np.arange(block.shape[1]) < lengths[:, None])
        else:
            masks.append(block.shape[1])
    widths = [len(b) if isinstance(b, bytes) else int(b.shape[1]) for b in blocks]
    width = sum(widths)
    if rows == 0 or width == 0:
        return memoryview(head + tail)
    fields = [(f"f{i}", f"S{w}") for i, w in enumerate(widths) if w]
    body_start = 0 if ragged else len(head)
    out = np.empty(body_start + rows * width + (0 if ragged else len(tail)), dtype=np.uint8)
    record = out[body_start:body_start + rows * width].view(np.dtype(fields))
    names = iter(name for name, _ in fields)
    for piece_block, piece_width in zip(blocks, widths, strict=True):
        if not piece_width:
            continue
        name = next(names)
        if isinstance(piece_block, bytes):
            record[name] = piece_block
        else:
            record[name] = np.ascontiguousarray(piece_block).view(f"S{piece_width}").reshape(-1)
    if ragged:
        keep = np.concatenate([np.broadcast_to(np.True_, (rows, m)) if isinstance(m, int) else m
                               for m in masks], axis=1)
        if separator:
            keep[-1, width - len(separator):] = False
        whole = out.reshape(rows, width)
        squeezed = np.empty(len(head) + int(keep.sum()) + len(tail), dtype=np.uint8)
        squeezed[:len(head)] = np.frombuffer(head, dtype=np.uint8)
        squeezed[len(head):len(squeezed) - len(tail)] = whole[keep]
        squeezed[len(squeezed) - len(tail):] = np.frombuffer(tail, dtype=np.uint8)
        return squeezed.data
    out[:len(head)] = np.frombuffer(head, dtype=np.uint8)
    end = body_start + rows * width - len(separator)  # the last separator is dropped:
    out[end:end + len(tail)] = np.frombuffer(tail, dtype=np.uint8)  # the tail overwrites it
    return out[:end + len(tail)].data
