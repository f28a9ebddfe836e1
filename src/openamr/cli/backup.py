"""``openamr backup --db PATH -o FILE``: a consistent copy of a head-end store.

* SQLite: SQLite's online backup API (``sqlite3.Connection.backup``): safe while ``openamr
  serve`` is running; ``FILE`` is itself a SQLite store (``openamr serve --db FILE`` serves it).
* PostgreSQL: ``pg_dump --format=custom`` (restore with ``pg_restore``) when ``pg_dump`` is on the
  ``PATH``; without it, a clear error (exit status 2).

The copy is written beside ``FILE`` and renamed into place only when complete, so ``FILE`` is
either the previous file or the whole new backup.  A store that does not exist is refused.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import click

from openamr.errors import InputError, StoreError
from openamr.headend.store import open_store

__all__ = ["backup"]


@click.command("backup")
@click.option("--db", "db", required=True, metavar="PATH|URL",
              help="The store: a SQLite path, sqlite:///path or postgresql://...")
@click.option("-o", "--output", "output", required=True,
              type=click.Path(path_type=Path, dir_okay=False), help="The backup file.")
def backup(db: str, output: Path) -> None:
    """Copy the store at --db into FILE, consistently, even while it is being served."""
    if not output.parent.is_dir():
        raise InputError("the directory does not exist", where=str(output.parent))
    partial = output.with_name(f".{output.name}.partial")
    with open_store(db, create=False) as store:
        try:
            store.backup(str(partial))
        except StoreError as exc:
            with contextlib.suppress(OSError):
                partial.unlink()
            raise InputError(str(exc), where="--db") from None
        except OSError as exc:
            with contextlib.suppress(OSError):
                partial.unlink()
            raise InputError(f"cannot write: {exc.strerror}", where=str(output)) from None
    os.replace(partial, output)
    click.echo(f"backed up {store.url} to {output} ({output.stat().st_size:,} bytes)")
