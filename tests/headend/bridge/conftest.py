"""Fixtures of the bridge tests: a PostgreSQL schema of the test's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest


@pytest.fixture
def shared_dsn(postgres_dsn: str) -> Iterator[str]:
    """A DSN whose search_path is a fresh schema of this test's own."""
    schema = f"scaleout_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{postgres_dsn}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
