"""Migration 4 (many sites): a version-3 database keeps its meters (same keys, same data), its
MDTs get their meter id as site-scoped id, its alarms their site; then a second site may reuse
every id."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from openamr.headend.store import Device, IntervalBatch, Meter, Site, Store, open_store
from openamr.headend.store.migrate import migrations, split_statements

T0 = 1_767_225_600


def _up_to_3(execute: Callable[..., Any], dialect: str, version_ddl: str, mark: str) -> None:
    execute(version_ddl)
    for migration in migrations(dialect)[:3]:
        for statement in split_statements(migration.sql):
            execute(statement)
        execute(f"INSERT INTO schema_version (version) VALUES ({mark})", (migration.version,))
    execute("INSERT INTO sites VALUES ('s1', 'One', 'UTC')")
    for i in range(3):
        execute(f"INSERT INTO meters (meter_id, site_id, device_id, model, kh_wh, max_power_w) "
                f"VALUES ({mark}, 's1', {mark}, '', 10.0, 60720.0)", (f"m{i}", f"{i:016x}"))
        execute(f"INSERT INTO devices (device_id, role, site_id, meter_id, model) VALUES "
                f"({mark}, 'mdt', 's1', {mark}, '')", (f"{i:016x}", f"m{i}"))
    execute(f"INSERT INTO intervals SELECT meter_key, {mark}, 12.5, 0, 0, 0, {mark} FROM meters "
            "WHERE meter_id = 'm2'", (T0, T0))
    execute(f"INSERT INTO alarms (code, device_id, meter_id, raised_s, detail, state) VALUES "
            f"('alarm.tamper', {mark}, 'm1', {mark}, '', 'open')", (f"{1:016x}", T0))


def _check(store: Store) -> None:
    assert store.get_intervals("m2").energy_wh.tolist() == [12.5]
    assert store.get_intervals("m2", site_id="s1").energy_wh.tolist() == [12.5]
    device = store.get_device(f"{1:016x}")
    assert device is not None
    assert device.local_id == "m1"
    assert [a.site_id for a in store.list_alarms()] == ["s1"]
    store.upsert_site(Site("s2", "Two", "UTC"))
    store.upsert_meter(Meter("m2", "s2"))
    store.upsert_device(Device("ff" * 8, "mdt", "s2", "m2", local_id="m2"))
    store.put_intervals(IntervalBatch("m2", [T0], [99.0], site_id="s2"))
    assert store.get_intervals("m2", site_id="s1").energy_wh.tolist() == [12.5]
    assert store.get_intervals("m2", site_id="s2").energy_wh.tolist() == [99.0]


def test_a_v3_sqlite_database_becomes_multisite(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    conn = sqlite3.connect(path)
    _up_to_3(conn.execute, "sqlite", "CREATE TABLE schema_version (version INTEGER NOT NULL, "
             "applied_s INTEGER NOT NULL DEFAULT (unixepoch()))", "?")
    conn.commit()
    keys = dict(conn.execute("SELECT meter_id, meter_key FROM meters").fetchall())
    conn.close()
    with open_store(str(path)) as store:
        assert {m: store.meter_key(m, site_id="s1") for m in keys} == keys
        _check(store)


def test_a_v3_postgres_database_becomes_multisite(pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    with psycopg.connect(dsn, autocommit=True, options=f"-c search_path={schema}") as conn:
        _up_to_3(conn.execute, "postgres", "CREATE TABLE schema_version (version BIGINT NOT "
                 "NULL, applied_s BIGINT NOT NULL DEFAULT extract(epoch FROM now()))", "%s")
    with open_store(dsn, options=f"-c search_path={schema}") as store:
        _check(store)
