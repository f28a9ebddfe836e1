"""``openamr token``: API tokens (create, list, revoke) in a head-end store.

* ``openamr token create --role ROLE --db PATH [--label TEXT] [--site ID ...]`` prints the new
  token as the last word of its output: the secret is shown once and only its SHA-256 is
  stored; with ``--site`` the token sees only those sites (docs/api.md);
* ``openamr token list --db PATH``: id, role, label, created, revoked (never secrets);
* ``openamr token revoke ID --db PATH``.

``--db`` is a store target (a SQLite path, ``sqlite:///path`` or ``postgresql://...``); a store
that does not exist is refused unless ``token create --create``.  A bad role or store is an
error with exit status 2; revoking an unknown token exits with status 1.
"""

from __future__ import annotations

import click

from openamr.headend.auth import ROLES, issue_token
from openamr.headend.store import open_store, redact
from openamr.timeutil import epoch_s, format_utc, utc_now

__all__ = ["token"]

_DB = click.option("--db", "db", required=True, metavar="PATH",
                   help="the head-end store: a SQLite file, sqlite:///path or postgresql://...")
_CREATE = click.option("--create", is_flag=True,
                       help="create the store if it does not exist (default: refuse)")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def token() -> None:
    """API tokens: bearer tokens with a role (admin, installer, billing, read-only)."""


@token.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES),
              help="what the token may do (see docs/api.md)")
@click.option("--label", default="", help="who or what uses the token (shown in lists)")
@click.option("--site", "sites", multiple=True, metavar="ID",
              help="scope the token to this site (repeatable; default: every site)")
@_DB
@_CREATE
def create(role: str, label: str, sites: tuple[str, ...], db: str, create: bool) -> None:
    """Create a token; the secret is printed once, as the last word of the output."""
    with open_store(db, create=create) as store:
        issued = issue_token(store, role, label, epoch_s(utc_now()), sites or None)
    scope = f" sites={','.join(sites)}" if sites else ""
    click.echo(f"created token {issued.row.token_id} role={role}{scope} (store it now: it is "
               f"not shown again)")
    click.echo(issued.secret)


@token.command("list")
@_DB
def list_(db: str) -> None:
    """List tokens: id, role, created, revoked, label."""
    with open_store(db, create=False) as store:
        rows = store.list_tokens()
    click.echo(f"{'id':<14}{'role':<11}{'created':<22}{'revoked':<22}{'sites':<20}label")
    for row in rows:
        revoked = format_utc(int(row.revoked_s)) if row.revoked_s is not None else "-"
        sites = ",".join(row.site_ids) if row.site_ids is not None else "*"
        click.echo(f"{row.token_id:<14}{row.role:<11}{format_utc(int(row.created_s)):<22}"
                   f"{revoked:<22}{sites:<20}{row.label}")


@token.command("revoke")
@click.argument("token_id")
@_DB
def revoke(token_id: str, db: str) -> None:
    """Revoke the token TOKEN_ID (it stops working at once)."""
    with open_store(db, create=False) as store:
        done = store.revoke_token(token_id, epoch_s(utc_now()))
    if not done:
        raise click.ClickException(f"no live token {token_id!r} in {redact(db)}")
    click.echo(f"revoked token {token_id}")
