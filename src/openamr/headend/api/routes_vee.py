"""VEE through the API: run validation and estimation, list findings, edit an interval.

Validated values are served by the data routes with ``?view=validated`` (routes_data).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from openamr.errors import InputError
from openamr.headend.api.deps import EndQuery, StartQuery, get_store, parse_time, require
from openamr.headend.api.errors import ApiError
from openamr.headend.api.models_vee import (
    VeeEditIn,
    VeeEditOut,
    VeeEditsPage,
    VeeFindingOut,
    VeeFindingsPage,
    VeeRunIn,
    VeeRunOut,
)
from openamr.headend.api.pagination import LIST_LIMIT_DEFAULT, LimitQuery, OffsetQuery, offset_page
from openamr.headend.api.responses import ERRORS
from openamr.headend.api.routes_data import SiteQuery
from openamr.headend.api.scope import check_site, resolve_meter, sites_in_scope
from openamr.headend.auth import describe
from openamr.headend.store.base import Store, TokenRow
from openamr.headend.store.vee_rows import VeeEdit
from openamr.headend.vee import VeeParams, edit_interval, run_vee
from openamr.timeutil import format_utc
from openamr.units import S_PER_DAY

__all__ = ["VEE_RUN_SPAN_MAX_S", "router"]

VEE_RUN_SPAN_MAX_S = (3 * 366 + 1) * S_PER_DAY
"""An explicit ``start`` of ``POST /vee/runs`` may reach at most this far before the range's
end (or now) [s]: a run holds its meters' whole range in memory, and a start in year 1 would
make it centuries long (found by schemathesis)."""

log = logging.getLogger("openamr.headend.api")
router = APIRouter(tags=["vee"])

StoreDep = Annotated[Store, Depends(get_store)]


def _utc(t_s: int | None) -> str | None:
    return None if t_s is None else format_utc(int(t_s))


@router.post("/vee/runs", response_model=VeeRunOut, responses=ERRORS,
             summary="Run validation and estimation (idempotent)")
def post_run(request: Request, store: StoreDep,
             token: Annotated[TokenRow, Depends(require("vee.run"))],
             body: VeeRunIn | None = None) -> VeeRunOut:
    """Validate and estimate the intervals of a site, some meters or every meter over a range
    (default: all stored data) and store the result beside the raw data; running it again
    changes nothing more (``rows_written`` 0)."""
    spec = body or VeeRunIn()
    site_id = spec.site_id
    if site_id is not None:
        check_site(store, token, site_id)
    elif token.site_ids is not None:  # a token scoped to sites runs VEE inside them only
        if spec.meter_ids:
            sites = {resolve_meter(store, token, mid).site_id for mid in spec.meter_ids}
        else:
            sites = set(token.site_ids)
        if len(sites) != 1:
            raise ApiError(400, "request.bad_input", "this token sees several sites: name "
                           f"site_id (one of {', '.join(sorted(sites))})")
        site_id = sites.pop()
    start_s, end_s = parse_time(spec.start, "start"), parse_time(spec.end, "end")
    if start_s is not None and end_s is not None and start_s >= end_s:
        raise ApiError(400, "request.bad_input", "start must be before end ([start, end))")
    now_s = int(request.app.state.clock())
    if start_s is not None and min(end_s if end_s is not None else now_s, now_s) - start_s \
            > VEE_RUN_SPAN_MAX_S:
        raise ApiError(400, "request.bad_input",
                       f"a run covers at most {VEE_RUN_SPAN_MAX_S // S_PER_DAY} days from its "
                       "start (leave start out to run over the stored data)")
    try:
        params = VeeParams(max_linear_gap_intervals=spec.max_linear_gap_intervals,
                           like_day_weeks=spec.like_day_weeks,
                           zero_run_intervals=spec.zero_run_intervals,
                           scale_to_registers=spec.scale_to_registers)
        summary = run_vee(store, site_id=site_id, meter_ids=spec.meter_ids,
                          start_s=start_s, end_s=end_s, now_s=now_s, params=params,
                          vacant={m: [(0, 1 << 40)] for m in spec.vacant_meter_ids})
    except InputError as exc:
        if exc.message.startswith("unknown") and exc.where in ("--meter", "--site"):
            raise ApiError(404, f"not_found.{exc.where[2:]}", exc.message) from exc
        if "exists at sites" in exc.message:
            raise ApiError(409, "conflict.ambiguous_id", exc.message) from exc
        raise ApiError(400, "request.bad_input", exc.message) from exc
    log.info("%s ran VEE: %d meters, %d rows written", describe(token), summary.meters,
             summary.rows_written)
    return VeeRunOut(meters=summary.meters, start=_utc(summary.start_s), end=_utc(summary.end_s),
                     intervals_checked=summary.intervals_checked,
                     intervals_by_rule=summary.intervals_by_rule,
                     estimated_by_method=summary.estimated_by_method,
                     left_missing=summary.left_missing, findings=summary.findings,
                     rows_written=summary.rows_written, rows_deleted=summary.rows_deleted,
                     rows_unchanged=summary.rows_unchanged,
                     findings_added=summary.findings_added,
                     findings_removed=summary.findings_removed)


@router.get("/vee/findings", response_model=VeeFindingsPage, responses=ERRORS,
            summary="What the VEE runs found")
def get_findings(request: Request, store: StoreDep,
                 token: Annotated[TokenRow, Depends(require("data.read"))],
                 site_id: Annotated[str | None, Query(max_length=200)] = None,
                 meter_id: Annotated[str | None, Query(max_length=200)] = None,
                 code: Annotated[str | None, Query(max_length=100,
                                                   description="e.g. vee.gap")] = None,
                 start: StartQuery = None, end: EndQuery = None,
                 limit: LimitQuery = LIST_LIMIT_DEFAULT, offset: OffsetQuery = 0
                 ) -> VeeFindingsPage:
    """Findings overlapping ``[start, end)``, by meter, start and code."""
    start_s, end_s = parse_time(start, "start"), parse_time(end, "end")
    scope = sites_in_scope(store, token, site_id)
    rows = store.list_vee_findings(site_id=scope, meter_id=meter_id, code=code,
                                   start_s=start_s, end_s=end_s, limit=limit + 1, offset=offset)
    page, nxt = offset_page(request, rows, limit, offset)
    return VeeFindingsPage(findings=[
        VeeFindingOut(meter_id=f.meter_id, code=f.code, start=format_utc(f.start_s),
                      end=format_utc(f.end_s), intervals=f.intervals, detail=f.detail)
        for f in page], next=nxt)


def _edit_out(edit: VeeEdit) -> VeeEditOut:
    return VeeEditOut(edit_id=int(edit.edit_id or 0), meter_id=edit.meter_id,
                      start=format_utc(edit.start_s), before_wh=edit.before_wh,
                      after_wh=edit.after_wh, user=edit.user, reason=edit.reason,
                      edited=format_utc(edit.edited_s))


@router.post("/meters/{meter_id}/intervals/edits", response_model=VeeEditOut, status_code=201,
             responses=ERRORS, summary="Edit an interval's validated value (audited)")
def post_edit(request: Request, meter_id: str, body: VeeEditIn, store: StoreDep,
              token: Annotated[TokenRow, Depends(require("vee.edit"))],
              site_id: SiteQuery = None) -> VeeEditOut:
    """Set the validated value of one interval; the raw interval is kept.  The audit trail
    records who (the token), when, why, the value before and the value after."""
    meter = resolve_meter(store, token, meter_id, site_id)
    start_s = parse_time(body.start, "start")
    if start_s is None:  # pragma: no cover - a required field
        raise ApiError(422, "request.invalid", "start is required")
    edit = edit_interval(store, meter_id, start_s, body.energy_wh, user=describe(token),
                         reason=body.reason, now_s=int(request.app.state.clock()),
                         site_id=meter.site_id)
    log.info("%s edited meter %s interval %s", describe(token), meter_id, format_utc(start_s))
    return _edit_out(edit)


@router.get("/meters/{meter_id}/intervals/edits", response_model=VeeEditsPage,
            responses=ERRORS, summary="The audit trail of a meter's edits")
def get_edits(meter_id: str, store: StoreDep,
              token: Annotated[TokenRow, Depends(require("data.read"))],
              start: StartQuery = None, end: EndQuery = None,
              limit: LimitQuery = LIST_LIMIT_DEFAULT,
              site_id: SiteQuery = None) -> VeeEditsPage:
    """Edits of intervals starting in ``[start, end)``, newest edit first."""
    meter = resolve_meter(store, token, meter_id, site_id)
    edits = store.list_vee_edits(meter_id, parse_time(start, "start"), parse_time(end, "end"),
                                 limit=limit, site_id=meter.site_id)
    return VeeEditsPage(edits=[_edit_out(e) for e in edits])
