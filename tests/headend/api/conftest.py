"""Fixtures of the API tests: a seeded SQLite store, role tokens, an in-process client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_seed import ApiClient, api_client, bearer, seed

from openamr.headend.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(str(tmp_path / "api.db")) as opened:
        yield opened


@pytest.fixture
def tokens(store: Store) -> dict[str, str]:
    return seed(store)


@pytest.fixture
def client(store: Store, tokens: dict[str, str]) -> Iterator[ApiClient]:
    yield from api_client(store)


@pytest.fixture
def headers(tokens: dict[str, str]) -> dict[str, dict[str, str]]:
    """``Authorization`` headers per role."""
    return {role: bearer(secret) for role, secret in tokens.items()}
