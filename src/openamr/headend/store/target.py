"""Where a store lives, and the one rule for opening it.

A store target is a SQLite path, ``sqlite:///path`` or ``postgresql://...`` (``postgres://``);
any other ``scheme://`` is refused (it is not a file name).  :func:`open_target` applies the rule
every command follows:

* commands that serve or read a store (``serve``, ``token``, ``export``, ``device list``) pass
  ``create=False``: a SQLite file that does not exist, or a PostgreSQL database without the
  openamr schema, is an error (a mistyped ``--db`` must not serve an empty store);
* commands that bring data (``sim run``, ``import``, ``site add``, ``site import``) pass
  ``create=True``: the store is created and migrated.

Every failure to open (a directory, a file that is not a database, a read-only or locked file,
an unreachable server, a bad DSN) is a :class:`StoreOpenError` (both an
:class:`~openamr.errors.InputError` and a :class:`~openamr.errors.StoreError`) naming the target
with its password replaced by ``***`` (:func:`redact`): the CLI prints it and exits with status 2.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from openamr.errors import InputError, StoreError

if TYPE_CHECKING:
    from openamr.headend.store.base import Store

__all__ = ["StoreOpenError", "StoreTarget", "open_target", "parse_target", "redact"]


class StoreOpenError(InputError, StoreError):
    """The store at a target cannot be opened: bad input (``--db``), exit status 2."""

_POSTGRES_SCHEMES = ("postgresql", "postgres")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:)([^@\s]*)(@)")
_PASSWORD_KEYWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with every password of a URL (``user:secret@``) or a ``password=...`` keyword
    (libpq key/value and query forms) replaced by ``***``."""
    text = _PASSWORD_IN_URL.sub(r"\1***\3", text)
    return _PASSWORD_KEYWORD.sub(r"\1***", text)


@dataclass(frozen=True, slots=True)
class StoreTarget:
    """A parsed ``--db``: ``kind`` is ``sqlite`` (``location`` a path) or ``postgres``
    (``location`` the DSN)."""

    kind: str
    location: str

    @property
    def display(self) -> str:
        """The target as shown to users (passwords redacted)."""
        return redact(self.location)


def parse_target(target: str) -> StoreTarget:
    """Classify ``target``; an unknown ``scheme://`` is an ``InputError``."""
    match = _SCHEME.match(target)
    if match is None:
        if not target.strip():
            raise StoreOpenError("empty store target", where="--db")
        return StoreTarget("sqlite", target)
    scheme = match.group(1).lower()
    if scheme in _POSTGRES_SCHEMES:
        try:
            urlsplit(target).port  # noqa: B018  # a bad port raises here
        except ValueError as exc:
            raise StoreOpenError(f"not a valid PostgreSQL URL: {exc}",
                                 where=redact(target)) from None
        return StoreTarget("postgres", target)
    if scheme == "sqlite":
        path = target[len("sqlite:///"):] if target.startswith("sqlite:///") else ""
        if not path:
            raise StoreOpenError("a SQLite URL is sqlite:///path (three slashes, then the path)",
                             where=redact(target))
        return StoreTarget("sqlite", path)
    raise StoreOpenError(f"unknown store scheme {scheme!r}: use a SQLite path, sqlite:///path or "
                     "postgresql://...", where=redact(target))


def open_target(target: str, *, create: bool, options: str | None = None,
                sqlite_synchronous: str = "FULL",
                busy_timeout_s: float | None = None) -> Store:
    """Open (and migrate) the store at ``target`` under the rule of the module docstring."""
    parsed = parse_target(target)
    where = parsed.display
    if parsed.kind == "postgres":
        from openamr.headend.store.postgres import PostgresStore

        try:
            return PostgresStore(parsed.location, options=options, create=create)
        except StoreError as exc:
            raise StoreOpenError(redact(str(exc)), where=where) from None
    from openamr.headend.store.sqlite import SqliteStore

    path = parsed.location
    if path != ":memory:":
        p = Path(path)
        if p.is_dir():
            raise StoreOpenError("is a directory, not a store file", where=where)
        if p.exists() and not os.access(p, os.R_OK | os.W_OK):
            raise StoreOpenError("the store is read-only (or unreadable): openamr must write it",
                                 where=where)
        if not p.exists() and not create:
            raise StoreOpenError("no such store (a mistyped --db? pass --create to make a new "
                             "one)", where=where)
    try:
        return SqliteStore(path, synchronous=sqlite_synchronous, create=create,
                           busy_timeout_s=busy_timeout_s)
    except StoreError as exc:
        raise StoreOpenError(str(exc).removeprefix(f"{path}: "), where=where) from None
    except sqlite3.Error as exc:
        raise StoreOpenError(_sqlite_reason(exc), where=where) from None
    except OSError as exc:  # the parent directory cannot be made
        raise StoreOpenError(f"cannot create the store: {exc.strerror}", where=where) from None


def _sqlite_reason(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return f"not an openamr store (SQLite says: {text})"
    if "locked" in text or "busy" in text:
        return f"the store is locked by another process (SQLite says: {text})"
    if "readonly" in text or "read-only" in text:
        return f"the store is read-only: openamr needs to write it (SQLite says: {text})"
    if "unable to open" in text:
        return f"cannot open the store file (SQLite says: {text})"
    return f"cannot open the store (SQLite says: {text})"
