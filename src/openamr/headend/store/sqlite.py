"""SQLite backend: one file, WAL, ``synchronous=FULL`` (durable commits), one writer connection
behind a lock (``BEGIN IMMEDIATE``), a read connection per thread.

Interval rows are clustered on ``(meter_key, start_s)`` (``WITHOUT ROWID``), so one meter's
year is one contiguous B-tree range; ingest commits thousands of rows at a time, which keeps
the time-major arrival cheap (``bench/bench_ingest.py`` measures both key orders).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.errors import StoreError
from openamr.headend.store._sql import Row, SqlStore

__all__ = ["SqliteStore"]

_BUSY_TIMEOUT_S = 30.0

ROWS_PER_STATEMENT = 200
"""Rows per multi-row ``INSERT ... VALUES (...), (...)`` [rows]: one statement step per 200
rows instead of one per row (bench: ~2x the rows/s of ``executemany`` row by row)."""
_MAX_VARIABLES = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
"""SQLite's limit of ``?`` parameters per statement (``SQLITE_MAX_VARIABLE_NUMBER``)."""
_ONE_ROW = re.compile(r"^(.*?\bVALUES\s*)(\([^()]*\))(.*)$", re.DOTALL | re.IGNORECASE)
"""``head VALUES (one row's marks) tail``: a statement that can take many rows at once."""


@lru_cache(maxsize=256)
def _multi_row(sql: str) -> tuple[str, str, str] | None:
    """``(head VALUES, one row's marks, tail)`` of an ``INSERT ... VALUES (?, ...) ...``
    statement (with no parenthesis inside the row), else None."""
    match = _ONE_ROW.match(sql)
    if match is None or not sql.lstrip().upper().startswith("INSERT"):
        return None
    head, row, tail = match.groups()
    if "?" in head or "?" in tail or "RETURNING" in tail.upper():
        return None
    return head, row, tail


@lru_cache(maxsize=256)
def _statement(sql: str, rows: int) -> str:
    """The multi-row form of ``sql`` for ``rows`` rows (see :func:`_multi_row`)."""
    split = _multi_row(sql)
    assert split is not None
    head, row, tail = split
    return head + ", ".join([row] * rows) + tail


class SqliteStore(SqlStore):
    """The store in one SQLite file (``:memory:`` for a private in-memory database)."""

    dialect = "sqlite"

    def __init__(self, path: str | Path, *, synchronous: str = "FULL", create: bool = True,
                 busy_timeout_s: float | None = None) -> None:
        if synchronous.upper() not in ("NORMAL", "FULL"):
            raise StoreError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
        self.synchronous = synchronous.upper()
        self.path = str(path)
        self.url = f"sqlite:///{self.path}"
        self.busy_timeout_s = _BUSY_TIMEOUT_S if busy_timeout_s is None else busy_timeout_s
        """How long a write waits for another process's lock before failing [s]."""
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(create=create)

    def _connect(self, *, write: bool) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=self.busy_timeout_s)
        try:
            self._configure(conn, write=write)
        except BaseException:
            conn.close()
            raise
        return conn

    def _configure(self, conn: sqlite3.Connection, *, write: bool) -> None:
        if write:
            # 16 KiB pages (a no-op on an existing file): fewer splits and dirty pages per
            # commit for time-major arrival (bench: ~1.25x the rows/s of 4 KiB pages)
            conn.execute("PRAGMA page_size = 16384")
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA cache_size = -65536")
        else:
            conn.execute("PRAGMA query_only = ON")

    def backup(self, destination: str) -> None:
        """SQLite's online backup API from the write connection (under the store's lock: a
        consistent snapshot even while ingest runs), into ``destination`` (replaced)."""
        try:
            target = sqlite3.connect(destination)
            try:
                with self._lock:
                    self._settle_pending()
                    self._w.backup(target)
            finally:
                target.close()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write the backup to {destination}: {exc}") from None

    def _shared_reads(self) -> bool:
        return self.path == ":memory:"

    def _begin_sql(self) -> str:
        return "BEGIN IMMEDIATE"

    _SCHEMA_VERSION_DDL = ("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL,"
                           " applied_s INTEGER NOT NULL DEFAULT (unixepoch()))")

    def _where(self) -> str:
        return f"{self.path}: "

    def _executemany_count(self, sql: str, rows: Iterable[Row]) -> int:
        before = self._w.total_changes
        self._insert_rows(sql, rows)
        return int(self._w.total_changes - before)

    def _insert_rows(self, sql: str, rows: Iterable[Row]) -> None:
        """``executemany(sql, rows)``, for an ``INSERT ... VALUES (?, ...)`` as multi-row
        statements of up to ``ROWS_PER_STATEMENT`` rows each (the same rows in the same order,
        so conflicts resolve as row by row: SQLite applies a statement's rows in turn)."""
        split = _multi_row(sql)
        width = 0 if split is None else split[1].count("?")
        if width == 0:
            self._w.executemany(sql, rows)
            return
        per = max(1, min(ROWS_PER_STATEMENT, _MAX_VARIABLES // width))
        flat = list(chain.from_iterable(rows))
        n = len(flat) // width
        if len(flat) != n * width:
            raise StoreError(f"rows of {width} values expected for {sql[:40]!r}")
        full = n // per
        if full:
            step = per * width
            self._w.executemany(_statement(sql, per),
                                (flat[a:a + step] for a in range(0, full * step, step)))
        rest = n - full * per
        if rest:  # the single-row statement: one compiled statement whatever the remainder
            tail = flat[full * per * width:]
            self._w.executemany(sql, (tail[a:a + width] for a in range(0, len(tail), width)))

    def _insert_intervals_all(self, keys: npt.NDArray[np.int64], start: npt.NDArray[np.int64],
                              energy: npt.NDArray[np.float64], quality: npt.NDArray[np.int64],
                              flags: npt.NDArray[np.int64], source: int, received_s: int) -> int:
        order = np.lexsort((start, keys))  # in key order: each B-tree leaf is visited once
        rows = zip(keys[order].tolist(), start[order].tolist(), energy[order].tolist(),
                   quality[order].tolist(), flags[order].tolist(), strict=True)
        before = self._w.total_changes
        self._insert_rows(
            "INSERT INTO intervals (meter_key, start_s, energy_wh, quality, flags, source, "
            f"received_s) VALUES (?, ?, ?, ?, ?, {int(source)}, {int(received_s)}) "
            "ON CONFLICT DO NOTHING", rows)
        return int(self._w.total_changes - before)

    def _existing_energy(self, keys: npt.NDArray[np.int64],
                         start: npt.NDArray[np.int64]
                         ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        self._w.execute("CREATE TEMP TABLE IF NOT EXISTS probe "
                        "(meter_key INTEGER, start_s INTEGER)")
        self._w.execute("DELETE FROM temp.probe")
        self._insert_rows("INSERT INTO temp.probe VALUES (?, ?)",
                            zip(keys.tolist(), start.tolist(), strict=True))
        rows = self._w.execute(
            "SELECT i.meter_key, i.start_s, i.energy_wh FROM temp.probe p "
            "JOIN intervals i ON i.meter_key = p.meter_key AND i.start_s = p.start_s"
        ).fetchall()
        self._w.execute("DELETE FROM temp.probe")
        if not rows:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        k, t, e = (np.array(c) for c in zip(*rows, strict=True))
        return (k.astype(np.int64) << 33) | t.astype(np.int64), e.astype(np.float64)

    def _insert_ignore_many(self, table: str, columns: Sequence[str],
                            arrays: Sequence[npt.NDArray[Any]]) -> int:
        marks = ", ".join("?" for _ in columns)
        if len(arrays) >= 2 and len(arrays[0]) > 1:  # in key order (a stable sort: the first
            order = np.lexsort((arrays[1], arrays[0]))  # of equal keys still wins)
            arrays = [a[order] for a in arrays]
        return self._executemany_count(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "
            "ON CONFLICT DO NOTHING", zip(*(a.tolist() for a in arrays), strict=True))
