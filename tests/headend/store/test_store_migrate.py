"""Migrations: a database made by the v1 schema file opens, upgrades, and keeps its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from openamr.errors import StoreError
from openamr.headend.store import DeviceStatus, open_store
from openamr.headend.store.migrate import latest_version, migrations, split_statements

T0 = 1_767_225_600


def _v1_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, "
                 "applied_s INTEGER NOT NULL DEFAULT (unixepoch()))")
    for statement in split_statements(migrations("sqlite")[0].sql):
        conn.execute(statement)
    conn.execute("INSERT INTO schema_version (version) VALUES (1)")
    conn.execute("INSERT INTO sites VALUES ('s1', 'One', 'UTC')")
    conn.execute("INSERT INTO meters (meter_id, site_id, device_id, model, kh_wh, max_power_w) "
                 "VALUES ('m0', 's1', NULL, '', 10.0, 60720.0)")
    conn.execute("INSERT INTO intervals VALUES (1, ?, 12.5, 0, 0, 0, ?)", (T0, T0))
    conn.execute("INSERT INTO device_status (device_id, last_heard_s, rssi_dbm) "
                 "VALUES ('ab', ?, -71)", (T0,))
    conn.commit()
    conn.close()


def test_v1_sqlite_database_migrates_to_latest(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    _v1_sqlite(path)
    with open_store(str(path)) as store:
        assert store.schema_version() == latest_version("sqlite") > 1
        assert store.get_intervals("m0").energy_wh.tolist() == [12.5]
        status = store.get_device_status("ab")
        assert status is not None
        assert (status.rssi_dbm, status.firmware) == (-71, None)
        store.put_device_status(DeviceStatus("ab", T0 + 1, firmware=3))
        status = store.get_device_status("ab")
        assert status is not None
        assert status.firmware == 3
    with open_store(f"sqlite:///{path}") as again:  # idempotent: nothing left to apply
        assert again.schema_version() == latest_version("sqlite")


def test_newer_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    open_store(str(path)).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version (version) VALUES (99)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        open_store(str(path))


def test_v1_postgres_database_migrates_to_latest(pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    with psycopg.connect(dsn, autocommit=True, options=f"-c search_path={schema}") as conn:
        conn.execute("CREATE TABLE schema_version (version BIGINT NOT NULL, applied_s BIGINT "
                     "NOT NULL DEFAULT extract(epoch FROM now()))")
        for statement in split_statements(migrations("postgres")[0].sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version (version) VALUES (1)")
        conn.execute("INSERT INTO sites VALUES ('s1', 'One', 'UTC')")
        conn.execute("INSERT INTO meters (meter_id, site_id, model, kh_wh, max_power_w) "
                     "VALUES ('m0', 's1', '', 10.0, 60720.0)")
        conn.execute("INSERT INTO intervals SELECT meter_key, %s, 12.5, 0, 0, 0, %s FROM meters",
                     (T0, T0))
    with open_store(dsn, options=f"-c search_path={schema}") as store:
        assert store.schema_version() == latest_version("postgres")
        assert store.get_intervals("m0").energy_wh.tolist() == [12.5]
        store.put_device_status(DeviceStatus("ab", T0, firmware=2))
        status = store.get_device_status("ab")
        assert status is not None
        assert status.firmware == 2


def test_both_dialects_have_the_same_versions() -> None:
    assert [(m.version, m.name) for m in migrations("sqlite")] == [
        (m.version, m.name) for m in migrations("postgres")]
