"""``openamr serve`` on PostgreSQL survives its connections being killed (``pg_terminate_backend``).

Regression: the write connection and the API's read connections stayed dead; every batch
failed unacknowledged, ``/health`` answered 503, until a restart.  Now a lost connection is
replaced (with back-off) at the next transaction or query: the same process goes on, the
devices resend what was not acknowledged, and every interval is stored exactly once.

Only this test's own sessions are terminated: the server connects with a unique
``application_name`` into a schema of its own.
"""

from __future__ import annotations

import random
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from test_ingest_fakes import make_site
from test_serve_crash import RECORDS, Client, Server

from openamr.headend.store import Meter, Site, open_store
from openamr.units import INTERVAL_LENGTH_S

DEVICES = 8


@pytest.fixture
def own_pg(postgres_dsn: str) -> Iterator[tuple[str, str]]:
    """(dsn, application_name): a fresh schema reached through a DSN naming this test."""
    schema = f"openamr_reconnect_{uuid.uuid4().hex[:10]}"
    app = f"openamr-test-{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    options = quote(f"-c search_path={schema}")
    try:
        yield f"{postgres_dsn}?application_name={app}&options={options}", app
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE application_name = %s", (app,))
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _terminate(postgres_dsn: str, app: str) -> int:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        row = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           "WHERE application_name = %s", (app,)).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.slow
def test_serve_recovers_after_pg_terminate_backend(own_pg: tuple[str, str], postgres_dsn: str,
                                                   tmp_path: object) -> None:
    dsn, app = own_pg
    rng = random.Random(8)
    now = int(time.time())
    t0 = now - now % INTERVAL_LENGTH_S - RECORDS * INTERVAL_LENGTH_S - 3600
    with open_store(dsn) as store:
        devices = make_site(store, DEVICES, installed_s=t0)
        key = store.get_or_create_network_key()
    client = Client(devices, key, t0, rng)
    log_path = tmp_path / "serve.log"  # type: ignore[operator]
    server = Server(dsn, log_path)  # type: ignore[arg-type]
    server.start()
    pid = server.proc.pid if server.proc is not None else None
    client.connect(server.tcp_port)
    for _ in range(DEVICES * RECORDS // 8):  # a part of the data, acknowledged
        client.send_next(rng)
    client.read(0.5)
    acked_before = sum(a + 1 for a in client.acked.values())
    assert acked_before > 0

    assert _terminate(postgres_dsn, app) >= 1  # the writer (and any reader) of the server
    started = time.monotonic()
    for _ in range(40):  # the devices go on: resend whatever was not acknowledged
        while client.send_next(rng):
            pass
        client.read(0.5)
        if client.done():
            break
        client.connect(server.tcp_port)
    recovered_after_s = time.monotonic() - started
    assert client.done(), "ingest did not recover after its connections were terminated"
    assert recovered_after_s < 20  # by itself, within seconds (back-off < 20 s in all)
    assert server.proc is not None
    assert server.proc.pid == pid
    assert server.proc.poll() is None
    api = server.ready_line.split("api=")[1].split()[0]
    with urllib.request.urlopen(f"{api}/api/v1/health", timeout=10) as answer:
        assert answer.status == 200  # the API's read connections were replaced as well
    client.close()
    assert server.terminate() == 0
    log = log_path.read_text()
    assert "reconnected" in log
    assert "password" not in log
    with open_store(dsn) as store:
        assert store.interval_count() == DEVICES * RECORDS  # each acknowledged interval once
        assert store.interval_total_wh() == sum(sum(e) for e in client.energy.values())


def test_store_replaces_lost_connections(own_pg: tuple[str, str], postgres_dsn: str) -> None:
    """Reads (what ``/health`` and the API use) and writes go on after the server killed
    every session of the store."""
    dsn, app = own_pg
    with open_store(dsn) as store:
        version = store.schema_version()
        assert store.get_or_create_network_key()
        assert _terminate(postgres_dsn, app) >= 1
        assert store.schema_version() == version  # a new read connection, at once
        with store.transaction():  # a new write connection on the next transaction
            key = store.get_or_create_network_key()
        assert _terminate(postgres_dsn, app) >= 1
        assert store.get_or_create_network_key() == key
        store.upsert_site(Site("s1", "S", "UTC"))
        store.upsert_meter(Meter("M-01", "s1"))
        assert len(store.get_intervals("M-01").start_s) == 0
        assert _terminate(postgres_dsn, app) >= 1
        assert len(store.get_intervals("M-01").start_s) == 0  # the COPY read path too


def test_serve_ready_line_does_not_show_the_password(own_pg: tuple[str, str],
                                                     tmp_path: Path) -> None:
    """Regression: the ready line printed the DSN with its password."""
    dsn, _app = own_pg
    scheme, rest = dsn.split("://", 1)
    user, host = rest.split("@", 1)
    with_password = f"{scheme}://{user}:topsecret42@{host}"  # trust auth ignores it
    open_store(with_password).close()
    server = Server(with_password, tmp_path / "serve.log")  # type: ignore[arg-type]
    server.start()
    assert server.proc is not None
    assert server.terminate() == 0
    log = (tmp_path / "serve.log").read_text()
    assert "topsecret42" not in log
    assert server.ready_line
    assert "topsecret42" not in server.ready_line
    assert ":***@" in server.ready_line
