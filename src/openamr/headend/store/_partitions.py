"""Monthly partitions of the PostgreSQL ``intervals`` table (schema version 10).

``intervals`` is ``PARTITION BY RANGE (start_s)``: one partition per UTC calendar month, named
``intervals_yYYYYmMM`` with bounds ``[first second of the month, first second of the next)``
[UTC epoch s], plus ``intervals_default`` for rows whose month has no partition.
:class:`MonthPartitions` creates the months a write needs before the write:

* the months that exist are cached as merged ranges; a batch whose ``[min, max]`` lies in them
  costs two comparisons (the usual case: a batch is minutes to hours of readings);
* otherwise the batch's distinct months are computed once (numpy) and the missing ones are
  created together in ONE short transaction on a connection of their own, never inside the
  writer's transaction (its locks would be held until its commit), under a transaction-level
  advisory lock (two writers never create the same month) with ``lock_timeout``;
* a month is created by ``CREATE TABLE ... (LIKE intervals INCLUDING ALL)``, moving the rows
  of that month out of ``intervals_default`` into it (PostgreSQL refuses a partition whose
  range matches rows in DEFAULT), then ``ATTACH PARTITION``: that takes SHARE UPDATE EXCLUSIVE
  on ``intervals`` (concurrent inserts and reads go on) and ACCESS EXCLUSIVE on
  ``intervals_default`` only;
* months more than ``horizon_months`` after the month of the write's ``received_s`` (a clock
  error, a far-future import) get no partition: their rows wait in ``intervals_default`` until
  their month is created (by a later write within the horizon or by
  :meth:`MonthPartitions.maintain`);
* when the month cannot be created now, its rows go to ``intervals_default`` and are moved out
  later, never refused: the writer's own transaction holds a lock on ``intervals_default``
  (checked in ``pg_locks`` first: waiting for it would wait for ourselves), or another
  transaction holds it longer than ``lock_timeout_ms`` (which also breaks any wait cycle that
  runs through a client and that PostgreSQL's deadlock detector cannot see).

The migration (``schema/postgres/0010_interval_partitions.sql``) names and bounds months the
same way; ``tests/headend/store/test_store_partitions.py`` checks that they agree.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import sql

from openamr.timeutil import utc_month_start_s, utc_months

__all__ = ["MonthPartitions", "Partition", "PartitionReport", "month_name"]

log = logging.getLogger("openamr.store.partitions")

PARTITION_LOCK = 0x6F616D7270617274
"""``pg_advisory_xact_lock`` key of partition creation ("oamrpart"; not the migration's)."""
_UNBOUNDED = 1 << 62
"""Stands for MINVALUE / MAXVALUE bounds (beyond any epoch second the store can hold)."""
_BOUND = re.compile(r"FOR VALUES FROM \((.+?)\) TO \((.+?)\)")


def month_name(table: str, month: int) -> str:
    """The partition of ``table`` for a month of :func:`~openamr.timeutil.utc_months`
    (``intervals_y2026m01``)."""
    year, month0 = divmod(int(month) + 1970 * 12, 12)
    return f"{table}_y{year:04d}m{month0 + 1:02d}"


def _bound(text: str) -> int:
    """A range bound as ``pg_get_expr`` prints it (``'1767225600'``, ``MINVALUE``)."""
    text = text.strip()
    if text == "MINVALUE":
        return -_UNBOUNDED
    if text == "MAXVALUE":
        return _UNBOUNDED
    return int(text.strip("'"))


@dataclass(frozen=True, slots=True)
class Partition:
    """One partition of the table: a month (or any range an operator made) or DEFAULT."""

    name: str
    start_s: int | None
    """First second [UTC epoch s] of its range; None for DEFAULT (or MINVALUE)."""
    end_s: int | None
    """First second after its range; None for DEFAULT (or MAXVALUE)."""
    rows: int
    """Rows: exact for DEFAULT; for the others PostgreSQL's statistics (``n_live_tup``:
    an estimate that trails the last commits by a moment)."""
    default: bool = False
    """True for the DEFAULT partition."""


@dataclass(frozen=True, slots=True)
class PartitionReport:
    """What :meth:`MonthPartitions.maintain` / :meth:`MonthPartitions.report` found."""

    table: str
    partitions: tuple[Partition, ...]
    """Every partition, by start (DEFAULT last)."""
    created: tuple[str, ...]
    """Partitions created by this call."""
    deferred: tuple[str, ...]
    """Months that could not be created now (their rows stay in DEFAULT)."""

    @property
    def default_rows(self) -> int:
        """Rows in the DEFAULT partition (0 when everything has its month)."""
        return sum(p.rows for p in self.partitions if p.default)


class MonthPartitions:
    """The month partitions of one range-partitioned table of one store (thread-safe)."""

    def __init__(self, connect: Callable[[], Any], writer_pid: Callable[[], int | None], *,
                 table: str = "intervals", column: str = "start_s", horizon_months: int = 12,
                 lock_timeout_ms: int = 2000) -> None:
        self._connect = connect
        """A new autocommit connection with the store's settings (``search_path``)."""
        self._writer_pid = writer_pid
        """The backend pid of the store's write connection (None: not connected)."""
        self.table = table
        self.column = column
        self.horizon_months = horizon_months
        """Months after the write's ``received_s`` month that get a partition on demand (rows
        of later months, bad clocks, wait in DEFAULT)."""
        self.lock_timeout_ms = lock_timeout_ms
        self._conn: Any = None
        self._lock = threading.Lock()
        self._ranges: list[tuple[int, int]] | None = None
        """The partitions' ranges [UTC epoch s), merged and sorted; None: not loaded."""
        self._starts: list[int] = []
        self._partial: set[int] = set()
        """Months an operator's partition covers in part: never created (rows: DEFAULT)."""

    # -- the cache ------------------------------------------------------------------------

    def forget(self) -> None:
        """Drop the cached ranges (they are read again at the next use)."""
        with self._lock:
            self._ranges = None

    def _set_ranges(self, ranges: Iterable[tuple[int, int]]) -> None:
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted(ranges):
            if merged and lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
            else:
                merged.append((lo, hi))
        self._ranges = merged
        self._starts = [lo for lo, _hi in merged]

    def _find(self, lo: int, hi: int) -> tuple[bool, bool]:
        """(``[lo, hi)`` lies in one partition range, it meets one)."""
        assert self._ranges is not None
        i = bisect.bisect_right(self._starts, lo) - 1
        inside = i >= 0 and self._ranges[i][1] >= hi
        meets = (i >= 0 and self._ranges[i][1] > lo) or (
            i + 1 < len(self._ranges) and self._ranges[i + 1][0] < hi)
        return inside, meets

    # -- the hot path ---------------------------------------------------------------------

    def ensure(self, start_s: npt.NDArray[np.int64], lo_s: int, hi_s: int,
               received_s: int) -> None:
        """Create the month partitions that rows starting at ``start_s`` (whose min and max
        are ``lo_s``, ``hi_s``) need, up to ``horizon_months`` after ``received_s``'s month.
        Rows of months not created (too far ahead, or deferred) go to DEFAULT."""
        with self._lock:
            if self._ranges is None:
                self._load()
            first, last = (int(m) for m in utc_months(np.array([lo_s, hi_s])))
            edges = utc_month_start_s(np.array([first, last + 1]))
            if self._find(int(edges[0]), int(edges[1]))[0]:
                return  # every month from the first to the last has its partition
            months = (np.unique(utc_months(start_s)) if last > first
                      else np.array([first], dtype=np.int64))
            horizon = int(utc_months(np.array([received_s]))[0]) + self.horizon_months
            missing = self._missing(months[months <= horizon])
            if missing:
                self._create(missing)

    def _missing(self, months: npt.NDArray[np.int64]) -> list[int]:
        """Of ``months``, those that no partition covers, even in part."""
        if self._ranges is None:
            self._load()
        bounds = utc_month_start_s(np.concatenate([months, months + 1]))
        n = len(months)
        out = []
        for i, month in enumerate(months.tolist()):
            inside, meets = self._find(int(bounds[i]), int(bounds[n + i]))
            if not meets:
                out.append(month)
            elif not inside and month not in self._partial:
                self._partial.add(month)
                log.warning("%s: a partition covers part of %s; its other rows stay in the "
                            "DEFAULT partition", self.table, month_name(self.table, month))
        return out

    # -- connection and catalog -------------------------------------------------------------

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed or self._conn.broken:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._connect()
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _catalog(self, conn: Any) -> list[tuple[str, str, int]]:
        """(name, bound expression, estimated rows) of every partition of the table.

        ``pg_get_expr(..., 0)``: bounds are constants, and naming the partition would lock it
        (a read of the bounds would then wait behind another session's month creation)."""
        rows = conn.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, 0), "
            "coalesce(s.n_live_tup, greatest(c.reltuples, 0))::bigint "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid "
            "WHERE i.inhparent = %s::regclass", (self.table,)).fetchall()
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    def _load(self, conn: Any = None) -> list[tuple[str, str, int]]:
        found = self._catalog(conn if conn is not None else self._connection())
        ranges = []
        for _name, expr, _rows in found:
            match = _BOUND.match(expr)
            if match:
                ranges.append((_bound(match.group(1)), _bound(match.group(2))))
        self._set_ranges(ranges)
        return found

    def _default_name(self, found: list[tuple[str, str, int]]) -> str | None:
        return next((name for name, expr, _rows in found if expr == "DEFAULT"), None)

    # -- creating months --------------------------------------------------------------------

    def _create(self, months: list[int]) -> tuple[list[str], list[str]]:
        """Create the partitions of ``months`` in one transaction (moving their rows out of
        DEFAULT); returns (created, deferred) partition names."""
        names = [month_name(self.table, m) for m in months]
        conn = self._connection()
        try:
            created = self._create_in(conn, months)
        except psycopg.errors.LockNotAvailable:
            log.info("%s: %s deferred: the DEFAULT partition stayed locked for %d ms; their "
                     "rows wait there", self.table, ", ".join(names), self.lock_timeout_ms)
            return [], names
        except psycopg.OperationalError as exc:  # the connection was lost: the write decides
            log.warning("%s: could not create %s (%s); their rows wait in DEFAULT",
                        self.table, ", ".join(names), exc)
            self._ranges = None
            return [], names
        if created is None:
            log.info("%s: %s deferred: this store's open transaction holds the DEFAULT "
                     "partition; their rows wait there", self.table, ", ".join(names))
            return [], names
        if created:
            log.info("%s: created %s", self.table, ", ".join(created))
        return created, []

    def _create_in(self, conn: Any, months: list[int]) -> list[str] | None:
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(
                sql.Literal(f"{int(self.lock_timeout_ms)}ms")))
            found = self._catalog(conn)
            default = self._default_name(found)
            writer = self._writer_pid()
            if default is not None and writer is not None and conn.execute(
                    "SELECT 1 FROM pg_locks WHERE pid = %s AND relation = %s::regclass",
                    (writer, default)).fetchone() is not None:
                return None  # waiting for the DEFAULT lock would wait for our own writer
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (PARTITION_LOCK,))
            self._load(conn)  # what other processes created meanwhile
            todo = self._missing(np.array(months, dtype=np.int64))
            if not todo:
                return []
            schema = conn.execute("SELECT n.nspname FROM pg_class c JOIN pg_namespace n "
                                  "ON n.oid = c.relnamespace WHERE c.oid = %s::regclass",
                                  (self.table,)).fetchone()[0]
            parent = sql.Identifier(schema, self.table)
            column = sql.Identifier(self.column)
            if default is not None:
                conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                    sql.Identifier(schema, default)))
            bounds = utc_month_start_s(np.array(todo + [m + 1 for m in todo], dtype=np.int64))
            created = []
            for i, month in enumerate(todo):
                lo, hi = int(bounds[i]), int(bounds[len(todo) + i])
                name = month_name(self.table, month)
                part = sql.Identifier(schema, name)
                conn.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                    part, parent))
                if default is not None:
                    conn.execute(sql.SQL(
                        "WITH moved AS (DELETE FROM {} WHERE {} >= %s AND {} < %s RETURNING *) "
                        "INSERT INTO {} SELECT * FROM moved").format(
                            sql.Identifier(schema, default), column, column, part), (lo, hi))
                conn.execute(sql.SQL("ALTER TABLE {} ATTACH PARTITION {} "
                                     "FOR VALUES FROM ({}) TO ({})").format(
                    parent, part, sql.Literal(lo), sql.Literal(hi)))
                created.append(name)
        # committed: the new ranges are known (a rollback above leaves the cache as it was
        # read, which the next use corrects under the lock)
        assert self._ranges is not None
        self._set_ranges(self._ranges + [
            (int(bounds[i]), int(bounds[len(todo) + i])) for i in range(len(todo))])
        return created

    # -- maintenance ----------------------------------------------------------------------

    def maintain(self, now_s: int, ahead_months: int = 1) -> PartitionReport:
        """Create the partitions of the month of ``now_s`` and the ``ahead_months`` after it
        (so the month's first write does not create it), and of every month within the
        horizon (:attr:`horizon_months` after ``now_s``) that has rows in DEFAULT, moving them
        out."""
        with self._lock:
            conn = self._connection()
            found = self._load(conn)
            now_month = int(utc_months(np.array([now_s]))[0])
            wanted = set(range(now_month, now_month + ahead_months + 1))
            default = self._default_name(found)
            if default is not None:
                days = conn.execute(sql.SQL(
                    "SELECT DISTINCT floor({} / 86400.0)::bigint FROM {}").format(
                        sql.Identifier(self.column), sql.Identifier(default))).fetchall()
                in_default = utc_months(np.array([d[0] for d in days], dtype=np.int64) * 86400)
                wanted |= {int(m) for m in in_default
                           if m <= now_month + self.horizon_months}
            missing = self._missing(np.array(sorted(wanted), dtype=np.int64))
            created, deferred = self._create(missing) if missing else ([], [])
            return self._report(tuple(created), tuple(deferred))

    def report(self) -> PartitionReport:
        """Every partition of the table with its range and rows (nothing is changed)."""
        with self._lock:
            return self._report((), ())

    def _report(self, created: tuple[str, ...], deferred: tuple[str, ...]) -> PartitionReport:
        conn = self._connection()
        found = self._load(conn)
        parts = []
        for name, expr, rows in found:
            match = _BOUND.match(expr)
            if match is None:  # DEFAULT: counted exactly (it should be small)
                count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
                    sql.Identifier(name))).fetchone()[0]
                parts.append(Partition(name, None, None, int(count), default=True))
                continue
            lo, hi = _bound(match.group(1)), _bound(match.group(2))
            parts.append(Partition(name, None if lo == -_UNBOUNDED else lo,
                                   None if hi == _UNBOUNDED else hi, rows))
        parts.sort(key=lambda p: (p.default, p.start_s if p.start_s is not None else -_UNBOUNDED))
        return PartitionReport(self.table, tuple(parts), created, deferred)
