"""Events the devices reported, and alarms (list, acknowledge)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from openamr.headend.api.csv_render import CSV_MEDIA_TYPE, rows_csv
from openamr.headend.api.deps import (
    EndQuery,
    FormatQuery,
    StartQuery,
    check_export,
    get_store,
    parse_time,
    require,
    wants_csv,
)
from openamr.headend.api.errors import ApiError
from openamr.headend.api.models import AlarmOut, AlarmsPage, EventOut, EventsPage
from openamr.headend.api.pagination import (
    LIST_LIMIT_DEFAULT,
    LimitQuery,
    OffsetQuery,
    offset_page,
)
from openamr.headend.api.responses import CSV_OR_JSON, ERRORS
from openamr.headend.api.scope import sites_in_scope
from openamr.headend.auth import describe
from openamr.headend.store.base import AlarmRow, EventRow, Store, TokenRow
from openamr.timeutil import format_utc

__all__ = ["alarm_out", "event_out", "router"]

router = APIRouter()

StoreDep = Annotated[Store, Depends(get_store)]
_ALARMS_SCAN_MAX = 100_000


def _iso(t_s: int | None) -> str | None:
    return None if t_s is None else format_utc(int(t_s))


def event_out(event: EventRow) -> EventOut:
    return EventOut(event_id=event.event_id, device_id=event.device_id, meter_id=event.meter_id,
                    code=event.code, t=format_utc(int(event.t_s)), value=event.value,
                    received=format_utc(int(event.received_s)))


def alarm_out(alarm: AlarmRow) -> AlarmOut:
    return AlarmOut(alarm_id=alarm.alarm_id, code=alarm.code, device_id=alarm.device_id,
                    meter_id=alarm.meter_id, state=alarm.state,  # type: ignore[arg-type]
                    raised=format_utc(int(alarm.raised_s)), detail=alarm.detail,
                    acked_by=alarm.acked_by, acked=_iso(alarm.acked_s),
                    cleared=_iso(alarm.cleared_s), site_id=alarm.site_id)


@router.get("/events", response_model=EventsPage, responses={**ERRORS, **CSV_OR_JSON},
            tags=["events"], summary="Device events, newest first")
def list_events(request: Request, store: StoreDep,
                token: Annotated[TokenRow, Depends(require("events.read"))],
                site_id: Annotated[str | None, Query(description="only this site's")] = None,
                device_id: Annotated[str | None, Query(description="only this device's")] = None,
                meter_id: Annotated[str | None, Query(description="only this meter's")] = None,
                code: Annotated[str | None, Query(description="only this dotted code")] = None,
                start: StartQuery = None, end: EndQuery = None,
                limit: LimitQuery = LIST_LIMIT_DEFAULT, offset: OffsetQuery = 0,
                fmt: FormatQuery = None) -> EventsPage | Response:
    start_s, end_s = parse_time(start, "start"), parse_time(end, "end")
    if start_s is not None and end_s is not None and start_s >= end_s:
        raise ApiError(400, "request.bad_input", "start must be before end ([start, end))")
    scope = sites_in_scope(store, token, site_id)
    found = store.list_events(site_id=scope, device_id=device_id, start_s=start_s,
                              end_s=end_s, limit=limit + 1, offset=offset, code=code,
                              meter_id=meter_id)
    rows, nxt = offset_page(request, found, limit, offset)
    events = [event_out(e) for e in rows]
    if wants_csv(request, fmt):
        check_export(request, token)
        header = list(EventOut.model_fields)
        return Response(rows_csv(header, [[getattr(e, h) for h in header] for e in events]),
                        media_type=CSV_MEDIA_TYPE)
    return EventsPage(events=events, next=nxt)


StateFilter = Annotated[Literal["open", "acknowledged", "cleared"] | None,
                        Query(description="only alarms in this state")]


@router.get("/alarms", response_model=AlarmsPage, responses=ERRORS, tags=["alarms"],
            summary="Alarms, newest first")
def list_alarms(request: Request, store: StoreDep,
                token: Annotated[TokenRow, Depends(require("alarms.read"))],
                state: StateFilter = None,
                site_id: Annotated[str | None, Query(description="only this site's")] = None,
                limit: LimitQuery = LIST_LIMIT_DEFAULT,
                offset: Annotated[int, Query(ge=0, le=_ALARMS_SCAN_MAX)] = 0) -> AlarmsPage:
    found = store.list_alarms(state=state, limit=offset + limit + 1,
                              site_id=sites_in_scope(store, token, site_id))
    rows, nxt = offset_page(request, found[offset:], limit, offset)
    return AlarmsPage(alarms=[alarm_out(a) for a in rows], next=nxt)


@router.post("/alarms/{alarm_id}/ack", response_model=AlarmOut,
             responses={**ERRORS, 409: {"model": ERRORS[400]["model"],
                                        "description": "the alarm is not open"}},
             tags=["alarms"], summary="Acknowledge an open alarm (records who)")
def ack_alarm(request: Request, store: StoreDep,
              alarm_id: Annotated[int, Path(ge=1, le=2**62)],
              token: Annotated[TokenRow, Depends(require("alarms.ack"))]) -> AlarmOut:
    """The alarm becomes ``acknowledged``; ``acked_by`` records the token (id, role, label)."""
    alarm = store.get_alarm(alarm_id)
    if alarm is None or (token.site_ids is not None and alarm.site_id not in token.site_ids):
        raise ApiError(404, "not_found.alarm", f"no alarm {alarm_id}")
    now_s: int = request.app.state.clock()
    if not store.ack_alarm(alarm_id, describe(token), now_s):
        current = store.get_alarm(alarm_id)
        state = current.state if current else "unknown"
        raise ApiError(409, "conflict.alarm_not_open",
                       f"alarm {alarm_id} is {state}, only an open alarm can be acknowledged")
    updated = store.get_alarm(alarm_id)
    if updated is None:  # pragma: no cover - deleted between the two reads
        raise ApiError(404, "not_found.alarm", f"no alarm {alarm_id}")
    return alarm_out(updated)
