"""Fixtures of the VEE tests: a store on each backend (``vee_store``), SQLite (``store``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from openamr.headend.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(str(tmp_path / "vee.db")) as s:
        yield s


@pytest.fixture(params=["sqlite", "postgres"])
def vee_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store on each backend (PostgreSQL in a schema of its own)."""
    if request.param == "sqlite":
        with open_store(str(tmp_path / "vee.db")) as s:
            yield s
        return
    dsn: str = request.getfixturevalue("postgres_dsn")
    schema = f"openamr_vee_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        with open_store(dsn, options=f"-c search_path={schema}") as s:
            yield s
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
