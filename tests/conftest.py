"""Shared fixtures.

Tests that need a real service (PostgreSQL, Mosquitto) use ``postgres_dsn`` / ``mqtt_broker``:
they connect for real.  Outside CI (``CI`` unset) an unreachable service skips the test with the
reason; in CI it fails it, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import settings

# In CI every run draws the same examples (a failure there is reproducible, never a fluke of the
# draw) and no example fails on time alone; locally hypothesis explores afresh each run.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

POSTGRES_DSN = os.environ.get("OPENAMR_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
MQTT_HOST = os.environ.get("OPENAMR_TEST_MQTT_HOST", "127.0.0.1")
MQTT_PORT = int(os.environ.get("OPENAMR_TEST_MQTT_PORT", "1883"))


def _reachable(host: str, port: int, timeout_s: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (outside CI) or fail (in CI) when ``host:port`` does not answer."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("CI"):
        pytest.fail(f"{message}, and CI must run this test (.ci/run starts it)")
    pytest.skip(f"{message} (set CI=1 to make this a failure)")


@pytest.fixture
def postgres_dsn() -> str:
    """DSN of the real PostgreSQL test database."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return POSTGRES_DSN


@pytest.fixture
def pg_schema(postgres_dsn: str) -> Iterator[tuple[str, str]]:
    """(dsn, schema): a fresh PostgreSQL schema of this test's own, dropped at teardown."""
    schema = f"openamr_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield postgres_dsn, schema
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def pg_schema_dsn(pg_schema: tuple[str, str]) -> str:
    """A DSN whose ``search_path`` is :func:`pg_schema`'s fresh schema.

    Every connection made from the DSN (other processes and Dask workers too) sees that schema.
    """
    dsn, schema = pg_schema
    return f"{dsn}?options=-csearch_path%3D{schema}"


@pytest.fixture
def mqtt_broker() -> tuple[str, int]:
    """(host, port) of the real Mosquitto broker."""
    require_service("Mosquitto", MQTT_HOST, MQTT_PORT)
    return MQTT_HOST, MQTT_PORT
