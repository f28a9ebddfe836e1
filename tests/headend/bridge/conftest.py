"""Fixtures of the bridge tests: a PostgreSQL schema of the test's own."""

from __future__ import annotations

import pytest


@pytest.fixture
def shared_dsn(pg_schema_dsn: str) -> str:
    """The DSN of a fresh schema shared by the workers of one test."""
    return pg_schema_dsn
