"""Opening a store: the one rule (``create``), and a clear error for every way it can fail.

Regressions: a mistyped ``--db`` silently created an empty store; an unknown scheme became a
SQLite path; a directory, a file that is not a database, a read-only or locked file and a bad
DSN ended in tracebacks with exit status 1; passwords were shown in clear.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from openamr.cli import main
from openamr.errors import InputError, StoreError
from openamr.headend.store import open_store, redact
from openamr.headend.store.target import StoreOpenError, parse_target


def test_a_missing_sqlite_store_is_refused_unless_create(tmp_path: Path) -> None:
    db = tmp_path / "typo.db"
    with pytest.raises(StoreOpenError, match="no such store"):
        open_store(str(db), create=False)
    assert not db.exists()
    with open_store(str(db), create=True) as store:
        assert store.schema_version() > 0
    with open_store(str(db), create=False) as store:  # now it exists
        assert store.schema_version() > 0


def test_an_empty_postgres_schema_is_refused_unless_create(postgres_dsn: str) -> None:
    import uuid

    import psycopg

    schema = f"openamr_open_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        with pytest.raises(StoreOpenError, match="no openamr store here"):
            open_store(postgres_dsn, options=f"-c search_path={schema}", create=False)
        with open_store(postgres_dsn, options=f"-c search_path={schema}") as store:
            assert store.schema_version() > 0
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.mark.parametrize("target", ["mysql://u@h/db", "redis://localhost:6379/0",
                                    "sqlite://relative.db"])
def test_an_unknown_or_malformed_scheme_is_an_error_not_a_path(target: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"scheme|sqlite:///path"):
        open_store(target)
    assert list(tmp_path.iterdir()) == []


def test_the_rule_is_one_parse() -> None:
    assert parse_target("sqlite:///var/lib/openamr.db").location == "var/lib/openamr.db"
    assert parse_target("head.db").kind == "sqlite"
    assert parse_target("postgres://h/db").kind == "postgres"


def test_errors_are_both_input_and_store_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        open_store(str(tmp_path / "x.db"), create=False)
    with pytest.raises(StoreError):
        open_store(str(tmp_path / "x.db"), create=False)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreOpenError, match="is a directory"):
        open_store(str(tmp_path))


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_bytes(b"meter readings, honest\n" * 200)
    with pytest.raises(StoreOpenError, match="not an openamr store"):
        open_store(str(junk))
    assert junk.read_bytes() == b"meter readings, honest\n" * 200


@pytest.fixture
def read_only_store(tmp_path: Path) -> Iterator[Path]:
    """A store file that cannot be written (chattr +i as root, chmod 444 otherwise)."""
    db = tmp_path / "ro.db"
    open_store(str(db)).close()
    for extra in tmp_path.glob("ro.db-*"):
        extra.unlink()
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(db)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot make a file immutable here: {done.stderr.decode().strip()}")
        try:
            yield db
        finally:
            subprocess.run(["chattr", "-i", str(db)], check=True)
    else:
        db.chmod(0o444)
        tmp_path.chmod(0o555)
        try:
            yield db
        finally:
            tmp_path.chmod(0o755)
            db.chmod(0o644)


def test_a_read_only_store_is_refused(read_only_store: Path) -> None:
    with pytest.raises(StoreOpenError, match=r"read-only|cannot open"):
        open_store(str(read_only_store), create=False)


def test_a_locked_store_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    open_store(str(db)).close()
    holder = sqlite3.connect(str(db), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreOpenError, match="locked"):
            open_store(str(db), create=False, busy_timeout_s=0.05)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("dsn", ["postgresql://u:s3cr3t@127.0.0.1:notaport/db",
                                 "postgresql://u:s3cr3t@127.0.0.1:1/db",
                                 "postgresql://u:s3cr3t@127.0.0.1/db?sslmode=bogus"])
def test_a_bad_dsn_is_a_clear_error_without_the_password(dsn: str) -> None:
    with pytest.raises(StoreOpenError) as info:
        open_store(dsn)
    assert "s3cr3t" not in str(info.value)
    assert "u:***@127.0.0.1" in str(info.value)


def test_redact() -> None:
    assert redact("postgresql://a:b@h/d") == "postgresql://a:***@h/d"
    assert redact("host=h password=xyz dbname=d") == "host=h password=*** dbname=d"
    assert redact("postgresql://h/d?password=xyz&x=1") == "postgresql://h/d?password=***&x=1"
    assert redact("postgresql://a@h/d") == "postgresql://a@h/d"
    assert redact("head.db") == "head.db"


@pytest.mark.parametrize("command", [["serve"], ["token", "list"], ["token", "create", "--role",
                                                                     "admin"],
                                     ["export", "csv", "--date", "2026-01-01", "-o", "-"]])
def test_commands_that_read_a_store_refuse_a_missing_one(command: list[str],
                                                         tmp_path: Path) -> None:
    db = tmp_path / "typo.db"
    result = CliRunner().invoke(main, [*command, "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert "no such store" in result.output
    assert "Traceback" not in result.output
    assert not db.exists()


@pytest.mark.parametrize("make", ["directory", "junk", "scheme"])
def test_serve_open_failures_exit_2(make: str, tmp_path: Path) -> None:
    target = {"directory": str(tmp_path), "junk": str(tmp_path / "junk.db"),
              "scheme": "mongodb://h/db"}[make]
    (tmp_path / "junk.db").write_bytes(b"x" * 4096)
    result = CliRunner().invoke(main, ["serve", "--db", target, "--udp-port", "0",
                                       "--tcp-port", "0", "--port", "0"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: ")
