"""Fixtures of the store tests: ``store`` runs each test on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from openamr.headend.store import Store, open_store


@pytest.fixture
def pg_schema(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(dsn, schema): a fresh PostgreSQL schema, dropped at teardown."""
    dsn: str = request.getfixturevalue("postgres_dsn")
    schema = f"openamr_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield dsn, schema
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def make_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    if kind == "sqlite":
        return open_store(str(tmp_path / "openamr.db"))
    dsn, schema = request.getfixturevalue("pg_schema")
    return open_store(dsn, options=f"-c search_path={schema}")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty, migrated store on each backend."""
    s = make_store(request.param, tmp_path, request)
    try:
        yield s
    finally:
        s.close()
