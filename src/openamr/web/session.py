"""Sign-in for the web pages with the head-end's own API tokens and roles.

* ``GET <page>?token=TOKEN`` (e.g. the link ``openamr demo`` prints) verifies the token, sets
  the session cookie and redirects (303) to the same page without the token in the URL, so the
  secret leaves the address bar and the browser history;
* the sign-in form (``/signin``) does the same for a pasted token;
* the cookie :data:`COOKIE` holds the token itself: ``HttpOnly`` (no script can read it),
  ``SameSite=Strict`` (no other site's page can send it, so forms need no CSRF token),
  ``Secure`` when the page came over HTTPS, ``Path=/``; each request verifies it again, so a
  revoked token signs the browser out at once;
* a token scoped to sites (the multi-site head-end) sees only those sites: every page filters
  by :func:`visible_site_ids`.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse

from openamr.headend.auth import allowed, verify_token
from openamr.headend.store.base import Site, Store, TokenRow

__all__ = [
    "COOKIE",
    "SESSION_MAX_AGE_S",
    "can",
    "current_token",
    "form_fields",
    "redirect_without_token",
    "set_session",
    "visible_site_ids",
    "visible_sites",
]

COOKIE = "openamr_session"
SESSION_MAX_AGE_S = 12 * 3600
"""How long the browser keeps the session cookie [s] (a working day)."""


def current_token(request: Request) -> TokenRow | None:
    """The live token of the request's session cookie, or None (absent, unknown, revoked)."""
    secret = request.cookies.get(COOKIE)
    if not secret:
        return None
    store: Store = request.app.state.store
    return verify_token(store, secret)


def set_session(response: RedirectResponse, request: Request, secret: str) -> None:
    """Put ``secret`` into the session cookie of ``response``."""
    response.set_cookie(COOKIE, secret, max_age=SESSION_MAX_AGE_S, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")


def redirect_without_token(request: Request) -> RedirectResponse:
    """303 to the request's own path and query, minus ``token``."""
    query = [(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True)
             if k != "token"]
    target = request.url.path + (f"?{urlencode(query)}" if query else "")
    return RedirectResponse(target, status_code=303)


def _token_site_ids(token: TokenRow) -> frozenset[str] | None:
    """The sites a token is scoped to (``TokenRow.site_ids``), or None for every site."""
    return None if token.site_ids is None else frozenset(token.site_ids)


def visible_site_ids(store: Store, token: TokenRow) -> list[str]:
    """The ids of the sites ``token`` may see, sorted."""
    return [s.site_id for s in visible_sites(store, token)]


def visible_sites(store: Store, token: TokenRow) -> list[Site]:
    """The sites ``token`` may see, by id."""
    scope = _token_site_ids(token)
    return [s for s in store.list_sites() if scope is None or s.site_id in scope]


def can(token: TokenRow, permission: str) -> bool:
    """Whether the token holds ``permission`` (``headend.auth.PERMISSIONS``; a token scoped
    to sites holds no head-end-wide permission)."""
    return allowed(token.role, permission, token.site_ids)


def form_fields(body: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict (last value wins)."""
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
