"""The API over the PostgreSQL store: the same answers as over SQLite."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from api_seed import ApiClient, api_client, bearer, seed

from openamr.headend.store import Store, open_store

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(postgres_dsn: str) -> Iterator[Store]:
    schema = f"openamr_api_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        with open_store(postgres_dsn, options=f"-c search_path={schema}") as store:
            yield store
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def pg_client(pg_store: Store) -> Iterator[tuple[ApiClient, dict[str, str]]]:
    tokens = seed(pg_store)
    for client in api_client(pg_store):
        yield client, tokens


def test_intervals_rollup_and_auth_over_postgres(
        pg_client: tuple[ApiClient, dict[str, str]]) -> None:
    client, tokens = pg_client
    admin = bearer(tokens["admin"])
    r = client.get("/api/v1/meters/m-1/intervals", headers=admin,
                   params={"start": "2026-03-08T00:00:00-08:00",
                           "end": "2026-03-08T01:00:00-08:00"})
    assert r.status_code == 200
    assert [i["start"] for i in r.json()["intervals"]] == [
        "2026-03-08T08:00:00Z", "2026-03-08T08:15:00Z", "2026-03-08T08:30:00Z",
        "2026-03-08T08:45:00Z"]
    body = client.get("/api/v1/meters/m-1/rollup", headers=admin,
                      params={"period": "daily", "start": "2026-11-01T00:00:00-07:00",
                              "end": "2026-11-01T12:00:00-08:00"}).json()
    assert body["buckets"][0]["intervals_expected"] == 100
    assert body["buckets"][0]["intervals_present"] == 100
    assert client.get("/api/v1/sites", headers=bearer("oamr_wrong")).status_code == 401
    assert client.get("/api/v1/meters/m-1/intervals", params={"format": "csv"},
                      headers=bearer(tokens["installer"])).status_code == 403
    (alarm,) = client.get("/api/v1/alarms", headers=admin).json()["alarms"]
    acked = client.post(f"/api/v1/alarms/{alarm['alarm_id']}/ack", headers=admin).json()
    assert acked["state"] == "acknowledged"
    assert client.get("/api/v1/health").json()["status"] == "ok"
