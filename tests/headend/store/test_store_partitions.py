"""PostgreSQL monthly partitions of ``intervals`` (migration 10, ``store/_partitions.py``),
against the real server: the migration keeps every row, writes create their months, re-ingest
stays idempotent, two writers create months concurrently, reads by meter and range prune, and
rows that waited in DEFAULT are moved out when their month is created."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import psycopg
import pytest

from openamr.errors import StoreError
from openamr.headend.store import IntervalBatch, Meter, Site, open_store
from openamr.headend.store._partitions import MonthPartitions, month_name
from openamr.headend.store.migrate import migrations, split_statements
from openamr.headend.store.postgres import PostgresStore
from openamr.timeutil import utc_month_start_s, utc_months

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
DAY_S = 86_400
FAR_S = 7_258_118_400  # 2200-01-01T00:00:00Z
COLUMNS = "meter_key, start_s, energy_wh, quality, flags, source, received_s"


def _open(dsn: str, schema: str) -> PostgresStore:
    store = open_store(dsn, options=f"-c search_path={schema}")
    assert isinstance(store, PostgresStore)
    return store


def _conn(dsn: str, schema: str) -> psycopg.Connection[Any]:
    return psycopg.connect(dsn, autocommit=True, options=f"-c search_path={schema}")


@pytest.fixture
def pg(pg_schema: tuple[str, str]) -> Iterator[tuple[PostgresStore, psycopg.Connection[Any]]]:
    """A migrated store with site s1 and meters m0..m3, and a plain connection beside it."""
    dsn, schema = pg_schema
    store = _open(dsn, schema)
    store.upsert_site(Site("s1", "One", "UTC"))
    for i in range(4):
        store.upsert_meter(Meter(f"m{i}", "s1"))
    with _conn(dsn, schema) as conn:
        try:
            yield store, conn
        finally:
            store.close()


def _placement(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Rows per partition."""
    return {str(name): int(n) for name, n in conn.execute(
        "SELECT tableoid::regclass::text, count(*) FROM intervals GROUP BY 1").fetchall()}


def _partitions(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """Partition name -> bound expression."""
    return {str(name): str(bound) for name, bound in conn.execute(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'intervals'::regclass"
    ).fetchall()}


def _put(store: PostgresStore, meter: str, start: np.ndarray, received_s: int = T0,
         energy: float = 1.0) -> Any:
    return store.put_intervals(IntervalBatch(meter, start, np.full(len(start), energy),
                                             source="import", received_s=received_s))


def _bound_of(month: int) -> str:
    lo, hi = utc_month_start_s([month, month + 1])
    return f"FOR VALUES FROM ('{lo}') TO ('{hi}')"


# -- pure parts -------------------------------------------------------------------------------

def test_month_names_and_bounds() -> None:
    months = utc_months(np.array([0, T0 - 1, T0, FAR_S, -1]))
    assert months.tolist() == [0, 671, 672, 2760, -1]
    assert [month_name("intervals", m) for m in months] == [
        "intervals_y1970m01", "intervals_y2025m12", "intervals_y2026m01", "intervals_y2200m01",
        "intervals_y1969m12"]
    assert utc_month_start_s([672, 673, -1]).tolist() == [T0, T0 + 31 * DAY_S, -31 * DAY_S]


def test_split_statements_keeps_a_do_block_whole() -> None:
    sql = migrations("postgres")[9].sql
    statements = split_statements(sql)
    do = [s for s in statements if s.startswith("DO $$")]
    assert len(do) == 1
    assert do[0].endswith("$$")
    assert "END LOOP;" in do[0]
    assert statements[-1] == "ANALYZE intervals"


# -- migration --------------------------------------------------------------------------------

def _schema_v9(conn: psycopg.Connection[Any]) -> None:
    """The store as schema version 9 left it (before partitions), built from its files."""
    conn.execute("CREATE TABLE schema_version (version BIGINT NOT NULL, applied_s BIGINT "
                 "NOT NULL DEFAULT extract(epoch FROM now()))")
    for migration in migrations("postgres")[:9]:
        for statement in split_statements(migration.sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (migration.version,))


def test_migration_keeps_every_row_key_and_column(pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    rng = np.random.default_rng(11)
    with _conn(dsn, schema) as conn:
        _schema_v9(conn)
        conn.execute("INSERT INTO sites VALUES ('s1', 'One', 'UTC')")
        for i in range(3):
            conn.execute("INSERT INTO meters (meter_id, site_id, model, kh_wh, max_power_w) "
                         "VALUES (%s, 's1', '', 1.0, 60720.0)", (f"m{i}",))
        # three meters over 14 months at an hour's step, the epoch's first second and 2200
        start = T0 - 40 * DAY_S + 3600 * np.arange(14 * 30 * 24)
        rows = [(k, int(t), float(rng.integers(0, 3000)), int(rng.integers(0, 3)),
                 int(rng.integers(0, 8)), int(rng.integers(0, 3)), T0) for k in (1, 2, 3)
                for t in start]
        rows += [(1, 0, 5.0, 0, 0, 0, T0), (2, FAR_S, 6.0, 0, 0, 1, T0)]
        with conn.cursor() as cur, cur.copy(f"COPY intervals ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        columns_before = conn.execute(
            "SELECT column_name, data_type, is_nullable, ordinal_position FROM "
            "information_schema.columns WHERE table_schema = %s AND table_name = 'intervals' "
            "ORDER BY ordinal_position", (schema,)).fetchall()
        before = conn.execute(f"SELECT {COLUMNS} FROM intervals ORDER BY 1, 2").fetchall()
    assert len(before) == len(rows)

    with _open(dsn, schema) as store:
        assert store.schema_version() == 10
        with _conn(dsn, schema) as conn:
            after = conn.execute(f"SELECT {COLUMNS} FROM intervals ORDER BY 1, 2").fetchall()
            assert after == before  # every row, every value
            columns_after = conn.execute(
                "SELECT column_name, data_type, is_nullable, ordinal_position FROM "
                "information_schema.columns WHERE table_schema = %s AND "
                "table_name = 'intervals' ORDER BY ordinal_position", (schema,)).fetchall()
            assert columns_after == columns_before
            assert conn.execute(
                "SELECT pg_get_partkeydef('intervals'::regclass)").fetchone() == (
                    "RANGE (start_s)",)
            assert conn.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE "
                "conrelid = 'intervals'::regclass AND contype = 'p'").fetchone() == (
                    "PRIMARY KEY (meter_key, start_s)",)
            assert conn.execute("SELECT to_regclass('intervals_unpartitioned')").fetchone() == (
                None,)
            # one partition per month that held rows, named and bounded as the store's code
            # would (the migration's SQL and _partitions.py agree), and an empty DEFAULT
            months = np.unique(utc_months(np.array([r[1] for r in rows])))
            expected = {month_name("intervals", m): _bound_of(m) for m in months}
            expected["intervals_default"] = "DEFAULT"
            assert _partitions(conn) == expected
            placement = _placement(conn)
            assert "intervals_default" not in placement
            assert placement["intervals_y1970m01"] == 1
            assert placement["intervals_y2200m01"] == 1
            assert sum(placement.values()) == len(rows)
        # the key still refuses a second value and keeps the first
        first = before[0]
        result = _put(store, "m0", np.array([first[1]]), energy=first[2] + 1)
        assert (result.inserted, result.conflicts) == (0, 1)
        again = store.get_intervals("m0", first[1], first[1] + 1)
        assert again.energy_wh.tolist() == [first[2]]


# -- writes -----------------------------------------------------------------------------------

def test_ingest_across_months_creates_them_and_reingest_is_idempotent(pg: Any) -> None:
    store, conn = pg
    start = T0 - 2 * DAY_S + 900 * np.arange(70 * 96)  # 2025-12-30 to 2026-03-10
    first = _put(store, "m0", start)
    assert first.inserted == len(start)
    placement = _placement(conn)
    assert placement == {"intervals_y2025m12": 2 * 96, "intervals_y2026m01": 31 * 96,
                         "intervals_y2026m02": 28 * 96, "intervals_y2026m03": 9 * 96}
    again = _put(store, "m0", start)
    assert (again.inserted, again.duplicates, again.conflicts) == (0, len(start), 0)
    changed = _put(store, "m0", start[:5], energy=2.0)
    assert (changed.inserted, changed.conflicts) == (0, 5)
    assert _placement(conn) == placement
    assert store.get_intervals("m0").energy_wh.tolist() == [1.0] * len(start)


def test_overlapped_ingest_path_creates_months_inside_a_transaction(pg: Any) -> None:
    """``start_interval_rows`` (the ingest's COPY left running) in one transaction, chunk by
    chunk into new months, then again (the resend)."""
    store, conn = pg
    keys = store.meter_keys(["m0", "m1"])
    chunks = [T0 + 29 * DAY_S + 900 * np.arange(k * 400, (k + 1) * 400) for k in range(6)]

    def ingest() -> list[Any]:
        with store.transaction():
            pending = []
            for i, start in enumerate(chunks):
                key = np.full(len(start), keys[i % 2])
                zeros = np.zeros(len(start), dtype=np.int64)
                pending.append(store.start_interval_rows(key, start, np.ones(len(start)), zeros,
                                                         zeros, "frame", int(start[-1])))
            return [p() for p in pending]

    assert sum(r.inserted for r in ingest()) == 2400
    assert sum(r.duplicates for r in ingest()) == 2400
    placement = _placement(conn)
    assert set(placement) == {"intervals_y2026m01", "intervals_y2026m02"}
    assert sum(placement.values()) == 2400


def test_reads_by_meter_and_range_prune_partitions(pg: Any) -> None:
    store, conn = pg
    _put(store, "m0", T0 + 3600 * np.arange(24 * 120))  # January to April
    key = int(store.meter_keys(["m0"])[0])
    feb, mar = (int(t) for t in utc_month_start_s([673, 674]))
    sql, params = store._intervals_query(key, feb, mar)
    plan = "\n".join(r[0] for r in conn.execute(
        "EXPLAIN (COSTS OFF) " + sql.replace("?", "%s"), params).fetchall())
    assert "intervals_y2026m02" in plan
    for other in ("intervals_y2026m01", "intervals_y2026m03", "intervals_y2026m04",
                  "intervals_default"):
        assert other not in plan, plan
    both = "\n".join(r[0] for r in conn.execute(
        "EXPLAIN (COSTS OFF) " + sql.replace("?", "%s"), [key, feb, mar + 1]).fetchall())
    assert "intervals_y2026m02" in both
    assert "intervals_y2026m03" in both
    assert "intervals_y2026m01" not in both
    assert "intervals_default" not in both
    assert len(store.get_intervals("m0", feb, mar)) == 28 * 24


def test_far_future_and_pre_1970_rows_wait_in_default_and_move_out(pg: Any) -> None:
    store, conn = pg
    # 2200 is far beyond the horizon of a write received in 2026: no partition for it
    assert _put(store, "m0", np.array([FAR_S, FAR_S + 900])).inserted == 2
    assert _placement(conn) == {"intervals_default": 2}
    assert "intervals_y2200m01" not in _partitions(conn)
    # the store refuses pre-1970 starts; a row written by SQL (a restore) lands in DEFAULT
    with pytest.raises(StoreError, match="out of range"):
        _put(store, "m1", np.array([-900]))
    conn.execute(f"INSERT INTO intervals ({COLUMNS}) SELECT meter_key, -900, 3.0, 0, 0, 0, 0 "
                 "FROM meters WHERE meter_id = 'm1'")
    assert _placement(conn) == {"intervals_default": 3}
    # a write received in 2200 creates the month and moves the waiting rows out of DEFAULT
    assert _put(store, "m0", np.array([FAR_S + 1800]), received_s=FAR_S).inserted == 1
    assert _placement(conn) == {"intervals_y2200m01": 3, "intervals_default": 1}
    # maintenance moves what is left and creates this month and the next
    report = store.maintain_partitions(T0 + 5 * DAY_S)
    assert set(report.created) == {"intervals_y1969m12", "intervals_y2026m01",
                                   "intervals_y2026m02"}
    assert report.default_rows == 0
    assert report.deferred == ()
    assert _placement(conn) == {"intervals_y2200m01": 3, "intervals_y1969m12": 1}
    assert store.get_intervals("m0").start_s.tolist() == [FAR_S, FAR_S + 900, FAR_S + 1800]
    assert store.get_intervals("m1").energy_wh.tolist() == [3.0]
    # nothing left to do: a second run creates nothing
    assert store.maintain_partitions(T0 + 5 * DAY_S).created == ()


def test_own_transaction_holding_default_defers_without_waiting(pg: Any) -> None:
    """The writer's open transaction put a row in DEFAULT; a new month in the same
    transaction cannot be attached (it would wait for this very transaction): its rows go to
    DEFAULT and the next write of that month moves them out."""
    store, conn = pg
    with store.transaction():
        _put(store, "m0", np.array([FAR_S]))  # DEFAULT, locked by this transaction
        _put(store, "m0", np.array([T0, T0 + 900]))  # 2026-01: deferred, not a hang
    assert _placement(conn) == {"intervals_default": 3}
    _put(store, "m0", np.array([T0 + 1800]))
    assert _placement(conn) == {"intervals_y2026m01": 3, "intervals_default": 1}


# -- concurrency ------------------------------------------------------------------------------

def test_two_writers_create_overlapping_months_concurrently(pg_schema: tuple[str, str],
                                                             pg: Any) -> None:
    """Two stores (two sessions, as two ingest workers) write the same 12 new months at the
    same time, each in transactions of two months: every row is stored once, every month
    is created once, nothing waits in DEFAULT."""
    dsn, schema = pg_schema
    first, conn = pg
    second = _open(dsn, schema)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    months = utc_month_start_s(np.arange(672, 685))  # 2026-01 .. 2027-01 (edges)

    def write(store: PostgresStore, meter: str) -> None:
        try:
            keys = store.meter_keys([meter])
            barrier.wait()
            for m in range(0, 12, 2):
                with store.transaction():
                    for k in (m, m + 1):
                        start = np.arange(months[k], months[k + 1], 3600, dtype=np.int64)
                        store.put_interval_rows(np.full(len(start), keys[0]), start,
                                                np.ones(len(start)),
                                                np.zeros(len(start), np.int64),
                                                np.zeros(len(start), np.int64), "import", T0)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    try:
        threads = [threading.Thread(target=write, args=(s, mid))
                   for s, mid in ((first, "m0"), (second, "m1"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        second.close()
    assert errors == []
    hours = int((months[12] - months[0]) // 3600)
    placement = _placement(conn)
    assert "intervals_default" not in placement
    assert sum(placement.values()) == 2 * hours
    assert set(placement) == {month_name("intervals", m) for m in range(672, 684)}
    for meter in ("m0", "m1"):
        assert first.interval_count(meter) == hours


def test_another_session_holding_default_defers_after_the_lock_timeout(
        pg_schema: tuple[str, str], pg: Any) -> None:
    """Another session's open transaction holds DEFAULT: the month is not created (after
    ``lock_timeout_ms``, no hang), its rows wait in DEFAULT, maintenance moves them later."""
    dsn, schema = pg_schema
    store, conn = pg
    store.partitions.lock_timeout_ms = 100
    other = _open(dsn, schema)
    try:
        with other.transaction():
            _put(other, "m1", np.array([FAR_S]))  # DEFAULT, locked until this commit
            result = _put(store, "m0", np.array([T0, T0 + 900]))
            assert result.inserted == 2
        assert _placement(conn) == {"intervals_default": 3}
    finally:
        other.close()
    report = store.maintain_partitions(T0)
    assert "intervals_y2026m01" in report.created
    assert report.default_rows == 1
    assert _placement(conn) == {"intervals_y2026m01": 2, "intervals_default": 1}


def test_partitions_of_another_shape_are_respected(pg: Any) -> None:
    """An operator's partition over a whole year (or part of a month): months inside it are
    covered, a month it cuts is never created (its other rows go to DEFAULT)."""
    store, conn = pg
    lo, hi = utc_month_start_s([660, 672])  # 2025
    conn.execute(f"CREATE TABLE intervals_y2025 PARTITION OF intervals FOR VALUES FROM ({lo}) "
                 f"TO ({hi + 10 * DAY_S})")  # 2025 and ten days of 2026-01
    store.partitions.forget()
    _put(store, "m0", np.arange(lo, hi + 20 * DAY_S, DAY_S, dtype=np.int64))
    assert _placement(conn) == {"intervals_y2025": 365 + 10, "intervals_default": 10}
    assert set(_partitions(conn)) == {"intervals_y2025", "intervals_default"}


def test_month_partitions_cache_skips_known_months() -> None:
    """The cache: a batch inside known months costs no query; ranges merge."""
    calls: list[str] = []

    def connect() -> Any:
        calls.append("connect")
        raise AssertionError("no connection needed")

    parts = MonthPartitions(connect, lambda: None)
    jan, feb, mar = (int(t) for t in utc_month_start_s([672, 673, 674]))
    parts._set_ranges([(feb, mar), (jan, feb)])
    assert parts._ranges == [(jan, mar)]
    parts.ensure(np.array([jan, mar - 1]), jan, mar - 1, jan)
    assert calls == []
    assert parts._find(jan, mar) == (True, True)
    assert parts._find(mar, mar + DAY_S) == (False, False)
    assert parts._find(mar - DAY_S, mar + DAY_S) == (False, True)


@pytest.mark.parametrize("overlapped", [False, True])
def test_a_write_that_began_before_its_month_was_attached_is_routed_again(
        pg: Any, overlapped: bool) -> None:
    """A COPY whose statement began before another session attached the rows' month meets
    PostgreSQL's re-check of DEFAULT's constraint (CheckViolation): the store rolls the COPY
    back and stores the rows through the staging path, into the new month."""
    store, conn = pg
    store.partitions.horizon_months = -10**6  # this store creates no month by itself
    key = int(store.meter_keys(["m0"])[0])
    start = T0 + 900 * np.arange(8)
    writer = store._writer_pid()
    results: list[Any] = []
    errors: list[BaseException] = []

    def write() -> None:
        zeros = np.zeros(len(start), dtype=np.int64)
        args = (np.full(len(start), key), start, np.ones(len(start)), zeros, zeros, "import", T0)
        try:
            if overlapped:
                with store.transaction():
                    results.append(store.start_interval_rows(*args)())
            else:
                results.append(store.put_interval_rows(*args))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    with conn.transaction():
        conn.execute("LOCK TABLE intervals_default IN ACCESS EXCLUSIVE MODE")
        thread = threading.Thread(target=write)
        thread.start()
        # wait until the writer's COPY (routing to DEFAULT) waits for our lock: its
        # statement has begun without the month's partition
        waiting = None
        for _ in range(100_000):
            waiting = conn.execute("SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted",
                                   (writer,)).fetchone()
            if waiting is not None or not thread.is_alive():
                break
        assert waiting is not None, "the writer never waited for the DEFAULT partition"
        conn.execute("CREATE TABLE intervals_y2026m01 (LIKE intervals INCLUDING ALL)")
        lo, hi = utc_month_start_s([672, 673])
        conn.execute(f"ALTER TABLE intervals ATTACH PARTITION intervals_y2026m01 "
                     f"FOR VALUES FROM ({lo}) TO ({hi})")
    thread.join()
    assert errors == []
    assert results[0].inserted == len(start)
    assert _placement(conn) == {"intervals_y2026m01": len(start)}
