"""``openamr token create|list|revoke`` against a real SQLite store."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from openamr.cli import main
from openamr.headend.auth import hash_token, verify_token
from openamr.headend.store import open_store


def test_create_prints_the_token_as_the_last_word_and_stores_only_its_hash(
        tmp_path: Path) -> None:
    db = str(tmp_path / "h.db")
    result = CliRunner().invoke(main, ["token", "create", "--role", "billing", "--db", db,
                                       "--create",
                                       "--label", "ERP nightly"])
    assert result.exit_code == 0, result.output
    secret = result.output.split()[-1]
    assert secret.startswith("oamr_")
    with open_store(db) as store:
        row = verify_token(store, secret)
        assert row is not None
        assert (row.role, row.label) == ("billing", "ERP nightly")
        assert row.token_hash == hash_token(secret)
        assert all(secret not in str(t) for t in store.list_tokens())


def test_bad_role_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["token", "create", "--role", "root", "--db",
                                       str(tmp_path / "h.db")])
    assert result.exit_code == 2
    assert "root" in result.output


def test_list_and_revoke(tmp_path: Path) -> None:
    db = str(tmp_path / "h.db")
    runner = CliRunner()
    created = runner.invoke(main, ["token", "create", "--role", "admin", "--db", db, "--create"])
    secret = created.output.split()[-1]
    listing = runner.invoke(main, ["token", "list", "--db", db])
    assert listing.exit_code == 0
    assert secret not in listing.output
    token_id = listing.output.splitlines()[1].split()[0]
    assert runner.invoke(main, ["token", "revoke", token_id, "--db", db]).exit_code == 0
    with open_store(db) as store:
        assert verify_token(store, secret) is None
    again = runner.invoke(main, ["token", "revoke", token_id, "--db", db])
    assert again.exit_code == 1
    assert "no live token" in again.output


def test_a_mistyped_store_is_refused_not_created(tmp_path: Path) -> None:
    """Regression: ``token create`` against a missing path used to create an empty store."""
    db = tmp_path / "typo.db"
    result = CliRunner().invoke(main, ["token", "create", "--role", "admin", "--db", str(db)])
    assert result.exit_code == 2
    assert "no such store" in result.output
    assert "--create" in result.output
    assert not db.exists()


def test_errors_do_not_show_the_postgres_password() -> None:
    """Regression: ``token`` errors printed the DSN with its password."""
    dsn = "postgresql://openamr:hunter2secret@127.0.0.1:1/nothing"
    result = CliRunner().invoke(main, ["token", "list", "--db", dsn])
    assert result.exit_code == 2
    assert "hunter2secret" not in result.output
    assert "postgresql://openamr:***@127.0.0.1:1/nothing" in result.output
