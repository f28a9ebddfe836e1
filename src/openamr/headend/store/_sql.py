"""The SQL shared by both backends: :class:`SqlStore` implements :class:`Store` over a DB-API
connection; :mod:`.sqlite` and :mod:`.postgres` add connections, bulk paths and dialect.

SQL is written once with ``?`` placeholders (the PostgreSQL backend rewrites them to ``%s``)
and uses only what both engines share: ``INSERT ... ON CONFLICT``, ``RETURNING``, partial
indexes, savepoints.
"""

from __future__ import annotations

import abc
import json
import logging
import operator
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.errors import StoreError
from openamr.headend.ids import check_id
from openamr.headend.store._units_sql import UnitsSql
from openamr.headend.store._vee_sql import VeeSqlMixin
from openamr.headend.store.base import (
    ALARM_STATES,
    DEVICE_ROLES,
    QUALITIES,
    SOURCES,
    AlarmRow,
    AmbiguousIdError,
    Device,
    DevicePosition,
    DeviceStatus,
    EventRow,
    IntervalArrays,
    IntervalBatch,
    IntervalTable,
    Meter,
    OutboxItem,
    PutResult,
    RegisterArrays,
    RejectionRow,
    SeqState,
    Site,
    SiteScope,
    SiteTou,
    StatusReport,
    Store,
    TemperatureArrays,
    TokenRow,
    TouRegisterArrays,
)
from openamr.headend.store.migrate import migrations, split_statements
from openamr.timeutil import format_utc

__all__ = ["SqlStore", "signed64", "unsigned64"]

log = logging.getLogger("openamr.store")

Row = tuple[Any, ...]

_QUALITY_CODE = {name: i for i, name in enumerate(QUALITIES)}
_SOURCE_CODE = {name: i for i, name in enumerate(SOURCES)}
_QUALITY_NAMES = np.array(QUALITIES)
_INTERVAL_ROW = np.dtype([("start_s", np.int64), ("energy_wh", np.float64),
                          ("quality", np.int64), ("flags", np.int64)])
_TEMPERATURE_ROW = np.dtype([("start_s", np.int64), ("temperature_c", np.float64)])
_KEY_SHIFT = 33
"""meter_key << 33 | start_s packs an interval key into one int64 (start_s < 2**33)."""

_STATUS_FIELDS = ("device_id", "last_heard_s", "parent_id", "rssi_dbm", "link_margin_db", "etx",
                  "hops", "battery_mv", "battery_remaining_mah", "on_battery", "joined_s",
                  "tx_frames", "retries", "queue_frames", "parent_changes", "firmware", "drops",
                  "uptime_s", "clock_offset_ms", "status_received_s")
_REPORT_FIELDS = ("device_id", "frame_counter", "received_s", "parent_id", "rssi_dbm",
                  "link_margin_db", "etx", "hops", "battery_mv", "battery_remaining_mah",
                  "on_battery", "tx_frames", "retries", "drops", "queue_frames", "parent_changes",
                  "uptime_s", "clock_offset_ms")
_ALARM_COLS = ("code, device_id, meter_id, raised_s, detail, alarm_id, state, acked_by, "
               "acked_s, cleared_s, site_id")
_OUTBOX_COLS = ("item_id, channel, idempotency_key, payload, created_s, attempts, "
                "next_attempt_s, last_error")


def signed64(value: int) -> int:
    """An unsigned 64-bit value as the signed integer the databases store."""
    return value - (1 << 64) if value >= (1 << 63) else value


def unsigned64(value: int) -> int:
    """Inverse of :func:`signed64`."""
    return value + (1 << 64) if value < 0 else value


def _scope(site_id: SiteScope, column: str = "site_id") -> tuple[str, list[Any]]:
    """`` AND column IN (...)`` for a site filter (one id, several, or None: no clause)."""
    if site_id is None:
        return "", []
    ids = [site_id] if isinstance(site_id, str) else list(dict.fromkeys(site_id))
    if not ids:
        return " AND 1 = 0", []
    return f" AND {column} IN ({', '.join('?' for _ in ids)})", ids


def _arr_i64(values: npt.ArrayLike, n: int, name: str) -> npt.NDArray[np.int64]:
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = np.full(n, int(arr), dtype=np.int64)
    if arr.shape != (n,):
        raise StoreError(f"{name}: expected {n} values, got shape {arr.shape}")
    return arr.astype(np.int64, copy=False)


class SqlStore(VeeSqlMixin, UnitsSql, Store):
    """A :class:`Store` over SQL; subclasses provide connections and bulk paths."""

    dialect: str

    def __init__(self, *, create: bool = True) -> None:
        self._create = create
        """False: refuse a database without the openamr schema instead of creating it."""
        self._lock = threading.RLock()
        self._depth = 0
        self._owner: int | None = None
        self._local = threading.local()
        self._readers: list[Any] = []
        self._readers_lock = threading.Lock()
        self._key_by_meter: dict[tuple[str, str], int] = {}
        """``(site_id, meter_id) -> meter_key`` (a pair never changes its key)."""
        self._meter_by_key: dict[int, tuple[str, str]] = {}
        self._sql_cache: dict[str, str] = {}
        self._expect_duplicates = False
        """Set when a put met stored rows (a resend, a re-import): the next one probes first."""
        self._closed = False
        self._w: Any = self._connect(write=True)
        try:
            self._migrate()
        except BaseException:
            with suppress(Exception):
                self._w.close()
            raise

    # -- backend hooks ---------------------------------------------------------------------

    @abc.abstractmethod
    def _connect(self, *, write: bool) -> Any:
        """A new DB-API connection in autocommit mode (transactions are explicit)."""

    @abc.abstractmethod
    def _begin_sql(self) -> str:
        """The statement that opens a write transaction."""

    _SCHEMA_VERSION_DDL: str
    """``CREATE TABLE IF NOT EXISTS schema_version ...`` in the backend's dialect."""

    def _lock_schema(self) -> None:
        """Keep other processes from migrating at the same time (inside the transaction)."""

    def _alive(self, conn: Any) -> bool:
        """False when ``conn`` is known to be lost (the server closed it)."""
        return True

    def _after_reconnect(self) -> None:
        """Re-create per-session state on a new write connection (temporary tables ...)."""

    reconnect_delays_s: tuple[float, ...] = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 2.0, 2.0, 5.0, 5.0)
    """Back-off between attempts to replace a lost write connection (~18 s in all)."""

    def _reconnect_writer(self) -> None:
        """Replace a lost write connection, with back-off; StoreError when the server stays
        away (the next transaction tries again)."""
        with suppress(Exception):
            self._w.close()
        self._forget_caches()
        last: Exception | None = None
        for delay_s in (0.0, *self.reconnect_delays_s):
            if delay_s:
                time.sleep(delay_s)  # back-off between connection attempts, not a sync
            try:
                self._w = self._connect(write=True)
                self._after_reconnect()
            except Exception as exc:  # the server is still away: try again
                last = exc
                continue
            log.warning("%sthe write connection was lost; reconnected", self._where())
            return
        raise StoreError(f"{self._where()}the connection was lost and could not be "
                         f"re-established: {last}")

    def _where(self) -> str:
        """A prefix naming the store in error messages."""
        return ""

    def _migrate(self) -> None:
        """Create or upgrade the schema: apply the numbered migration files not applied yet."""
        files = migrations(self.dialect)
        latest = len(files)
        with self.transaction():
            self._lock_schema()
            self._w.execute(self._SCHEMA_VERSION_DDL)
            row = self._w.execute("SELECT max(version) FROM schema_version").fetchone()
            current = int(row[0] or 0)
            if current == 0 and not self._create:
                raise StoreError(f"{self._where()}no openamr store here (a mistyped --db? pass "
                                 "--create to make a new one)")
            if current > latest:
                raise StoreError(f"{self._where()}schema version {current} is newer than this "
                                 f"openamr knows ({latest}); upgrade openamr")
            for migration in files[current:]:
                for statement in split_statements(migration.sql):
                    self._w.execute(statement)
                self._w.execute(self._sql("INSERT INTO schema_version (version) VALUES (?)"),
                                (migration.version,))

    @abc.abstractmethod
    def _executemany_count(self, sql: str, rows: Sequence[Row]) -> int:
        """Run ``sql`` for each row on the write connection; rows changed in total."""

    @abc.abstractmethod
    def _insert_intervals_all(self, keys: npt.NDArray[np.int64], start: npt.NDArray[np.int64],
                              energy: npt.NDArray[np.float64], quality: npt.NDArray[np.int64],
                              flags: npt.NDArray[np.int64], source: int, received_s: int) -> int:
        """Insert rows, skipping existing keys; returns how many were inserted."""

    @abc.abstractmethod
    def _existing_energy(self, keys: npt.NDArray[np.int64], start: npt.NDArray[np.int64]
                         ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """``(packed keys, stored energy)`` of those of the (unique) keys that exist."""

    @abc.abstractmethod
    def _insert_ignore_many(self, table: str, columns: Sequence[str],
                            arrays: Sequence[npt.NDArray[Any]]) -> int:
        """Bulk ``INSERT ... ON CONFLICT DO NOTHING`` of parallel numeric arrays."""

    def _before_interval_write(self, start: npt.NDArray[np.int64], lo_s: int, hi_s: int,
                               received_s: int) -> None:
        """Prepare the table for rows starting at ``start`` (min ``lo_s``, max ``hi_s``),
        before the write's transaction touches it (PostgreSQL: month partitions)."""

    def _sql(self, sql: str) -> str:
        return sql

    def _upsert_many(self, table: str, columns: Sequence[str], key: str, sets: str,
                     rows: Sequence[Row]) -> None:
        """``INSERT INTO table (columns) ... ON CONFLICT (key) DO UPDATE SET sets`` for many
        rows with unique keys (``sets`` may use ``excluded.x`` and ``table.x``)."""
        marks = ", ".join("?" for _ in columns)
        self._executemany_count(
            self._sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "
                      f"ON CONFLICT ({key}) DO UPDATE SET {sets}"), rows)

    # -- connections and transactions ------------------------------------------------------

    def _wx(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Execute on the write connection (inside a transaction)."""
        return self._w.execute(self._sql(sql), params)

    def _reader(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None and not self._alive(conn):  # lost (server restart ...): replace
            self._drop_reader(conn)
            conn = None
        if conn is None:
            conn = self._connect(write=False)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _drop_reader(self, conn: Any) -> None:
        with suppress(Exception):
            conn.close()
        with self._readers_lock:
            if conn in self._readers:
                self._readers.remove(conn)
        self._local.conn = None

    def _shared_reads(self) -> bool:
        """True when reads must use the write connection (an in-memory database)."""
        return False

    @contextmanager
    def _read_conn(self) -> Iterator[Any]:
        if self._closed:
            raise StoreError("the store is closed")
        if self._shared_reads() or (self._depth and self._owner == threading.get_ident()):
            with self._lock:
                self._settle_pending()
                yield self._w
        else:
            yield self._reader()

    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        for attempt in (0, 1):
            with self._read_conn() as conn:
                try:
                    rows: list[Row] = conn.execute(self._sql(sql), params).fetchall()
                except Exception:
                    if attempt or conn is self._w or self._alive(conn):
                        raise
                    continue  # the read connection was lost: once more on a new one
                return rows
        raise AssertionError("unreachable")

    def _q1(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self._q(sql, params)
        return rows[0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._closed:
            raise StoreError("the store is closed")
        with self._lock:
            self._settle_pending()
            depth = self._depth
            if depth == 0:
                if not self._alive(self._w):
                    self._reconnect_writer()
                try:
                    self._w.execute(self._begin_sql())
                except Exception:
                    if self._alive(self._w):
                        raise
                    self._reconnect_writer()  # lost while idle: nothing was written yet
                    self._w.execute(self._begin_sql())
                self._owner = threading.get_ident()
            else:
                self._w.execute(f"SAVEPOINT sp{depth}")
            self._depth = depth + 1
            try:
                yield
            except BaseException:
                self._undo(depth)
                raise
            try:
                self._settle_pending()
            except BaseException:
                self._undo(depth)
                raise
            self._depth = depth
            if depth == 0:
                self._owner = None
                try:
                    self._w.execute("COMMIT")
                except BaseException:  # e.g. disk full: leave no transaction half open
                    with suppress(Exception):
                        self._w.execute("ROLLBACK")
                    self._forget_caches()
                    raise
            else:
                self._w.execute(f"RELEASE SAVEPOINT sp{depth}")

    def _settle_pending(self) -> None:
        """Finish a write still running on the write connection (see
        :meth:`start_interval_rows`) before the connection is used again."""

    def _abort_pending(self) -> None:
        """Abandon a write still running (the transaction is being rolled back)."""

    def _undo(self, depth: int) -> None:
        """Roll back what the transaction level ``depth`` wrote (the whole transaction at 0)."""
        self._abort_pending()
        self._depth = depth
        if depth == 0:
            self._owner = None
            self._forget_caches()
            if not self._alive(self._w):
                return  # the server ended the transaction with the connection
            self._w.execute("ROLLBACK")
        elif self._alive(self._w):
            self._w.execute(f"ROLLBACK TO SAVEPOINT sp{depth}")
            self._w.execute(f"RELEASE SAVEPOINT sp{depth}")

    def _forget_caches(self) -> None:
        self._key_by_meter.clear()
        self._meter_by_key.clear()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            with self._readers_lock:
                for conn in self._readers:
                    with suppress(Exception):  # a reader of another thread: best effort
                        conn.close()
                self._readers.clear()
            self._w.close()

    def schema_version(self) -> int:
        row = self._q1("SELECT max(version) FROM schema_version")
        return int(row[0]) if row and row[0] is not None else 0

    # -- sites, meters, devices ------------------------------------------------------------

    def upsert_site(self, site: Site) -> None:
        check_id(site.site_id, "site id")
        with self.transaction():
            self._wx("INSERT INTO sites (site_id, name, timezone) VALUES (?, ?, ?) "
                     "ON CONFLICT (site_id) DO UPDATE SET name = excluded.name, "
                     "timezone = excluded.timezone", (site.site_id, site.name, site.timezone))

    def get_site(self, site_id: str) -> Site | None:
        row = self._q1("SELECT site_id, name, timezone FROM sites WHERE site_id = ?", (site_id,))
        return Site(*row) if row else None

    def list_sites(self) -> list[Site]:
        return [Site(*r) for r in self._q("SELECT site_id, name, timezone FROM sites "
                                          "ORDER BY site_id")]

    def _require_site(self, site_id: str) -> None:
        if self._q1("SELECT 1 FROM sites WHERE site_id = ?", (site_id,)) is None:
            raise StoreError(f"unknown site {site_id!r}: create it first (upsert_site)")

    def upsert_meter(self, meter: Meter) -> None:
        check_id(meter.meter_id, "meter id")
        with self.transaction():
            self._require_site(meter.site_id)
            row = self._wx(
                "INSERT INTO meters (meter_id, site_id, device_id, model, kh_wh, max_power_w, "
                "unit) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site_id, meter_id) DO UPDATE "
                "SET device_id = excluded.device_id, "
                "model = excluded.model, kh_wh = excluded.kh_wh, "
                "max_power_w = excluded.max_power_w, unit = excluded.unit RETURNING meter_key",
                (meter.meter_id, meter.site_id, meter.device_id, meter.model,
                 float(meter.kh_wh), float(meter.max_power_w), meter.unit)).fetchone()
            self._key_by_meter[(meter.site_id, meter.meter_id)] = int(row[0])
            self._meter_by_key[int(row[0])] = (meter.site_id, meter.meter_id)

    _METER_COLS = "meter_id, site_id, device_id, model, kh_wh, max_power_w, unit"

    def get_meter(self, meter_id: str, *, site_id: str | None = None) -> Meter | None:
        if site_id is not None:
            row = self._q1(f"SELECT {self._METER_COLS} FROM meters WHERE site_id = ? "
                           "AND meter_id = ?", (site_id, meter_id))
            return Meter(*row) if row else None
        found = self.find_meters(meter_id)
        if len(found) > 1:
            raise AmbiguousIdError("meter", meter_id, [m.site_id for m in found])
        return found[0] if found else None

    def find_meters(self, meter_id: str, site_id: SiteScope = None) -> list[Meter]:
        clause, params = _scope(site_id)
        rows = self._q(f"SELECT {self._METER_COLS} FROM meters WHERE meter_id = ?{clause} "
                       "ORDER BY site_id", [meter_id, *params])
        return [Meter(*r) for r in rows]

    def list_meters(self, site_id: SiteScope = None) -> list[Meter]:
        clause, params = _scope(site_id)
        rows = self._q(f"SELECT {self._METER_COLS} FROM meters WHERE 1 = 1{clause} "
                       "ORDER BY meter_id, site_id", params)
        return [Meter(*r) for r in rows]

    _DEVICE_COLS = ("device_id, role, site_id, meter_id, model, install_code, installed_s, "
                    "local_id")

    def upsert_device(self, device: Device) -> None:
        if device.role not in DEVICE_ROLES:
            raise StoreError(f"device role {device.role!r} is not one of {DEVICE_ROLES}")
        eui = device.device_id.lower()
        with self.transaction():
            self._require_site(device.site_id)
            row = self._wx("SELECT site_id FROM devices WHERE device_id = ?", (eui,)).fetchone()
            if row is not None and row[0] != device.site_id:
                raise StoreError(f"EUI-64 {eui} is registered at site {row[0]!r}, not "
                                 f"{device.site_id!r}: remove it there first")
            if device.local_id is not None:
                row = self._wx("SELECT device_id FROM devices WHERE site_id = ? AND "
                               "local_id = ? AND device_id <> ?",
                               (device.site_id, device.local_id, eui)).fetchone()
                if row is not None:
                    raise StoreError(f"site {device.site_id!r} has a device {device.local_id!r} "
                                     f"already (EUI-64 {row[0]})")
            self._wx(
                f"INSERT INTO devices ({self._DEVICE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (device_id) DO UPDATE SET role = excluded.role, "
                "meter_id = excluded.meter_id, "
                "model = excluded.model, install_code = excluded.install_code, "
                "installed_s = excluded.installed_s, "
                "local_id = coalesce(excluded.local_id, devices.local_id)",
                (eui, device.role, device.site_id, device.meter_id,
                 device.model, device.install_code, device.installed_s, device.local_id))

    def get_device(self, device_id: str, *, site_id: str | None = None) -> Device | None:
        found = self.find_devices(device_id, site_id)
        by_eui = [d for d in found if d.device_id == device_id.lower()]
        if by_eui:
            return by_eui[0]
        if len(found) > 1:
            raise AmbiguousIdError("device", device_id, [d.site_id for d in found])
        return found[0] if found else None

    def find_devices(self, ident: str, site_id: SiteScope = None) -> list[Device]:
        clause, params = _scope(site_id)
        rows = self._q(f"SELECT {self._DEVICE_COLS} FROM devices WHERE (device_id = ? OR "
                       f"local_id = ?){clause} ORDER BY site_id, device_id",
                       [ident.lower(), ident, *params])
        return [Device(*r) for r in rows]

    def remove_device(self, device_id: str) -> bool:
        eui = device_id.lower()
        with self.transaction():
            cur = self._wx("DELETE FROM devices WHERE device_id = ?", (eui,))
            if not cur.rowcount:
                return False
            for table in ("device_status", "replay_windows", "seq_states"):
                self._wx(f"DELETE FROM {table} WHERE device_id = ?", (eui,))
            self._wx("UPDATE meters SET device_id = NULL WHERE device_id = ?", (eui,))
            return True

    def list_devices(self, site_id: SiteScope = None, role: str | None = None) -> list[Device]:
        clause, params = _scope(site_id)
        if role is not None:
            clause += " AND role = ?"
            params.append(role)
        rows = self._q(f"SELECT {self._DEVICE_COLS} FROM devices WHERE 1 = 1{clause} "
                       "ORDER BY device_id", params)
        return [Device(*r) for r in rows]

    _POSITION_COLS = "device_id, site_id, label, floor, x_m, y_m, placement"

    def put_device_positions(self, positions: Sequence[DevicePosition]) -> None:
        rows = [(p.device_id.lower(), p.site_id, p.label, int(p.floor), float(p.x_m),
                 float(p.y_m), p.placement) for p in positions]
        if not rows:
            return
        with self.transaction():
            self._upsert_many("device_positions", self._POSITION_COLS.split(", "), "device_id",
                              "site_id = excluded.site_id, label = excluded.label, "
                              "floor = excluded.floor, x_m = excluded.x_m, y_m = excluded.y_m, "
                              "placement = excluded.placement", rows)

    def list_device_positions(self, site_id: SiteScope = None) -> list[DevicePosition]:
        clause, params = _scope(site_id)
        rows = self._q(f"SELECT {self._POSITION_COLS} FROM device_positions WHERE 1 = 1{clause} "
                       "ORDER BY device_id", params)
        return [DevicePosition(r[0], r[1], r[2], int(r[3]), float(r[4]), float(r[5]), r[6])
                for r in rows]

    _status_values = operator.attrgetter(*_STATUS_FIELDS)
    _ON_BATTERY = _STATUS_FIELDS.index("on_battery")

    def _status_params(self, s: DeviceStatus) -> Row:
        values = list(self._status_values(s))
        values[self._ON_BATTERY] = int(bool(s.on_battery))
        return tuple(values)

    _STATUS_SETS = ", ".join(
        f"{f} = excluded.{f}" if f in ("last_heard_s", "on_battery")
        else f"{f} = coalesce(excluded.{f}, device_status.{f})"
        for f in _STATUS_FIELDS[1:])

    def put_device_status(self, status: DeviceStatus) -> None:
        self.put_device_statuses([status])

    def put_device_statuses(self, statuses: Sequence[DeviceStatus]) -> None:
        """Upsert many status rows at once (see :meth:`put_device_status`)."""
        if not statuses:
            return
        merged: dict[str, DeviceStatus] = {}
        for st in statuses:  # one row per device: later reports win, unreported fields kept
            device_id = st.device_id.lower()
            before = merged.get(device_id)
            if before is not None:
                st = DeviceStatus(**{f: (getattr(st, f) if getattr(st, f) is not None
                                         or f == "on_battery" else getattr(before, f))
                                     for f in _STATUS_FIELDS})
            merged[device_id] = st if st.device_id == device_id else replace(
                st, device_id=device_id)
        with self.transaction():
            self._upsert_many("device_status", _STATUS_FIELDS, "device_id", self._STATUS_SETS,
                              [self._status_params(s) for s in merged.values()])

    def put_last_heard(self, device_ids: Sequence[str], last_heard_s: int) -> None:
        """See :meth:`Store.put_last_heard`: two columns per row instead of a status row."""
        ids = sorted({d.lower() for d in device_ids})
        if not ids:
            return
        with self.transaction():
            self._upsert_many("device_status", ("device_id", "last_heard_s"), "device_id",
                              "last_heard_s = excluded.last_heard_s",
                              [(d, int(last_heard_s)) for d in ids])

    def _status(self, row: Row) -> DeviceStatus:
        values = list(row)
        values[_STATUS_FIELDS.index("on_battery")] = bool(values[9])
        return DeviceStatus(*values)

    def get_device_status(self, device_id: str) -> DeviceStatus | None:
        row = self._q1(f"SELECT {', '.join(_STATUS_FIELDS)} FROM device_status "
                       "WHERE device_id = ?", (device_id.lower(),))
        return self._status(row) if row else None

    def list_device_status(self, site_id: SiteScope = None) -> list[DeviceStatus]:
        cols = ", ".join(f"s.{f}" for f in _STATUS_FIELDS)
        if site_id is None:
            rows = self._q(f"SELECT {cols} FROM device_status s ORDER BY s.device_id")
        else:
            clause, params = _scope(site_id, "d.site_id")
            rows = self._q(f"SELECT {cols} FROM device_status s JOIN devices d "
                           f"ON d.device_id = s.device_id WHERE 1 = 1{clause} "
                           "ORDER BY s.device_id", params)
        return [self._status(r) for r in rows]

    _REPORT_ON_BATTERY = _REPORT_FIELDS.index("on_battery")

    def put_status_reports(self, reports: Sequence[StatusReport]) -> int:
        if not reports:
            return 0
        rows = []
        for r in reports:
            values = list(operator.attrgetter(*_REPORT_FIELDS)(r))
            values[0] = r.device_id.lower()
            values[self._REPORT_ON_BATTERY] = int(bool(r.on_battery))
            rows.append(tuple(values))
        marks = ", ".join("?" for _ in _REPORT_FIELDS)
        with self.transaction():
            return self._executemany_count(
                self._sql(f"INSERT INTO status_reports ({', '.join(_REPORT_FIELDS)}) "
                          f"VALUES ({marks}) ON CONFLICT (device_id, frame_counter) DO NOTHING"),
                rows)

    def list_status_reports(self, device_id: str, start_s: int | None = None,
                            end_s: int | None = None, limit: int = 1000) -> list[StatusReport]:
        clause, params = self._range(start_s, end_s, "received_s")
        rows = self._q(f"SELECT {', '.join(_REPORT_FIELDS)} FROM status_reports "
                       f"WHERE device_id = ?{clause} ORDER BY received_s, frame_counter LIMIT ?",
                       [device_id.lower(), *params, int(limit)])
        out = []
        for row in rows:
            values = list(row)
            values[self._REPORT_ON_BATTERY] = bool(values[self._REPORT_ON_BATTERY])
            out.append(StatusReport(*values))
        return out

    # -- time-of-use and temperature ---------------------------------------------------------

    def put_site_tou(self, site_id: str, config_json: str | None, updated_s: int) -> None:
        with self.transaction():
            self._require_site(site_id)
            if config_json is None:
                self._wx("DELETE FROM site_tou WHERE site_id = ?", (site_id,))
                return
            self._wx("INSERT INTO site_tou (site_id, config, updated_s) VALUES (?, ?, ?) "
                     "ON CONFLICT (site_id) DO UPDATE SET config = excluded.config, "
                     "updated_s = excluded.updated_s", (site_id, config_json, int(updated_s)))

    def get_site_tou(self, site_id: str) -> SiteTou | None:
        row = self._q1("SELECT site_id, config, updated_s FROM site_tou WHERE site_id = ?",
                       (site_id,))
        return SiteTou(str(row[0]), str(row[1]), int(row[2])) if row else None

    def put_tou_register_rows(self, keys: npt.NDArray[np.int64], t_s: npt.NDArray[np.int64],
                              register_index: npt.NDArray[np.int64],
                              register_wh: npt.NDArray[np.float64]) -> int:
        if len(t_s) == 0:
            return 0
        with self.transaction():
            return self._insert_ignore_many(
                "tou_register_reads", ("meter_key", "t_s", "register_index", "register_wh"),
                (np.asarray(keys, dtype=np.int64), np.asarray(t_s, dtype=np.int64),
                 np.asarray(register_index, dtype=np.int64),
                 np.asarray(register_wh, dtype=np.float64)))

    def get_tou_register_reads(self, meter_id: str, start_s: int | None = None,
                               end_s: int | None = None, *,
                               site_id: str | None = None) -> TouRegisterArrays:
        key = self._key_or_none(meter_id, site_id)
        clause, params = self._range(start_s, end_s, "t_s")
        rows = [] if key is None else self._q(
            "SELECT t_s, register_index, register_wh FROM tou_register_reads "
            f"WHERE meter_key = ?{clause} ORDER BY t_s, register_index", [key, *params])
        return TouRegisterArrays(np.array([r[0] for r in rows], dtype=np.int64),
                                 np.array([r[1] for r in rows], dtype=np.int64),
                                 np.array([r[2] for r in rows], dtype=np.float64))

    def put_temperature_rows(self, keys: npt.NDArray[np.int64], start_s: npt.NDArray[np.int64],
                             temperature_c: npt.NDArray[np.float64]) -> int:
        if len(start_s) == 0:
            return 0
        with self.transaction():
            return self._insert_ignore_many(
                "interval_temperatures", ("meter_key", "start_s", "temperature_c"),
                (np.asarray(keys, dtype=np.int64), np.asarray(start_s, dtype=np.int64),
                 np.asarray(temperature_c, dtype=np.float64)))

    def get_temperatures(self, meter_id: str, start_s: int | None = None,
                         end_s: int | None = None, *,
                         site_id: str | None = None) -> TemperatureArrays:
        key = self._key_or_none(meter_id, site_id)
        clause, params = self._range(start_s, end_s, "start_s")
        rows = [] if key is None else self._q(
            "SELECT start_s, temperature_c FROM interval_temperatures "
            f"WHERE meter_key = ?{clause} ORDER BY start_s", [key, *params])
        table = np.array(rows, dtype=_TEMPERATURE_ROW)  # one pass over the row tuples
        return TemperatureArrays(table["start_s"].copy(), table["temperature_c"].copy())

    # -- meter keys ------------------------------------------------------------------------

    def meter_keys(self, meter_ids: Sequence[str], *,
                   site_id: str | None = None) -> npt.NDArray[np.int64]:
        """The integer keys of meters (``StoreError`` naming the first unknown one;
        :class:`AmbiguousIdError` for an id of several sites when ``site_id`` is None)."""
        if site_id is None:
            return self._bare_meter_keys(meter_ids)
        cache = self._key_by_meter
        missing = [m for m in dict.fromkeys(meter_ids) if (site_id, m) not in cache]
        for i in range(0, len(missing), 500):
            part = missing[i:i + 500]
            marks = ", ".join("?" for _ in part)
            for key, mid in self._q(f"SELECT meter_key, meter_id FROM meters WHERE site_id = ? "
                                    f"AND meter_id IN ({marks})", [site_id, *part]):
                cache[(site_id, mid)] = int(key)
                self._meter_by_key[int(key)] = (site_id, mid)
        try:
            return np.fromiter((cache[(site_id, m)] for m in meter_ids), dtype=np.int64,
                               count=len(meter_ids))
        except KeyError as exc:
            raise StoreError(f"unknown meter {exc.args[0][1]!r} at site {site_id!r}: create "
                             "it first (upsert_meter)") from None

    def _bare_meter_keys(self, meter_ids: Sequence[str]) -> npt.NDArray[np.int64]:
        """Keys of ids given without a site: always asked of the database (another site may
        have registered the same id since), one query per 500 ids."""
        found: dict[str, list[tuple[str, int]]] = {}
        unique = list(dict.fromkeys(meter_ids))
        for i in range(0, len(unique), 500):
            part = unique[i:i + 500]
            marks = ", ".join("?" for _ in part)
            for key, sid, mid in self._q(f"SELECT meter_key, site_id, meter_id FROM meters "
                                         f"WHERE meter_id IN ({marks}) ORDER BY site_id", part):
                found.setdefault(mid, []).append((sid, int(key)))
                self._key_by_meter[(sid, mid)] = int(key)
                self._meter_by_key[int(key)] = (sid, mid)
        keys = np.empty(len(meter_ids), dtype=np.int64)
        for i, mid in enumerate(meter_ids):
            hits = found.get(mid)
            if not hits:
                raise StoreError(f"unknown meter {mid!r}: create it first (upsert_meter)")
            if len(hits) > 1:
                raise AmbiguousIdError("meter", mid, [sid for sid, _ in hits])
            keys[i] = hits[0][1]
        return keys

    def _meter_ref(self, key: int) -> tuple[str, str]:
        ref = self._meter_by_key.get(key)
        if ref is None:
            row = self._q1("SELECT site_id, meter_id FROM meters WHERE meter_key = ?", (key,))
            if row is None:
                raise StoreError(f"unknown meter key {key}")
            ref = (str(row[0]), str(row[1]))
            self._meter_by_key[key] = ref
            self._key_by_meter[ref] = key
        return ref

    def meter_id_of_key(self, key: int) -> str:
        return self._meter_ref(key)[1]

    def site_id_of_key(self, key: int) -> str:
        return self._meter_ref(key)[0]

    # -- intervals -------------------------------------------------------------------------

    def put_intervals(self, batch: IntervalBatch) -> PutResult:
        start = np.asarray(batch.start_s)
        n = int(start.size)
        start = _arr_i64(start.reshape(-1) if start.ndim else start, n, "start_s")
        energy = np.asarray(batch.energy_wh, dtype=np.float64).reshape(-1)
        if energy.shape != (n,):
            raise StoreError(f"energy_wh: expected {n} values, got {energy.shape}")
        if n and not np.isfinite(energy).all():
            raise StoreError("energy_wh: NaN or infinite values cannot be stored")
        if n and (start.min() < 0 or start.max() >= (1 << _KEY_SHIFT)):
            raise StoreError("start_s out of range")
        if isinstance(batch.meter_id, str):
            keys = np.full(n, self.meter_keys([batch.meter_id], site_id=batch.site_id)[0],
                           dtype=np.int64)
        else:
            ids = np.asarray(batch.meter_id, dtype=object)
            if ids.shape != (n,):
                raise StoreError(f"meter_id: expected {n} values, got {ids.shape}")
            uniq, inverse = np.unique(ids, return_inverse=True) if n else (ids, ids)
            keys = (self.meter_keys(list(uniq), site_id=batch.site_id)[inverse] if n
                    else np.empty(0, np.int64))
        quality = self._quality_codes(batch.quality, n)
        flags = _arr_i64(batch.flags, n, "flags")
        source = _SOURCE_CODE.get(batch.source)
        if source is None:
            raise StoreError(f"source {batch.source!r} is not one of {SOURCES}")
        return self.put_interval_rows(keys, start, energy, quality, flags, batch.source,
                                      batch.received_s)

    @staticmethod
    def _quality_codes(quality: str | Sequence[str] | npt.NDArray[np.integer],
                       n: int) -> npt.NDArray[np.int64]:
        if isinstance(quality, str):
            code = _QUALITY_CODE.get(quality)
            if code is None:
                raise StoreError(f"quality {quality!r} is not one of {QUALITIES}")
            return np.full(n, code, dtype=np.int64)
        arr = np.asarray(quality)
        if arr.dtype.kind in "iu":
            if n and (arr.min() < 0 or arr.max() >= len(QUALITIES)):
                raise StoreError("quality codes out of range")
            return _arr_i64(arr, n, "quality")
        try:
            return np.fromiter((_QUALITY_CODE[q] for q in arr), dtype=np.int64, count=n)
        except KeyError as exc:
            raise StoreError(f"quality {exc.args[0]!r} is not one of {QUALITIES}") from None

    def put_interval_rows(self, keys: npt.NDArray[np.int64], start: npt.NDArray[np.int64],
                          energy: npt.NDArray[np.float64], quality: npt.NDArray[np.int64],
                          flags: npt.NDArray[np.int64], source: str,
                          received_s: int) -> PutResult:
        """The bulk path under :meth:`put_intervals`, for callers that hold meter keys
        (:meth:`meter_keys`) and quality codes already (ingest, import)."""
        n = len(start)
        if n == 0:
            return PutResult(0, 0, 0)
        lo_s, hi_s = int(start.min()), int(start.max())
        if lo_s < 0 or hi_s >= (1 << _KEY_SHIFT):  # the packed key's range
            raise StoreError("start_s out of range (0 <= start_s < 2**33: 1970 to 2242)")
        if not np.isfinite(energy).all():
            raise StoreError("energy_wh: NaN or infinite values cannot be stored")
        code = _SOURCE_CODE[source]
        self._before_interval_write(start, lo_s, hi_s, received_s)
        with self.transaction():
            if self._expect_duplicates:  # the last put met stored rows: look before inserting
                return self._put_with_duplicates(keys, start, energy, quality, flags, source,
                                                 received_s)
            self._w.execute("SAVEPOINT put_intervals")
            inserted = self._insert_intervals_all(keys, start, energy, quality, flags, code,
                                                  received_s)
            if inserted == n:
                self._w.execute("RELEASE SAVEPOINT put_intervals")
                return PutResult(n, 0, 0)
            self._w.execute("ROLLBACK TO SAVEPOINT put_intervals")
            self._w.execute("RELEASE SAVEPOINT put_intervals")
            return self._put_with_duplicates(keys, start, energy, quality, flags, source,
                                             received_s)

    def _put_with_duplicates(self, keys: npt.NDArray[np.int64], start: npt.NDArray[np.int64],
                             energy: npt.NDArray[np.float64], quality: npt.NDArray[np.int64],
                             flags: npt.NDArray[np.int64], source: str,
                             received_s: int) -> PutResult:
        packed = (keys << _KEY_SHIFT) | start
        uniq, first, inverse = np.unique(packed, return_index=True, return_inverse=True)
        found, found_energy = self._existing_energy(keys[first], start[first])
        self._expect_duplicates = bool(len(found))
        ref = energy[first].copy()
        exists = np.zeros(len(uniq), dtype=bool)
        if len(found):
            pos = np.searchsorted(uniq, found)  # uniq is sorted; every found key is in it
            exists[pos] = True
            ref[pos] = found_energy
        is_first = first[inverse] == np.arange(len(packed))
        new = is_first & ~exists[inverse]
        same = ~new & (energy == ref[inverse])
        conflict = ~new & ~same
        new_index = np.flatnonzero(new)
        if len(new_index):
            self._insert_intervals_all(keys[new_index], start[new_index], energy[new_index],
                                       quality[new_index], flags[new_index],
                                       _SOURCE_CODE[source], received_s)
        for i in np.flatnonzero(conflict):
            mid = self.meter_id_of_key(int(keys[i]))
            self.put_rejection(
                "conflict", source, received_s,
                f"meter {mid} interval {format_utc(int(start[i]))}: stored "
                f"{ref[inverse[i]]:g} Wh kept, refused {energy[i]:g} Wh")
        return PutResult(int(new.sum()), int(same.sum()), int(conflict.sum()),
                         inserted_index=new_index.astype(np.int64))

    def _range(self, start_s: int | None, end_s: int | None,
               column: str = "start_s") -> tuple[str, list[Any]]:
        where, params = [], []
        if start_s is not None:
            where.append(f"{column} >= ?")
            params.append(int(start_s))
        if end_s is not None:
            where.append(f"{column} < ?")
            params.append(int(end_s))
        return "".join(f" AND {w}" for w in where), params

    def _key_or_none(self, meter_id: str, site_id: str | None = None) -> int | None:
        """The meter's key, None when unknown (:class:`AmbiguousIdError` passes through)."""
        try:
            return int(self.meter_keys([meter_id], site_id=site_id)[0])
        except AmbiguousIdError:
            raise
        except StoreError:
            return None

    def get_intervals(self, meter_id: str, start_s: int | None = None,
                      end_s: int | None = None, *, site_id: str | None = None
                      ) -> IntervalArrays:
        key = self._key_or_none(meter_id, site_id)
        if key is None:
            empty = IntervalTable.empty()
            return IntervalArrays(empty.start_s, empty.energy_wh, empty.quality, empty.flags)
        return self._fetch_intervals(*self._intervals_query(key, start_s, end_s))

    def _intervals_query(self, key: int, start_s: int | None,
                         end_s: int | None) -> tuple[str, list[Any]]:
        """The statement of :meth:`get_intervals` (one meter, a time range) and its
        parameters (PostgreSQL prunes it to the months of the range)."""
        clause, params = self._range(start_s, end_s)
        return (f"SELECT start_s, energy_wh, quality, flags FROM intervals "
                f"WHERE meter_key = ?{clause} ORDER BY start_s", [key, *params])

    def _fetch_intervals(self, sql: str, params: Sequence[Any]) -> IntervalArrays:
        """Run a ``start_s, energy_wh, quality, flags`` query into arrays (the read path):
        the cursor's row tuples go straight into a structured array (``np.fromiter``: about
        half the time of a list of rows and ``zip``)."""
        with self._read_conn() as conn:
            rec = np.fromiter(conn.execute(self._sql(sql), params), dtype=_INTERVAL_ROW)
        return IntervalArrays(np.ascontiguousarray(rec["start_s"]),
                              np.ascontiguousarray(rec["energy_wh"]),
                              _QUALITY_NAMES[rec["quality"]], np.ascontiguousarray(rec["flags"]))

    @staticmethod
    def _interval_arrays(rows: list[Row]) -> IntervalArrays:
        n = len(rows)
        if n == 0:
            empty = IntervalTable.empty()
            return IntervalArrays(empty.start_s, empty.energy_wh, empty.quality, empty.flags)
        start, energy, quality, flags = zip(*rows, strict=True)
        return IntervalArrays(np.array(start, dtype=np.int64), np.array(energy, dtype=np.float64),
                              _QUALITY_NAMES[np.array(quality, dtype=np.int64)],
                              np.array(flags, dtype=np.int64))

    def get_intervals_bulk(self, meter_ids: Sequence[str] | None, start_s: int | None = None,
                           end_s: int | None = None, *,
                           site_id: SiteScope = None) -> IntervalTable:
        clause, params = self._range(start_s, end_s)
        if meter_ids is None:
            scope, scope_params = _scope(site_id, "m.site_id")
            rows = self._q("SELECT m.meter_id, i.start_s, i.energy_wh, i.quality, i.flags, "
                           "m.site_id FROM intervals i JOIN meters m ON m.meter_key = "
                           f"i.meter_key WHERE 1 = 1{clause}{scope} "
                           "ORDER BY m.meter_id, m.site_id, i.start_s", [*params, *scope_params])
        else:
            rows = []
            one_site = site_id if isinstance(site_id, str) else None
            for mid in sorted(set(meter_ids)):
                key = self._key_or_none(mid, one_site)
                if key is None:
                    continue
                sid = self.site_id_of_key(key)
                part = self._q(*self._intervals_query(key, start_s, end_s))
                rows.extend((mid, *r, sid) for r in part)
        if not rows:
            return IntervalTable.empty()
        mids, start, energy, quality, flags, sites = zip(*rows, strict=True)
        return IntervalTable(np.array(mids, dtype=object), np.array(start, dtype=np.int64),
                             np.array(energy, dtype=np.float64),
                             _QUALITY_NAMES[np.array(quality, dtype=np.int64)],
                             np.array(flags, dtype=np.int64), np.array(sites, dtype=object))

    def _interval_aggregate(self, expr: str, meter_id: str | None, start_s: int | None,
                            end_s: int | None, site_id: str | None = None) -> Any:
        clause, params = self._range(start_s, end_s)
        if meter_id is None and site_id is None:
            row = self._q1(f"SELECT {expr} FROM intervals WHERE 1 = 1{clause}", params)
        elif meter_id is None:
            row = self._q1(f"SELECT {expr} FROM intervals WHERE meter_key IN (SELECT meter_key "
                           f"FROM meters WHERE site_id = ?){clause}", [site_id, *params])
        else:
            key = self._key_or_none(meter_id, site_id)
            if key is None:
                return None
            row = self._q1(f"SELECT {expr} FROM intervals WHERE meter_key = ?{clause}",
                           [key, *params])
        return row[0] if row else None

    def interval_count(self, meter_id: str | None = None, start_s: int | None = None,
                       end_s: int | None = None, *, site_id: str | None = None) -> int:
        return int(self._interval_aggregate("count(*)", meter_id, start_s, end_s, site_id) or 0)

    def interval_total_wh(self, meter_id: str | None = None, start_s: int | None = None,
                          end_s: int | None = None, *, site_id: str | None = None) -> float:
        return float(self._interval_aggregate("sum(energy_wh)", meter_id, start_s, end_s,
                                              site_id) or 0.0)

    _COUNTS_CHUNK = 500
    """Meters per ``interval_counts`` query (bounds the number of bound parameters)."""

    def interval_counts(self, meter_ids: Sequence[str], windows: Sequence[tuple[int, int]],
                        *, site_id: str | None = None) -> npt.NDArray[np.int64]:
        out = np.zeros((len(meter_ids), len(windows)), dtype=np.int64)
        if not windows or not meter_ids:
            return out
        rows_of: dict[int, list[int]] = {}
        for i, mid in enumerate(meter_ids):
            key = self._key_or_none(mid, site_id)
            if key is not None:
                rows_of.setdefault(key, []).append(i)
        sums = ", ".join("sum(CASE WHEN start_s >= ? AND start_s < ? THEN 1 ELSE 0 END)"
                         for _ in windows)
        bounds = [int(v) for w in windows for v in w]
        lo, hi = min(int(w[0]) for w in windows), max(int(w[1]) for w in windows)
        keys = sorted(rows_of)
        for c in range(0, len(keys), self._COUNTS_CHUNK):
            chunk = keys[c:c + self._COUNTS_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for key, *counts in self._q(
                    f"SELECT meter_key, {sums} FROM intervals WHERE meter_key IN ({marks}) "
                    "AND start_s >= ? AND start_s < ? GROUP BY meter_key",
                    [*bounds, *chunk, lo, hi]):
                out[rows_of[int(key)]] = [int(n or 0) for n in counts]
        return out

    def last_interval_s(self, meter_id: str, *, site_id: str | None = None) -> int | None:
        value = self._interval_aggregate("max(start_s)", meter_id, None, None, site_id)
        return None if value is None else int(value)

    # -- register reads --------------------------------------------------------------------

    def put_register_reads(self, meter_id: str, t_s: npt.ArrayLike, register_wh: npt.ArrayLike,
                           source: str = "frame", *, site_id: str | None = None) -> int:
        t = np.atleast_1d(np.asarray(t_s, dtype=np.int64))
        reg = np.atleast_1d(np.asarray(register_wh, dtype=np.float64))
        if t.shape != reg.shape:
            raise StoreError("t_s and register_wh must have the same length")
        code = _SOURCE_CODE.get(source)
        if code is None:
            raise StoreError(f"source {source!r} is not one of {SOURCES}")
        key = self.meter_keys([meter_id], site_id=site_id)[0]
        return self.put_register_rows(np.full(len(t), key, dtype=np.int64), t, reg, code)

    def put_register_rows(self, keys: npt.NDArray[np.int64], t_s: npt.NDArray[np.int64],
                          register_wh: npt.NDArray[np.float64], source: int) -> int:
        """Bulk register reads by meter key (ingest's path)."""
        if len(t_s) == 0:
            return 0
        with self.transaction():
            return self._insert_ignore_many(
                "register_reads", ("meter_key", "t_s", "register_wh", "source"),
                (keys, t_s, register_wh, np.full(len(t_s), source, dtype=np.int64)))

    def get_register_reads(self, meter_id: str, start_s: int | None = None,
                           end_s: int | None = None, *,
                           site_id: str | None = None) -> RegisterArrays:
        key = self._key_or_none(meter_id, site_id)
        rows = [] if key is None else self._q(
            "SELECT t_s, register_wh FROM register_reads WHERE meter_key = ?"
            f"{self._range(start_s, end_s, 't_s')[0]} ORDER BY t_s",
            [key, *self._range(start_s, end_s, "t_s")[1]])
        return RegisterArrays(np.array([r[0] for r in rows], dtype=np.int64),
                              np.array([r[1] for r in rows], dtype=np.float64))

    # -- events ----------------------------------------------------------------------------

    _EVENT_COLS = "device_id, meter_id, code, t_s, value, received_s, event_id"

    def put_events(self, events: Sequence[EventRow]) -> int:
        if not events:
            return 0
        with self.transaction():
            return self._executemany_count(
                self._sql("INSERT INTO events (device_id, meter_id, code, t_s, value, "
                          "received_s) VALUES (?, ?, ?, ?, ?, ?) "
                          "ON CONFLICT (device_id, code, t_s) DO NOTHING"),
                [(e.device_id.lower(), e.meter_id, e.code, int(e.t_s), int(e.value),
                  int(e.received_s)) for e in events])

    def list_events(self, site_id: SiteScope = None, device_id: str | None = None,
                    start_s: int | None = None, end_s: int | None = None, limit: int = 100,
                    offset: int = 0, code: str | None = None,
                    meter_id: str | None = None) -> list[EventRow]:
        clause, params = self._range(start_s, end_s, "t_s")
        if site_id is not None:
            scope, scope_params = _scope(site_id)
            clause += f" AND device_id IN (SELECT device_id FROM devices WHERE 1 = 1{scope})"
            params += scope_params
        for column, value in (("device_id", device_id and device_id.lower()), ("code", code),
                              ("meter_id", meter_id)):
            if value is not None:
                clause += f" AND {column} = ?"
                params.append(value)
        rows = self._q(f"SELECT {self._EVENT_COLS} FROM events WHERE 1 = 1{clause} "
                       "ORDER BY t_s DESC, event_id DESC LIMIT ? OFFSET ?",
                       [*params, int(limit), int(offset)])
        return [EventRow(*r) for r in rows]

    # -- alarms ----------------------------------------------------------------------------

    def _alarm_site(self, alarm: AlarmRow) -> str | None:
        """The alarm's site: given, else its device's, else its meter's (when one site has
        that meter id)."""
        if alarm.site_id is not None:
            return alarm.site_id
        if alarm.device_id is not None:
            row = self._wx("SELECT site_id FROM devices WHERE device_id = ?",
                           (alarm.device_id.lower(),)).fetchone()
            if row is not None:
                return str(row[0])
        if alarm.meter_id is not None:
            rows = self._wx("SELECT site_id FROM meters WHERE meter_id = ?",
                            (alarm.meter_id,)).fetchall()
            if len(rows) == 1:
                return str(rows[0][0])
        return None

    def raise_alarm(self, alarm: AlarmRow) -> int:
        with self.transaction():
            site_id = self._alarm_site(alarm)
            row = self._wx(
                "SELECT alarm_id FROM alarms WHERE code = ? AND coalesce(device_id, '') = ? "
                "AND coalesce(meter_id, '') = ? AND coalesce(site_id, '') = ? "
                "AND state <> 'cleared'",
                (alarm.code, alarm.device_id or "", alarm.meter_id or "",
                 site_id or "")).fetchone()
            if row is not None:
                return int(row[0])
            row = self._wx(
                "INSERT INTO alarms (code, device_id, meter_id, raised_s, detail, state, "
                "site_id) VALUES (?, ?, ?, ?, ?, 'open', ?) RETURNING alarm_id",
                (alarm.code, alarm.device_id, alarm.meter_id, int(alarm.raised_s),
                 alarm.detail, site_id)).fetchone()
            return int(row[0])

    def clear_alarm(self, code: str, device_id: str | None, cleared_s: int,
                    meter_id: str | None = None, *, site_id: str | None = None) -> bool:
        with self.transaction():
            cur = self._wx(
                "UPDATE alarms SET state = 'cleared', cleared_s = ? WHERE code = ? "
                "AND coalesce(device_id, '') = ? AND state <> 'cleared'"
                + (" AND coalesce(meter_id, '') = ?" if meter_id is not None else "")
                + (" AND site_id = ?" if site_id is not None else ""),
                (int(cleared_s), code, device_id or "",
                 *((meter_id,) if meter_id is not None else ()),
                 *((site_id,) if site_id is not None else ())))
            return bool(cur.rowcount)

    def ack_alarm(self, alarm_id: int, user: str, t_s: int) -> bool:
        with self.transaction():
            cur = self._wx("UPDATE alarms SET state = 'acknowledged', acked_by = ?, acked_s = ? "
                           "WHERE alarm_id = ? AND state = 'open'", (user, int(t_s), alarm_id))
            return bool(cur.rowcount)

    def get_alarm(self, alarm_id: int) -> AlarmRow | None:
        row = self._q1(f"SELECT {_ALARM_COLS} FROM alarms WHERE alarm_id = ?", (alarm_id,))
        return AlarmRow(*row) if row else None

    def list_alarms(self, state: str | None = None, limit: int = 1000,
                    site_id: SiteScope = None) -> list[AlarmRow]:
        clause, params = "", []
        if state is not None:
            if state not in ALARM_STATES:
                raise StoreError(f"alarm state {state!r} is not one of {ALARM_STATES}")
            clause += " AND state = ?"
            params.append(state)
        scope, scope_params = _scope(site_id)
        clause += scope
        params += scope_params
        rows = self._q(f"SELECT {_ALARM_COLS} FROM alarms WHERE 1 = 1{clause} "
                       "ORDER BY raised_s DESC, alarm_id DESC LIMIT ?", [*params, int(limit)])
        return [AlarmRow(*r) for r in rows]

    # -- rejections ------------------------------------------------------------------------

    def put_rejection(self, reason: str, source: str, received_s: int, detail: str = "",
                      raw: bytes | None = None, count: int = 1) -> None:
        with self.transaction():
            self._wx("INSERT INTO rejections (reason, source, received_s, detail, raw) "
                     "VALUES (?, ?, ?, ?, ?)", (reason, source, int(received_s), detail, raw))
            self._wx("INSERT INTO rejection_counts (reason, n) VALUES (?, ?) "
                     "ON CONFLICT (reason) DO UPDATE SET n = rejection_counts.n + excluded.n",
                     (reason, int(count)))

    def rejection_counts(self) -> dict[str, int]:
        return {str(r): int(n) for r, n in self._q("SELECT reason, n FROM rejection_counts "
                                                   "ORDER BY reason")}

    def list_rejections(self, limit: int = 100, reason: str | None = None) -> list[RejectionRow]:
        clause, params = ("WHERE reason = ? ", [reason]) if reason is not None else ("", [])
        rows = self._q("SELECT rejection_id, reason, source, received_s, detail, raw FROM "
                       f"rejections {clause}ORDER BY rejection_id DESC LIMIT ?",
                       [*params, int(limit)])
        return [RejectionRow(int(r[0]), r[1], r[2], int(r[3]), r[4],
                             None if r[5] is None else bytes(r[5])) for r in rows]

    # -- frame security state --------------------------------------------------------------

    def load_replay_windows(self) -> dict[str, tuple[int, int]]:
        return {str(d): (int(h), unsigned64(int(s)))
                for d, h, s in self._q("SELECT device_id, highest, seen FROM replay_windows")}

    def save_replay_windows(self, windows: Mapping[str, tuple[int, int]]) -> None:
        if not windows:
            return
        with self.transaction():
            self._upsert_many("replay_windows", ("device_id", "highest", "seen"), "device_id",
                              "highest = excluded.highest, seen = excluded.seen",
                              [(d, int(h), signed64(int(s))) for d, (h, s) in windows.items()])

    def load_seq_states(self) -> dict[str, SeqState]:
        return {str(d): SeqState(int(a), tuple(int(x) for x in above.split(",") if x))
                for d, a, above in self._q("SELECT device_id, acked_seq, above FROM seq_states")}

    def save_seq_states(self, states: Mapping[str, SeqState]) -> None:
        if not states:
            return
        with self.transaction():
            self._upsert_many("seq_states", ("device_id", "acked_seq", "above"), "device_id",
                              "acked_seq = excluded.acked_seq, above = excluded.above",
                              [(d, int(s.acked_seq), ",".join(str(x) for x in s.above))
                               for d, s in states.items()])

    _ROW_LOCK = ""
    """Appended to a SELECT whose rows the transaction holds until the commit (PostgreSQL:
    `` FOR UPDATE``; SQLite's single writer needs none)."""

    _LOCK_CHUNK = 1000
    """Device ids per locking SELECT (well under both dialects' parameter limits)."""

    def lock_device_state(self, device_ids: Sequence[str]
                          ) -> tuple[dict[str, tuple[int, int]], dict[str, SeqState]]:
        if not self._depth:
            raise StoreError("lock_device_state needs a transaction")
        ids = sorted({d.lower() for d in device_ids})
        windows: dict[str, tuple[int, int]] = {}
        seqs: dict[str, SeqState] = {}
        for lo in range(0, len(ids), self._LOCK_CHUNK):
            part = ids[lo:lo + self._LOCK_CHUNK]
            marks = ", ".join("?" * len(part))
            for d, h, s in self._q("SELECT device_id, highest, seen FROM replay_windows WHERE "
                                   f"device_id IN ({marks}) ORDER BY device_id{self._ROW_LOCK}",
                                   part):
                windows[str(d)] = (int(h), unsigned64(int(s)))
            for d, a, above in self._q("SELECT device_id, acked_seq, above FROM seq_states "
                                       f"WHERE device_id IN ({marks}) ORDER BY device_id"
                                       f"{self._ROW_LOCK}", part):
                seqs[str(d)] = SeqState(int(a), tuple(int(x) for x in above.split(",") if x))
        return windows, seqs

    def lock_counter_reservation(self, device_id: str) -> int:
        if not self._depth:
            raise StoreError("lock_counter_reservation needs a transaction")
        d = device_id.lower()
        with self._lock:
            self._settle_pending()  # no statement may run beside an unfinished COPY
        self._wx("INSERT INTO counter_reservations (device_id, reserved_until) VALUES (?, 0) "
                 "ON CONFLICT (device_id) DO NOTHING", (d,))
        row = self._q1("SELECT reserved_until FROM counter_reservations WHERE device_id = ?"
                       f"{self._ROW_LOCK}", (d,))
        return int(row[0]) if row else 0

    def get_counter_reservation(self, device_id: str) -> int:
        row = self._q1("SELECT reserved_until FROM counter_reservations WHERE device_id = ?",
                       (device_id.lower(),))
        return int(row[0]) if row else 0

    def set_counter_reservation(self, device_id: str, reserved_until: int) -> None:
        with self.transaction():
            self._wx("INSERT INTO counter_reservations (device_id, reserved_until) VALUES (?, ?) "
                     "ON CONFLICT (device_id) DO UPDATE SET "
                     "reserved_until = excluded.reserved_until",
                     (device_id.lower(), int(reserved_until)))

    def get_or_create_network_key(self) -> bytes:
        row = self._q1("SELECT network_key FROM network_keys ORDER BY key_seq DESC LIMIT 1")
        if row is not None:
            return bytes(row[0])
        with self.transaction():
            self._wx("INSERT INTO network_keys (key_seq, network_key, created_s) "
                     "VALUES (0, ?, 0) ON CONFLICT (key_seq) DO NOTHING", (os.urandom(16),))
            row = self._wx("SELECT network_key FROM network_keys ORDER BY key_seq DESC "
                           "LIMIT 1").fetchone()
            return bytes(row[0])

    def adopt_network_key(self, network_key: bytes) -> None:
        if len(network_key) != 16:
            raise ValueError("a network key is 16 bytes")
        with self.transaction():
            self._wx("INSERT INTO network_keys (key_seq, network_key, created_s) "
                     "VALUES (0, ?, 0) ON CONFLICT (key_seq) DO NOTHING", (bytes(network_key),))
            row = self._wx("SELECT network_key FROM network_keys ORDER BY key_seq DESC "
                           "LIMIT 1").fetchone()
            if bytes(row[0]) != bytes(network_key):
                raise StoreError("the store has another network key already")

    # -- tokens ----------------------------------------------------------------------------

    _TOKEN_COLS = "token_id, token_hash, role, label, created_s, revoked_s, site_ids"

    @staticmethod
    def _token(row: Row) -> TokenRow:
        sites = None if row[6] is None else tuple(str(s) for s in json.loads(row[6]))
        return TokenRow(str(row[0]), str(row[1]), str(row[2]), str(row[3]), int(row[4]),
                        None if row[5] is None else int(row[5]), site_ids=sites)

    def put_token(self, token: TokenRow) -> None:
        with self.transaction():
            row = self._wx("SELECT 1 FROM tokens WHERE token_id = ? OR token_hash = ?",
                           (token.token_id, token.token_hash)).fetchone()
            if row is not None:
                raise StoreError(f"token {token.token_id!r} (or its hash) exists already")
            self._wx(f"INSERT INTO tokens ({self._TOKEN_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (token.token_id, token.token_hash, token.role, token.label,
                      int(token.created_s), token.revoked_s,
                      None if token.site_ids is None else json.dumps(list(token.site_ids))))

    def get_token_by_hash(self, token_hash: str) -> TokenRow | None:
        row = self._q1(f"SELECT {self._TOKEN_COLS} FROM tokens WHERE token_hash = ?",
                       (token_hash,))
        return self._token(row) if row else None

    def revoke_token(self, token_id: str, t_s: int) -> bool:
        with self.transaction():
            cur = self._wx("UPDATE tokens SET revoked_s = ? WHERE token_id = ? "
                           "AND revoked_s IS NULL", (int(t_s), token_id))
            return bool(cur.rowcount)

    def list_tokens(self) -> list[TokenRow]:
        return [self._token(r) for r in self._q(f"SELECT {self._TOKEN_COLS} FROM tokens "
                                                 "ORDER BY created_s, token_id")]

    # -- outbox ----------------------------------------------------------------------------

    def outbox_put(self, channel: str, idempotency_key: str, payload: bytes,
                   created_s: int) -> bool:
        with self.transaction():
            cur = self._wx("INSERT INTO outbox (channel, idempotency_key, payload, created_s, "
                           "next_attempt_s) VALUES (?, ?, ?, ?, ?) "
                           "ON CONFLICT (channel, idempotency_key) DO NOTHING",
                           (channel, idempotency_key, bytes(payload), int(created_s),
                            int(created_s)))
            return bool(cur.rowcount)

    def outbox_due(self, channel: str, now_s: int, limit: int = 100) -> list[OutboxItem]:
        rows = self._q(f"SELECT {_OUTBOX_COLS} FROM outbox WHERE channel = ? AND done_s IS NULL "
                       "AND next_attempt_s <= ? ORDER BY next_attempt_s, item_id LIMIT ?",
                       (channel, int(now_s), int(limit)))
        return [OutboxItem(int(r[0]), r[1], r[2], bytes(r[3]), int(r[4]), int(r[5]), int(r[6]),
                           r[7]) for r in rows]

    def outbox_done(self, item_ids: Sequence[int]) -> None:
        if not item_ids:
            return
        with self.transaction():
            self._executemany_count(
                self._sql("UPDATE outbox SET done_s = next_attempt_s, payload = ? "
                          "WHERE item_id = ? AND done_s IS NULL"),
                [(b"", int(i)) for i in item_ids])

    def prune(self, rejections_before_s: int | None,
              delivered_before_s: int | None) -> tuple[int, int]:
        with self.transaction():
            rejections = outbox = 0
            if rejections_before_s is not None:
                rejections = max(int(self._wx("DELETE FROM rejections WHERE received_s < ?",
                                              (int(rejections_before_s),)).rowcount), 0)
            if delivered_before_s is not None:
                outbox = max(int(self._wx("DELETE FROM outbox WHERE done_s IS NOT NULL AND "
                                          "done_s < ?", (int(delivered_before_s),)).rowcount), 0)
            return rejections, outbox

    def outbox_retry(self, item_id: int, next_attempt_s: int, last_error: str) -> None:
        with self.transaction():
            self._wx("UPDATE outbox SET attempts = attempts + 1, next_attempt_s = ?, "
                     "last_error = ? WHERE item_id = ?",
                     (int(next_attempt_s), last_error, int(item_id)))

    def outbox_depth(self, channel: str | None = None) -> int:
        if channel is None:
            row = self._q1("SELECT count(*) FROM outbox WHERE done_s IS NULL")
        else:
            row = self._q1("SELECT count(*) FROM outbox WHERE channel = ? AND done_s IS NULL",
                           (channel,))
        return int(row[0]) if row else 0
