"""API tokens: creation, hashing, verification, roles and what each role may do.

A token is ``oamr_`` followed by 43 URL-safe characters (32 random bytes from :mod:`secrets`).
Only its SHA-256 hex digest is stored (:class:`~openamr.headend.store.TokenRow`): a token with
256 bits of entropy needs no salt or slow hash, because nobody can enumerate it.  Verification
looks the digest up and compares it again with :func:`hmac.compare_digest`.  There is no default
secret and no default token: the first admin token is made with ``openamr token create``.
Tokens are never logged; :func:`describe` gives a safe label for logs (``token_id`` and role).

Roles and permissions (the matrix is :data:`PERMISSIONS`; ``docs/api.md`` draws it):

* ``read-only``: sites, meters, devices, events, alarms, meter data as JSON, units and tenants;
* ``billing``: as read-only, plus exports (CSV) and units, tenants and occupancies;
* ``installer``: sites, meters, devices, events and alarms, acknowledges alarms, ingest status,
  meter data as JSON (to check a meter counts), and provisioning (sites, devices);
* ``admin``: everything, including token management and site configuration (TOU periods).

VEE (``vee.run``: run validation and estimation; ``vee.edit``: edit an interval's validated
value) is for ``billing`` and ``admin``; VEE findings and edits are read with ``data.read``.

A token may be scoped to sites (``site_ids``): it sees only those sites (everything else answers
404 or is left out of lists), and what spans every site (token management, the head-end's
ingest status, creating sites) is refused (403) whatever its role: see
:data:`HEADEND_WIDE`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence

from openamr.errors import InputError
from openamr.headend.store.base import Store, TokenRow

__all__ = [
    "HEADEND_WIDE",
    "PERMISSIONS",
    "ROLES",
    "TOKEN_PREFIX",
    "IssuedToken",
    "allowed",
    "check_role",
    "describe",
    "hash_token",
    "issue_token",
    "new_token",
    "verify_token",
]

TOKEN_PREFIX = "oamr_"
"""Every token starts with this (lets secret scanners recognise a leaked token)."""

ROLES: tuple[str, ...] = ("admin", "installer", "billing", "read-only")

#: permission -> the roles that hold it
PERMISSIONS: Mapping[str, frozenset[str]] = {
    "sites.read": frozenset(ROLES),
    "meters.read": frozenset(ROLES),
    "devices.read": frozenset(ROLES),
    "events.read": frozenset(ROLES),
    "alarms.read": frozenset(ROLES),
    "data.read": frozenset({"admin", "installer", "billing", "read-only"}),
    "data.export": frozenset({"admin", "billing"}),
    "alarms.ack": frozenset({"admin", "installer"}),
    "sites.configure": frozenset({"admin"}),
    "ingest.read": frozenset({"admin", "installer"}),
    "devices.manage": frozenset({"admin", "installer"}),
    "sites.manage": frozenset({"admin", "installer"}),
    "tokens.manage": frozenset({"admin"}),
    "vee.run": frozenset({"admin", "billing"}),
    "vee.edit": frozenset({"admin", "billing"}),
    "units.read": frozenset({"admin", "billing", "read-only"}),
    "units.write": frozenset({"admin", "billing"}),
}

HEADEND_WIDE: frozenset[str] = frozenset({"tokens.manage", "ingest.read", "sites.manage"})
"""Permissions over the whole head-end, refused to a token scoped to sites."""


class IssuedToken:
    """A freshly created token: the secret (shown once) and its stored row."""

    __slots__ = ("row", "secret")

    def __init__(self, secret: str, row: TokenRow) -> None:
        self.secret = secret
        self.row = row

    def __repr__(self) -> str:  # never show the secret
        return f"IssuedToken(token_id={self.row.token_id!r}, role={self.row.role!r})"


def check_role(role: str, *, where: str = "role") -> str:
    """The role if it is one of :data:`ROLES`, else an ``InputError`` naming the choices."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r} (use one of {', '.join(ROLES)})", where=where)
    return role


def allowed(role: str, permission: str, site_ids: tuple[str, ...] | None = None) -> bool:
    """Whether ``role`` (scoped to ``site_ids``, None: every site) holds ``permission``
    (unknown permissions are held by nobody)."""
    if site_ids is not None and permission in HEADEND_WIDE:
        return False
    return role in PERMISSIONS.get(permission, frozenset())


def new_token() -> str:
    """A new random token: :data:`TOKEN_PREFIX` + 32 random bytes, URL-safe base64."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 hex digest of the token's UTF-8 bytes (what the store keeps)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(store: Store, role: str, label: str, now_s: int,
                site_ids: Sequence[str] | None = None, *, where: str = "--site") -> IssuedToken:
    """Create a token of ``role`` (scoped to ``site_ids``, each of which must exist; None:
    every site), store its hash, and return the secret with its row."""
    check_role(role)
    scope: tuple[str, ...] | None = None
    if site_ids is not None:
        scope = tuple(dict.fromkeys(site_ids))
        if not scope:
            raise InputError("a scoped token needs at least one site", where=where)
        for site_id in scope:
            if store.get_site(site_id) is None:
                known = ", ".join(s.site_id for s in store.list_sites()) or "none"
                raise InputError(f"unknown site {site_id!r} (known: {known})", where=where)
    secret = new_token()
    row = TokenRow(token_id=secrets.token_hex(6), token_hash=hash_token(secret), role=role,
                   label=label, created_s=now_s, site_ids=scope)
    store.put_token(row)
    return IssuedToken(secret, row)


def verify_token(store: Store, token: str) -> TokenRow | None:
    """The live token row for a presented token, or None (unknown, revoked or malformed)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token)
    row = store.get_token_by_hash(digest)
    if row is None or row.revoked_s is not None:
        return None
    if not hmac.compare_digest(row.token_hash.encode("ascii"), digest.encode("ascii")):
        return None
    if row.role not in ROLES:
        return None
    return row


def describe(row: TokenRow) -> str:
    """A label safe for logs and audit fields: ``token:<id>(<role>)`` plus the label."""
    label = f" {row.label}" if row.label else ""
    sites = f" sites={','.join(row.site_ids)}" if row.site_ids is not None else ""
    return f"token:{row.token_id}({row.role}){label}{sites}"
