"""Ingest status, health, and token management."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from openamr.headend.api.deps import get_store, require
from openamr.headend.api.errors import ApiError, error_response
from openamr.headend.api.models import (
    ErrorBody,
    Health,
    RejectionOut,
    RejectionsOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
    TokensPage,
)
from openamr.headend.api.pagination import LIST_LIMIT_DEFAULT, LimitQuery
from openamr.headend.api.responses import ERRORS
from openamr.headend.auth import describe, issue_token
from openamr.headend.store.base import Store, TokenRow
from openamr.timeutil import format_utc

__all__ = ["router", "token_out"]

log = logging.getLogger("openamr.headend.api")
router = APIRouter()

StoreDep = Annotated[Store, Depends(get_store)]


@router.get("/health", response_model=Health, tags=["status"],
            responses={503: {"model": ErrorBody, "description": "the database is unreachable"}},
            summary="Liveness: the database answers (no token needed)")
def health(store: StoreDep) -> Health | Response:
    try:
        version = store.schema_version()
    except Exception:  # any failure of the database is "unavailable", never a 500
        log.exception("health check: the store does not answer")
        return error_response(503, "server.unavailable", "the database does not answer")
    return Health(status="ok", schema_version=version)


@router.get("/ingest/rejections", response_model=RejectionsOut, responses=ERRORS,
            tags=["status"], summary="Refused input: counts by reason and the latest")
def rejections(store: StoreDep, token: Annotated[TokenRow, Depends(require("ingest.read"))],
               reason: Annotated[str | None, Query(description="only this reason")] = None,
               limit: LimitQuery = LIST_LIMIT_DEFAULT) -> RejectionsOut:
    recent = [RejectionOut(rejection_id=r.rejection_id, reason=r.reason, source=r.source,
                           received=format_utc(int(r.received_s)), detail=r.detail,
                           raw_bytes=len(r.raw or b""))
              for r in store.list_rejections(limit=limit, reason=reason)]
    return RejectionsOut(counts=store.rejection_counts(), recent=recent)


def token_out(row: TokenRow) -> TokenOut:
    return TokenOut(token_id=row.token_id, role=row.role, label=row.label,
                    created=format_utc(int(row.created_s)),
                    revoked=None if row.revoked_s is None else format_utc(int(row.revoked_s)),
                    sites=None if row.site_ids is None else list(row.site_ids))


AdminToken = Annotated[TokenRow, Depends(require("tokens.manage"))]


@router.get("/tokens", response_model=TokensPage, responses=ERRORS, tags=["tokens"],
            summary="List tokens (never their secrets)")
def list_tokens(store: StoreDep, token: AdminToken) -> TokensPage:
    return TokensPage(tokens=[token_out(t) for t in store.list_tokens()])


@router.post("/tokens", response_model=TokenCreated, status_code=201, responses=ERRORS,
             tags=["tokens"], summary="Create a token; its secret is shown only in this answer")
def create_token(request: Request, body: TokenCreate, store: StoreDep,
                 token: AdminToken) -> TokenCreated:
    issued = issue_token(store, body.role, body.label, request.app.state.clock(), body.sites,
                         where="sites")
    log.info("%s created token %s (%s)", describe(token), issued.row.token_id, issued.row.role)
    sites = issued.row.site_ids
    return TokenCreated(token=issued.secret, token_id=issued.row.token_id,
                        role=issued.row.role, label=issued.row.label,
                        sites=None if sites is None else list(sites))


@router.delete("/tokens/{token_id}", status_code=204, responses=ERRORS, tags=["tokens"],
               summary="Revoke a token")
def revoke_token(request: Request, store: StoreDep, token: AdminToken,
                 token_id: Annotated[str, Path(max_length=64)]) -> Response:
    if not store.revoke_token(token_id, request.app.state.clock()):
        raise ApiError(404, "not_found.token", f"no live token {token_id!r}")
    log.info("%s revoked token %s", describe(token), token_id)
    return Response(status_code=204)
