"""Fixtures of the push tests: a seeded SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from push_helpers import seed

from openamr.headend.store import Store, open_store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "headend.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = open_store(str(db_path))
    seed(s)
    yield s
    s.close()
