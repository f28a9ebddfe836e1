"""Numbered schema migrations: ``schema/<dialect>/NNNN_name.sql``, applied in order.

The database records its version in ``schema_version``; opening a store applies every file
above it, each in its own transaction.  A database newer than this code is refused
(``StoreError``): downgrading is never silent.  Files are never edited once released; a change
is a new file (and the same number for both dialects).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

__all__ = ["Migration", "latest_version", "migrations", "split_statements"]

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema file."""

    version: int
    name: str
    sql: str


def migrations(dialect: str) -> list[Migration]:
    """Every migration of ``dialect`` (``sqlite`` | ``postgres``), by version."""
    folder = resources.files("openamr.headend.store") / "schema" / dialect
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"schema/{dialect}: migrations must be numbered 1..n, got {versions}")
    return found


def latest_version(dialect: str) -> int:
    """The newest schema version this code knows."""
    return len(migrations(dialect))


def split_statements(sql: str) -> list[str]:
    """Split a schema file into statements: ``;`` at the end of a line ends one, except inside
    a ``$$``-quoted body (a PostgreSQL ``DO`` block); lines starting with ``--`` are dropped."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    statements: list[str] = []
    current: list[str] = []
    quoted = False
    for line in lines:
        current.append(line)
        quoted ^= line.count("$$") % 2 == 1
        if not quoted and re.search(r";\s*$", line):
            statements.append("\n".join(current).strip()[:-1].rstrip())
            current = []
    tail = "\n".join(current).strip()
    if tail:
        statements.append(tail)
    return [s for s in statements if s]
