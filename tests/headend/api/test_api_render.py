"""The vectorised renderers give exactly what a row-by-row encoder would."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from openamr.headend.api.bytecols import (
    ByteColumn,
    Piece,
    Segment,
    float_column,
    int_column,
    iso_local_column,
    iso_utc_column,
    join_rows,
    text_column,
)
from openamr.headend.api.csv_render import intervals_csv, rows_csv
from openamr.headend.api.json_render import series_json

QUALITIES = ["measured", "partial", "clock_unsynced", "estimated", 'odd "quoted"\\ ü',
             "edited", "failed_validation", "a", "b", "c"]  # > 8: past the peeling of values


def _texts(column: ByteColumn, rows: int) -> list[str]:
    """Each row's text of a column (joined with newlines, then split)."""
    return bytes(join_rows([column], rows, separator=b"\n")).decode().split("\n")


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@settings(max_examples=60, deadline=None)
@given(t=hnp.arrays(np.int64, st.integers(0, 50),
                    elements=st.integers(-2_000_000_000, 32_503_680_000)),
       energy=st.one_of(
           st.lists(st.floats(allow_nan=True, allow_infinity=False, width=64), max_size=50),
           st.lists(st.integers(0, 10**15).map(float), max_size=50),
           st.lists(st.integers(0, 60).map(float), max_size=50)),  # the table of 0 .. max
       quality_codes=st.one_of(st.lists(st.integers(0, len(QUALITIES) - 1), max_size=50),
                               st.lists(st.integers(0, 2), max_size=50)),
       align=st.sampled_from(["left", "right"]), pad=st.booleans())
def test_series_json_equals_a_row_by_row_encoding(t: np.ndarray, energy: list[float],
                                                  quality_codes: list[int], align: str,
                                                  pad: bool) -> None:
    n = min(t.size, len(energy), len(quality_codes))
    t, e = t[:n], np.array(energy[:n], dtype=np.float64)
    q = np.array([QUALITIES[c] for c in quality_codes[:n]], dtype=object)
    body = series_json({"meter_id": "m-é", "next": None}, "intervals", n,
                       [("start", iso_utc_column(t, quote=True)),
                        ("energy_wh", float_column(e, align=align)),
                        ("quality", text_column(q, quote=True, pad=pad))])
    parsed = orjson.loads(body)
    assert parsed == {"meter_id": "m-é", "next": None, "intervals": [
        {"start": _iso(int(a)), "energy_wh": None if math.isnan(b) else b, "quality": c}
        for a, b, c in zip(t.tolist(), e.tolist(), q.tolist(), strict=True)]}


def test_iso_column_at_the_ends_of_the_calendar() -> None:
    t = np.array([-62_135_596_800, 0, 951_782_400, 253_402_300_799], dtype=np.int64)
    assert _texts(iso_utc_column(t), 4) == [
        "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2000-02-29T00:00:00Z",
        "9999-12-31T23:59:59Z"]
    with pytest.raises(ValueError, match="years"):
        iso_utc_column([253_402_300_800])


def test_join_rows_with_separator_head_tail_and_no_rows() -> None:
    # ragged: padding and the last separator are squeezed out
    assert join_rows([b"a", text_column(["x", "yy"])], 2, separator=b";") == b"ax;ayy"
    # fixed width: the tail overwrites the last separator
    assert join_rows([b"a", text_column(["x", "y"])], 2, separator=b",", head=b"[",
                     tail=b"]") == b"[ax,ay]"
    assert join_rows([b"a", text_column(["x", "y"])], 2, separator=b",") == b"ax,ay"
    assert join_rows([b"a"], 0, separator=b";", head=b"[", tail=b"]") == b"[]"


def test_intervals_csv_round_trips() -> None:
    t = np.array([0, 900, 1800], dtype=np.int64)
    e = np.array([1.5, np.nan, 1e-7])
    q = np.array(["measured", "partial", "measured"])
    text = intervals_csv("=m,1", t, e, q).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["meter_id", "start", "energy_wh", "quality"],
                    ["'=m,1", "1970-01-01T00:00:00Z", "1.5", "measured"],
                    ["'=m,1", "1970-01-01T00:15:00Z", "", "partial"],
                    ["'=m,1", "1970-01-01T00:30:00Z", "1e-7", "measured"]]
    assert float(rows[3][2]) == 1e-7


def test_rows_csv_neutralises_formulas() -> None:
    assert rows_csv(["a", "b"], [["@SUM(A1)", 3], [None, "-x"]]) == (
        b"a,b\r\n'@SUM(A1),3\r\n,'-x\r\n")


@settings(max_examples=40, deadline=None)
@given(t=st.lists(st.integers(0, 4_000_000_000), min_size=1, max_size=20),
       offset_min=st.integers(-14 * 60, 14 * 60))
def test_local_iso_and_int_columns(t: list[int], offset_min: int) -> None:
    offsets = [offset_min * 60] * len(t)
    zone = timezone(timedelta(minutes=offset_min))
    assert _texts(iso_local_column(t, offsets), len(t)) == [
        datetime.fromtimestamp(x, zone).isoformat() for x in t]
    assert [int(text) for text in _texts(int_column(t, align="right"), len(t))] == t


def _segment(texts: list[bytes], codes: list[int] | None, pad: int) -> Segment:
    lengths = np.array([len(x) for x in texts], dtype=np.int64)
    width = int(lengths.max(initial=0))
    table = np.full((len(texts), width), pad, dtype=np.uint8)
    for i, x in enumerate(texts):
        table[i, :len(x)] = np.frombuffer(x, dtype=np.uint8)
    return Segment(table, lengths, None if codes is None else np.array(codes, dtype=np.intp))


_TEXT = st.binary(min_size=0, max_size=4).filter(lambda b: b"\0" not in b)


@st.composite
def _pieces(draw: st.DrawFn, rows: int) -> tuple[list[Piece], list[list[bytes]]]:
    """Random pieces (constants, dense and table segments, fixed or ragged) and the text each
    gives on every row."""
    pieces: list[Piece] = []
    texts: list[list[bytes]] = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["constant", "dense", "table"]))
        fixed = draw(st.booleans())
        if kind == "constant":
            text = draw(_TEXT)
            pieces.append(text)
            texts.append([text] * rows)
            continue
        size = rows if kind == "dense" else draw(st.integers(1, 5))
        width = draw(st.integers(0, 4))
        strategy = st.binary(min_size=width, max_size=width) if fixed else _TEXT
        table = [draw(strategy.filter(lambda b: b"\0" not in b)) for _ in range(size)]
        codes = None if kind == "dense" else draw(
            st.lists(st.integers(0, size - 1), min_size=rows, max_size=rows))
        pieces.append(_segment(table, codes, pad=draw(st.sampled_from([0, ord(" ")]))))
        texts.append(table if codes is None else [table[c] for c in codes])
    return pieces, texts


@settings(max_examples=200, deadline=None)
@given(data=st.data(), rows=st.integers(1, 8), separator=st.sampled_from([b"", b",", b";\n"]),
       head=_TEXT, tail=_TEXT)
def test_join_rows_equals_a_row_by_row_join(data: st.DataObject, rows: int, separator: bytes,
                                            head: bytes, tail: bytes) -> None:
    """The differential test of the fast path (folding constants into tables, gathers into
    fields, squeezing ragged rows) against a plain Python join."""
    pieces, texts = data.draw(_pieces(rows))
    expected = head + separator.join(b"".join(t[r] for t in texts)
                                     for r in range(rows)) + tail
    assert bytes(join_rows(pieces, rows, separator=separator, head=head, tail=tail)) == expected
