"""Vectorised text rendering: numpy columns to bytes without a Python loop per row.

A response of one meter-year (35,040 intervals) must be serialised in about a millisecond, so
rows are never built as Python dicts.  A column is a :data:`ByteColumn`: a sequence of pieces,
each constant bytes or a :class:`Segment`, whose row texts are concatenated.  A segment is a
small *table* of padded byte rows and, per row, the *code* of its table row (a categorical
column: a meter-year has 366 dates, 96 times of day and a few hundred whole watt-hour values),
or a dense block with one table row per row.  :func:`join_rows` interleaves columns and
constant separators row by row: constants next to a table are folded into the table (a
few hundred rows, not 35,040), and every segment is written straight into its field of one
numpy structured array laid inside the output buffer (``np.take`` into the field: one gather
per field, no intermediate block).

* timestamps: :func:`iso_utc_column` is ``YYYY-MM-DD`` by day and ``THH:MM:SSZ`` by second of
  the day, each rendered once per distinct value by digit arithmetic;
* floats: :func:`float_column` renders non-negative whole values (pulse counts times Kh are
  whole watt-hours) from a table of ``0 .. max``, anything else by orjson's shortest round-trip
  repr of the whole array (NaN and infinities become ``null``, valid JSON);
* categorical text (quality codes, meter ids): :func:`text_column` renders each distinct value
  once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import orjson

from openamr.units import S_PER_DAY

__all__ = ["ByteColumn", "Piece", "Segment", "float_column", "int_column", "iso_local_column",
           "iso_utc_column", "join_rows", "text_column"]

_MIN_S = -62_135_596_800  # 0001-01-01T00:00:00Z
_MAX_S = 253_402_300_799  # 9999-12-31T23:59:59Z


@dataclass(frozen=True, slots=True)
class Segment:
    """Row ``i`` of the segment is the first ``lengths[j]`` bytes of ``table[j]``, where
    ``j = codes[i]``, or ``j = i`` when ``codes`` is None (a dense block: one table row per row).

    ``table`` is a 2-D ``uint8`` array (table rows × widest piece, padded), ``lengths`` the used
    length of each table row (≤ its width).
    """

    table: npt.NDArray[np.uint8]
    lengths: npt.NDArray[np.int64]
    codes: npt.NDArray[np.intp] | None = None

    @property
    def width(self) -> int:
        """The widest row [bytes]."""
        return int(self.table.shape[1])

    @property
    def fixed(self) -> bool:
        """Every table row uses the full width (no padding to squeeze out)."""
        return not self.lengths.size or bool((self.lengths == self.width).all())

    def row_lengths(self) -> npt.NDArray[np.int64]:
        """The used length of each row [bytes]."""
        return self.lengths if self.codes is None else self.lengths[self.codes]


Piece = bytes | Segment
"""A piece of a row: the same bytes on every row, or a :class:`Segment`."""

ByteColumn = tuple[Piece, ...]
"""A column: its pieces, concatenated on each row."""


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
    """``THH:MM:SS`` for each second of the day."""
    hour, rest = np.divmod(seconds_of_day, 3600)
    minute, second = np.divmod(rest, 60)
    out = np.empty((seconds_of_day.size, 9), dtype=np.uint8)
    _digits(out, 1, hour, 2)
    _digits(out, 4, minute, 2)
    _digits(out, 7, second, 2)
    out[:, 0] = ord("T")
    out[:, 3] = out[:, 6] = ord(":")
    return out


def _full(table: npt.NDArray[np.uint8], codes: npt.NDArray[np.intp] | None = None) -> Segment:
    """A segment whose table rows all use the full width."""
    return Segment(table, np.full(table.shape[0], table.shape[1], dtype=np.int64), codes)


_TIME_TABLE = _time_block(np.arange(S_PER_DAY, dtype=np.int64))  # 778 kB: every second of a day


def _day_and_time(t: npt.NDArray[np.int64]) -> tuple[Segment, Segment]:
    """``YYYY-MM-DD`` and ``THH:MM:SS`` segments of UTC epoch seconds: dates rendered once per
    day of the span (or per row when the days are far apart), times looked up in the table of
    the 86,400 seconds of a day."""
    if t.size and (int(t.min()) < _MIN_S or int(t.max()) > _MAX_S):
        raise ValueError("timestamps outside years 1..9999 cannot be written as ISO 8601")
    days = t // S_PER_DAY
    seconds_of_day = (t - days * S_PER_DAY).astype(np.intp)
    if t.size == 0:
        return _full(np.zeros((0, 10), np.uint8)), _full(_TIME_TABLE, seconds_of_day)
    first, last = int(days.min()), int(days.max())
    if last - first < 4 * t.size:
        date = _full(_date_block(np.arange(first, last + 1, dtype=np.int64)),
                     (days - first).astype(np.intp))
    else:
        date = _full(_date_block(days))
    return date, _full(_TIME_TABLE, seconds_of_day)


def iso_utc_column(t_s: npt.ArrayLike, *, quote: bool = False) -> ByteColumn:
    """``YYYY-MM-DDTHH:MM:SSZ`` (20 bytes) for each instant [UTC epoch s] (years 1..9999),
    in double quotes (22 bytes) when ``quote``."""
    date, time = _day_and_time(np.asarray(t_s, dtype=np.int64).reshape(-1))
    return (b'"', date, time, b'Z"') if quote else (date, time, b"Z")


def iso_local_column(t_s: npt.ArrayLike, offset_s: npt.ArrayLike, *,
                     quote: bool = False) -> ByteColumn:
    """``YYYY-MM-DDTHH:MM:SS±hh:mm``: each instant [UTC epoch s] in civil time at its UTC
    offset [s] (offsets from :func:`openamr.timeutil.utc_offsets_s`; whole minutes)."""
    t = np.asarray(t_s, dtype=np.int64).reshape(-1)
    offsets = np.asarray(offset_s, dtype=np.int64).reshape(-1)
    date, time = _day_and_time(t + offsets)
    distinct, codes = np.unique(offsets, return_inverse=True)
    minutes = np.abs(distinct) // 60
    table = np.empty((distinct.size, 6), dtype=np.uint8)
    table[:, 0] = np.where(distinct < 0, ord("-"), ord("+"))
    _digits(table, 1, minutes // 60, 2)
    table[:, 3] = ord(":")
    _digits(table, 4, minutes % 60, 2)
    offset = _full(table, codes.reshape(-1).astype(np.intp))
    return (b'"', date, time, offset, b'"') if quote else (date, time, offset)


def float_column(values: npt.ArrayLike, *, align: str = "left") -> ByteColumn:
    """The shortest round-trip decimal text of each float (``null`` for NaN/inf).

    ``align="right"`` pads every row on the left with spaces to the widest value and reports
    every row as full width: JSON allows whitespace after ``:``, and a fixed-width column keeps
    the whole row fixed width, which :func:`join_rows` writes with one structured copy.
    """
    return (_number_column(np.ascontiguousarray(values, dtype=np.float64).reshape(-1), align),)


def int_column(values: npt.ArrayLike, *, align: str = "left") -> ByteColumn:
    """The decimal text of each integer (``align`` as for :func:`float_column`)."""
    return (_number_column(np.ascontiguousarray(values, dtype=np.int64).reshape(-1), align),)


_WHOLE_MAX = 1e15  # below it orjson writes a whole float as digits + ".0"
_POWERS_OF_TEN = 10 ** np.arange(16, dtype=np.int64)
_SMALL_TABLE_ROWS = 1024  # a table of 0 .. max is used up to max(rows, this) entries


def _whole_text(whole: npt.NDArray[np.int64], digits: int) -> npt.NDArray[np.uint8]:
    """Right-aligned ``123.0`` of each non-negative integer, ``digits`` + 2 bytes wide."""
    block = np.empty((whole.size, digits + 2), dtype=np.uint8)
    _digits(block, 0, whole, digits)
    widths = np.maximum(np.searchsorted(_POWERS_OF_TEN, whole, side="right"), 1)
    lead = np.arange(digits) < (digits - widths)[:, None]
    block[:, :digits][lead] = ord(" ")
    block[:, digits] = ord(".")
    block[:, digits + 1] = ord("0")
    return block


def _whole_floats_right(array: npt.NDArray[np.float64]) -> Segment | None:
    """Right-aligned ``123.0`` text of non-negative whole floats (pulse counts times Kh are
    whole watt-hours): a table of ``0 .. max`` indexed by value when it is no longer than the
    column, else digit arithmetic per row; None when some value is not such a float."""
    if not bool(np.all((array >= 0) & (array < _WHOLE_MAX))) or bool(np.any(np.signbit(array))):
        return None  # NaN fails the first test, -0.0 (written "-0.0") the second
    whole = array.astype(np.int64)
    if not bool(np.array_equal(whole, array)):
        return None
    top = int(whole.max())
    digits = max(len(str(top)), 1)
    if top < max(array.size, _SMALL_TABLE_ROWS):
        return _full(_whole_text(np.arange(top + 1, dtype=np.int64), digits),
                     whole.astype(np.intp))
    return _full(_whole_text(whole, digits))


def _number_column(array: npt.NDArray[np.float64] | npt.NDArray[np.int64],
                   align: str) -> Segment:
    if array.size == 0:
        return Segment(np.zeros((0, 0), dtype=np.uint8), np.zeros(0, dtype=np.int64))
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
        return _full(block)
    return Segment(_pad(flat[~is_comma], lengths), lengths)


_PEEL_MAX = 8  # distinct values found by comparison before falling back to a sort


def _categories(array: npt.NDArray[np.str_]) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.intp]]:
    """The distinct values of a text array and each row's index among them.

    A few distinct values (quality codes) are peeled off one comparison at a time (a pass
    each over the rows left, no sort; one pass when every row has the same value); more fall
    back to :func:`numpy.unique`.
    """
    codes = np.zeros(array.size, dtype=np.intp)
    distinct = []
    index: npt.NDArray[np.intp] | None = None  # rows left (None: all of them)
    left = array
    while True:
        hit = left == left[0]
        distinct.append(left[0])
        if index is not None:
            codes[index[hit]] = len(distinct) - 1
        miss = ~hit
        if not miss.any():
            return np.array(distinct, dtype=array.dtype), codes
        if len(distinct) == _PEEL_MAX:
            unique, inverse = np.unique(array, return_inverse=True)
            return unique, inverse.reshape(-1).astype(np.intp)
        index = np.flatnonzero(miss) if index is None else index[miss]
        left = array[index]


def text_column(values: Sequence[str] | npt.NDArray[np.str_], *, quote: bool = False,
                pad: bool = False) -> ByteColumn:
    """UTF-8 bytes of each value (JSON-quoted and escaped when ``quote``), distinct values once;
    ``pad``: padded with trailing spaces to the widest value (JSON whitespace, keeping rows
    fixed width; never for CSV)."""
    array = np.asarray(values).reshape(-1)
    if array.dtype.kind != "U":
        array = array.astype(str)
    if array.size == 0:
        return (Segment(np.zeros((0, 0), dtype=np.uint8), np.zeros(0, dtype=np.int64)),)
    distinct, codes = _categories(array)
    encoded = [orjson.dumps(str(v)) if quote else str(v).encode() for v in distinct]
    table_lengths = np.array([len(b) for b in encoded], dtype=np.int64)
    table = _pad(np.frombuffer(b"".join(encoded), dtype=np.uint8), table_lengths,
                 fill=ord(" ") if pad else 0)
    if pad:
        table_lengths = np.full(table_lengths.size, table.shape[1], dtype=np.int64)
    return (Segment(table, table_lengths, codes),)


def _pad(flat: npt.NDArray[np.uint8], lengths: npt.NDArray[np.int64],
         fill: int = 0) -> npt.NDArray[np.uint8]:
    """Rows of ``lengths`` bytes taken in turn from ``flat``, padded with ``fill`` into a 2-D
    block."""
    width = int(lengths.max()) if lengths.size else 0
    block = np.full((lengths.size, width), fill, dtype=np.uint8)
    block[np.arange(width) < lengths[:, None]] = flat
    return block


def _affixed(segment: Segment, prefix: bytes, suffix: bytes) -> Segment:
    """The fixed-width segment with ``prefix`` and ``suffix`` written around each row of its
    table (the row keeps its bytes in the same place)."""
    rows = segment.table.shape[0]
    parts = [np.broadcast_to(np.frombuffer(prefix, dtype=np.uint8), (rows, len(prefix))),
             segment.table,
             np.broadcast_to(np.frombuffer(suffix, dtype=np.uint8), (rows, len(suffix)))]
    return _full(np.concatenate(parts, axis=1), segment.codes)


def _constant(segment: Segment) -> bytes | None:
    """The segment's text when it is the same on every row (a one-row table), else None."""
    if segment.codes is not None and segment.table.shape[0] == 1:
        return bytes(segment.table[0, :int(segment.lengths[0])])
    return None


def _foldable(piece: Piece | None, rows: int) -> bool:
    """Whether constants may be written into the piece's table: a fixed-width table with codes,
    no longer than the column (rewriting it costs less than the field it saves)."""
    return (isinstance(piece, Segment) and piece.codes is not None and piece.fixed
            and piece.table.shape[0] <= rows)


def _plan(pieces: Sequence[Piece | ByteColumn], separator: bytes, rows: int) -> list[Piece]:
    """The pieces of a row, flattened, with one-value segments made constants, adjacent
    constants merged, and constants folded into a neighbouring fixed-width table (a segment
    with codes, whose table is short): fewer fields to write.  Every byte keeps its place in
    the row, so the separator stays the row's last bytes."""
    flat: list[Piece] = []
    for piece in [*pieces, separator]:
        for part in piece if isinstance(piece, tuple) else (piece,):
            if isinstance(part, Segment):
                text = _constant(part)
                part = text if text is not None else part
            if isinstance(part, bytes) and flat and isinstance(flat[-1], bytes):
                flat[-1] += part
            elif not isinstance(part, bytes) or part:
                flat.append(part)
    folded: list[Piece] = []
    for i, part in enumerate(flat):
        if not isinstance(part, bytes):
            folded.append(part)
            continue
        after = flat[i + 1] if i + 1 < len(flat) else None
        before = folded[-1] if folded else None
        if _foldable(before, rows):
            folded[-1] = _affixed(before, b"", part)  # type: ignore[arg-type]
        elif _foldable(after, rows):
            flat[i + 1] = _affixed(after, part, b"")  # type: ignore[arg-type]
        else:
            folded.append(part)
    return folded


_GATHER_ROWS = 2048  # rows per gather: its temporary stays small (reused, in cache)


def _gather(table: npt.NDArray[np.bytes_], codes: npt.NDArray[np.intp],
            field: npt.NDArray[np.bytes_]) -> None:
    """``field[i] = table[codes[i]]``, a block of rows at a time: ``np.take`` gathers into a
    contiguous temporary (about 3× faster than fancy indexing), copied into the strided field;
    by blocks the temporary stays small and in cache instead of megabytes of fresh pages per
    request (``np.take(..., out=field)`` is worse: a strided ``out`` is first copied into such
    a temporary, reading the fresh output pages)."""
    for start in range(0, codes.size, _GATHER_ROWS):
        stop = start + _GATHER_ROWS
        field[start:stop] = np.take(table, codes[start:stop])


def join_rows(pieces: Sequence[Piece | ByteColumn], rows: int, *, separator: bytes = b"",
              head: bytes = b"", tail: bytes = b"") -> memoryview:
    """``head`` + the rows joined by ``separator`` + ``tail``; each row concatenates the pieces
    (constant bytes, segments, or columns of them).

    The rows are written as one numpy structured array (one fixed-width bytes field per piece
    after :func:`_plan`: a gather or a strided copy per field, no loop over rows) placed
    directly inside the output buffer, which is returned as a memoryview (no further copy:
    Starlette sends it as is); the tail overwrites the last row's separator.  When a segment is
    ragged its padding and the last separator are squeezed out with a boolean mask.
    """
    if rows == 0:
        return memoryview(head + tail)
    plan = _plan(pieces, separator, rows)
    widths = [len(p) if isinstance(p, bytes) else p.width for p in plan]
    width = sum(widths)
    if width == 0:
        return memoryview(head + tail)
    ragged = any(isinstance(p, Segment) and not p.fixed for p in plan)
    fields = [(f"f{i}", f"S{w}") for i, w in enumerate(widths) if w]
    body_start = 0 if ragged else len(head)
    out = np.empty(body_start + rows * width + (0 if ragged else len(tail)), dtype=np.uint8)
    record = out[body_start:body_start + rows * width].view(np.dtype(fields))
    names = iter(name for name, _ in fields)
    for piece, piece_width in zip(plan, widths, strict=True):
        if not piece_width:
            continue
        field = record[next(names)]
        if isinstance(piece, bytes):
            field[...] = piece
            continue
        table = np.ascontiguousarray(piece.table).view(f"S{piece_width}").reshape(-1)
        if piece.codes is None:
            field[...] = table
        else:
            _gather(table, piece.codes, field)
    if ragged:
        keep = np.concatenate(
            [np.broadcast_to(np.True_, (rows, w)) if isinstance(p, bytes) or p.fixed
             else np.arange(w) < p.row_lengths()[:, None]
             for p, w in zip(plan, widths, strict=True) if w], axis=1)
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
