"""SQLite's multi-row inserts (``SqliteStore._insert_rows``) store exactly what row-by-row
``executemany`` stores: the same rows, the same first-wins on conflicting keys, the same count."""

from __future__ import annotations

import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.headend.store.sqlite import ROWS_PER_STATEMENT, SqliteStore, _multi_row, _statement

_SQL = "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT DO NOTHING"


def test_statement_forms() -> None:
    assert _multi_row(_SQL) is not None
    assert _statement(_SQL, 3) == ("INSERT INTO t (k, v) VALUES (?, ?), (?, ?), (?, ?) "
                                   "ON CONFLICT DO NOTHING")
    upsert = ("INSERT INTO s (d, x) VALUES (?, ?) ON CONFLICT (d) DO UPDATE SET "
              "x = coalesce(excluded.x, s.x)")
    assert _statement(upsert, 2).startswith("INSERT INTO s (d, x) VALUES (?, ?), (?, ?) ON")
    assert _multi_row("UPDATE t SET v = ? WHERE k = ?") is None
    assert _multi_row("INSERT INTO t VALUES (?, unixepoch())") is None  # nested parentheses
    assert _multi_row("INSERT INTO t VALUES (?, ?) RETURNING k") is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(-5, 5)),
                max_size=3 * ROWS_PER_STATEMENT + 7))
def test_multi_row_equals_row_by_row(rows: list[tuple[int, int]]) -> None:
    store = SqliteStore(":memory:")
    try:
        store._w.execute("CREATE TEMP TABLE t (k INTEGER PRIMARY KEY, v INTEGER)")
        store._w.execute("BEGIN")
        changed = store._executemany_count(_SQL, rows)
        got = store._w.execute("SELECT k, v FROM temp.t ORDER BY k").fetchall()
        store._w.execute("ROLLBACK")
    finally:
        store.close()
    ref = sqlite3.connect(":memory:")
    ref.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)")
    ref.executemany(_SQL, rows)
    assert got == ref.execute("SELECT k, v FROM t ORDER BY k").fetchall()
    assert changed == ref.total_changes
