"""Fixtures of the store tests: ``store`` runs each test on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openamr.headend.store import Store, open_store


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
