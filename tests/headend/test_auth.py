"""Tokens: random, hashed with SHA-256, verified in constant time, revocable; roles."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from openamr.errors import InputError
from openamr.headend.auth import (
    PERMISSIONS,
    ROLES,
    TOKEN_PREFIX,
    allowed,
    check_role,
    describe,
    hash_token,
    issue_token,
    new_token,
    verify_token,
)
from openamr.headend.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(str(tmp_path / "auth.db")) as opened:
        yield opened


def test_tokens_are_random_and_long() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(t.startswith(TOKEN_PREFIX) and len(t) >= len(TOKEN_PREFIX) + 43 for t in tokens)


def test_the_hash_is_sha256_hex() -> None:
    assert hash_token("oamr_x") == hashlib.sha256(b"oamr_x").hexdigest()


def test_issue_stores_only_the_hash_and_verifies(store: Store) -> None:
    issued = issue_token(store, "installer", "van 3", 1_700_000_000)
    assert issued.secret not in repr(issued)
    (row,) = store.list_tokens()
    assert row.token_hash == hash_token(issued.secret)
    assert issued.secret not in str(row)
    assert verify_token(store, issued.secret) == row
    assert describe(row) == f"token:{row.token_id}(installer) van 3"


@pytest.mark.parametrize("presented", ["", "oamr_", "oamr_wrong", "not-a-token",
                                       "oamr_" + "a" * 500])
def test_unknown_tokens_do_not_verify(store: Store, presented: str) -> None:
    issue_token(store, "admin", "", 0)
    assert verify_token(store, presented) is None


def test_revoked_tokens_do_not_verify(store: Store) -> None:
    issued = issue_token(store, "admin", "", 0)
    assert store.revoke_token(issued.row.token_id, 10)
    assert verify_token(store, issued.secret) is None


def test_roles_and_matrix() -> None:
    assert ROLES == ("admin", "installer", "billing", "read-only")
    for role in ROLES:
        assert check_role(role) == role
    with pytest.raises(InputError, match="unknown role 'root'"):
        check_role("root")
    assert all(allowed("admin", p) for p in PERMISSIONS)
    assert not allowed("admin", "no.such.permission")
    assert [r for r in ROLES if allowed(r, "tokens.manage")] == ["admin"]
    assert [r for r in ROLES if allowed(r, "data.export")] == ["admin", "billing"]
    assert [r for r in ROLES if allowed(r, "alarms.ack")] == ["admin", "installer"]
    assert allowed("installer", "data.read")
    assert [r for r in ROLES if allowed(r, "devices.manage")] == ["admin", "installer"]
    assert not allowed("admin", "tokens.manage", ("site-a",))  # head-end-wide: not scoped
    assert allowed("installer", "devices.manage", ("site-a",))


def test_a_bad_role_is_refused_before_anything_is_stored(store: Store) -> None:
    with pytest.raises(InputError):
        issue_token(store, "superuser", "", 0)
    assert store.list_tokens() == []
