"""Sites, meters and devices (with their radio and battery status).

Every meter and device has a site-qualified route (``/sites/{site_id}/meters/{meter_id}``,
``/sites/{site_id}/devices/{device_id}``); the unqualified ones serve an id that names one
object among the sites the token sees, and answer 409 with the candidate sites otherwise
(:mod:`.scope`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, Response

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
from openamr.headend.api.models import (
    DeviceOut,
    DevicesPage,
    MeterOut,
    MetersPage,
    SiteOut,
    SitesPage,
    SiteTouOut,
    StatusReportOut,
    StatusReportsPage,
    TouPeriodOut,
)
from openamr.headend.api.pagination import (
    LIST_LIMIT_DEFAULT,
    LimitQuery,
    OffsetQuery,
    offset_page,
)
from openamr.headend.api.responses import CSV_OR_JSON, ERRORS
from openamr.headend.api.scope import check_site, resolve_device, resolve_meter, sites_in_scope
from openamr.headend.store.base import (
    Device,
    DeviceStatus,
    Meter,
    Site,
    StatusReport,
    Store,
    TokenRow,
)
from openamr.headend.tou import TouPlan
from openamr.timeutil import epoch_s, format_utc, utc_now

__all__ = ["device_out", "meter_out", "router", "site_out"]

router = APIRouter()

StoreDep = Annotated[Store, Depends(get_store)]
SiteFilter = Annotated[str | None, Query(description="only this site's")]


def _iso(t_s: int | None) -> str | None:
    return None if t_s is None else format_utc(int(t_s))


def site_out(site: Site) -> SiteOut:
    return SiteOut(site_id=site.site_id, name=site.name, timezone=site.timezone)


def meter_out(meter: Meter) -> MeterOut:
    return MeterOut(meter_id=meter.meter_id, site_id=meter.site_id, device_id=meter.device_id,
                    model=meter.model, kh_wh=meter.kh_wh, max_power_w=meter.max_power_w,
                    unit=meter.unit)


_STATUS_AS_IS = ("parent_id", "rssi_dbm", "link_margin_db", "etx", "hops", "battery_mv",
                 "battery_remaining_mah", "on_battery", "tx_frames", "retries", "drops",
                 "queue_frames", "parent_changes", "uptime_s", "clock_offset_ms")
"""The status fields a device answer carries under the same name and unit."""


def device_out(device: Device, status: DeviceStatus | None) -> DeviceOut:
    """A device and its status; the install code (key material) is never served."""
    s = status
    same: dict[str, Any] = {name: getattr(s, name) if s else None for name in _STATUS_AS_IS}
    return DeviceOut(
        device_id=device.device_id, role=device.role,  # type: ignore[arg-type]
        site_id=device.site_id, meter_id=device.meter_id, model=device.model,
        local_id=device.local_id, installed=_iso(device.installed_s),
        last_heard=_iso(s.last_heard_s) if s else None,
        joined=_iso(s.joined_s) if s else None,
        last_status=_iso(s.status_received_s) if s else None,
        **same,
    )


def status_report_out(r: StatusReport) -> StatusReportOut:
    return StatusReportOut(
        received=format_utc(int(r.received_s)), frame_counter=r.frame_counter,
        parent_id=r.parent_id, rssi_dbm=r.rssi_dbm, link_margin_db=r.link_margin_db, etx=r.etx,
        hops=r.hops, battery_mv=r.battery_mv, battery_remaining_mah=r.battery_remaining_mah,
        on_battery=r.on_battery, tx_frames=r.tx_frames, retries=r.retries, drops=r.drops,
        queue_frames=r.queue_frames, parent_changes=r.parent_changes, uptime_s=r.uptime_s,
        clock_offset_ms=r.clock_offset_ms)


def _csv(request: Request, token: TokenRow, models: list[MeterOut] | list[DeviceOut]
         | list[SiteOut] | list[StatusReportOut], header: list[str]) -> Response:
    check_export(request, token)
    rows = [[getattr(m, name) for name in header] for m in models]
    return Response(rows_csv(header, rows), media_type=CSV_MEDIA_TYPE)


@router.get("/sites", response_model=SitesPage, responses={**ERRORS, **CSV_OR_JSON},
            tags=["sites"], summary="List sites")
def list_sites(request: Request, store: StoreDep,
               token: Annotated[TokenRow, Depends(require("sites.read"))],
               limit: LimitQuery = LIST_LIMIT_DEFAULT, offset: OffsetQuery = 0,
               fmt: FormatQuery = None) -> SitesPage | Response:
    visible = [s for s in store.list_sites()
               if token.site_ids is None or s.site_id in token.site_ids]
    rows, nxt = offset_page(request, visible[offset:offset + limit + 1], limit, offset)
    sites = [site_out(s) for s in rows]
    if wants_csv(request, fmt):
        return _csv(request, token, sites, ["site_id", "name", "timezone"])
    return SitesPage(sites=sites, next=nxt)


@router.get("/sites/{site_id}", response_model=SiteOut, responses=ERRORS, tags=["sites"],
            summary="One site")
def get_site(site_id: str, store: StoreDep,
             token: Annotated[TokenRow, Depends(require("sites.read"))]) -> SiteOut:
    check_site(store, token, site_id)
    site = store.get_site(site_id)
    if site is None:  # pragma: no cover - removed between the two reads
        raise ApiError(404, "not_found.site", f"no site {site_id!r}")
    return site_out(site)


_METER_COLUMNS = ["meter_id", "site_id", "device_id", "model", "kh_wh", "max_power_w"]


@router.get("/meters", response_model=MetersPage, responses={**ERRORS, **CSV_OR_JSON},
            tags=["meters"], summary="List meters")
def list_meters(request: Request, store: StoreDep,
                token: Annotated[TokenRow, Depends(require("meters.read"))],
                site_id: SiteFilter = None, limit: LimitQuery = LIST_LIMIT_DEFAULT,
                offset: OffsetQuery = 0, fmt: FormatQuery = None) -> MetersPage | Response:
    scope = sites_in_scope(store, token, site_id)
    found = store.list_meters(scope)[offset:offset + limit + 1]
    rows, nxt = offset_page(request, found, limit, offset)
    meters = [meter_out(m) for m in rows]
    if wants_csv(request, fmt):
        return _csv(request, token, meters, _METER_COLUMNS)
    return MetersPage(meters=meters, next=nxt)


@router.get("/meters/{meter_id}", response_model=MeterOut, responses=ERRORS, tags=["meters"],
            summary="One meter (409 with the candidate sites when several have the id)")
def get_meter(meter_id: str, store: StoreDep,
              token: Annotated[TokenRow, Depends(require("meters.read"))],
              site_id: SiteFilter = None) -> MeterOut:
    return meter_out(resolve_meter(store, token, meter_id, site_id))


_DEVICE_COLUMNS = list(DeviceOut.model_fields)
RoleFilter = Annotated[Literal["dcap", "repeater", "mdt"] | None,
                       Query(description="only devices of this role")]


@router.get("/devices", response_model=DevicesPage, responses={**ERRORS, **CSV_OR_JSON},
            tags=["devices"], summary="List devices (DCAP, repeaters, MDTs) with status")
def list_devices(request: Request, store: StoreDep,
                 token: Annotated[TokenRow, Depends(require("devices.read"))],
                 site_id: SiteFilter = None, role: RoleFilter = None,
                 limit: LimitQuery = LIST_LIMIT_DEFAULT, offset: OffsetQuery = 0,
                 fmt: FormatQuery = None) -> DevicesPage | Response:
    scope = sites_in_scope(store, token, site_id)
    found = store.list_devices(scope, role)[offset:offset + limit + 1]
    rows, nxt = offset_page(request, found, limit, offset)
    status = {s.device_id: s for s in store.list_device_status(scope)} if rows else {}
    devices = [device_out(d, status.get(d.device_id)) for d in rows]
    if wants_csv(request, fmt):
        return _csv(request, token, devices, _DEVICE_COLUMNS)
    return DevicesPage(devices=devices, next=nxt)


@router.get("/devices/{device_id}", response_model=DeviceOut, responses=ERRORS,
            tags=["devices"], summary="One device with status (by EUI-64 or site-scoped id)")
def get_device(device_id: str, store: StoreDep,
               token: Annotated[TokenRow, Depends(require("devices.read"))],
               site_id: SiteFilter = None) -> DeviceOut:
    device = resolve_device(store, token, device_id, site_id)
    return device_out(device, store.get_device_status(device.device_id))


# -- the site-qualified forms ---------------------------------------------------------------


@router.get("/sites/{site_id}/meters", response_model=MetersPage,
            responses={**ERRORS, **CSV_OR_JSON}, tags=["meters"], summary="A site's meters")
def list_site_meters(request: Request, site_id: str, store: StoreDep,
                     token: Annotated[TokenRow, Depends(require("meters.read"))],
                     limit: LimitQuery = LIST_LIMIT_DEFAULT, offset: OffsetQuery = 0,
                     fmt: FormatQuery = None) -> MetersPage | Response:
    return list_meters(request, store, token, site_id, limit, offset, fmt)


@router.get("/sites/{site_id}/meters/{meter_id}", response_model=MeterOut, responses=ERRORS,
            tags=["meters"], summary="One meter of a site")
def get_site_meter(site_id: str, meter_id: str, store: StoreDep,
                   token: Annotated[TokenRow, Depends(require("meters.read"))]) -> MeterOut:
    return get_meter(meter_id, store, token, site_id)


@router.get("/sites/{site_id}/devices", response_model=DevicesPage,
            responses={**ERRORS, **CSV_OR_JSON}, tags=["devices"],
            summary="A site's devices with status")
def list_site_devices(request: Request, site_id: str, store: StoreDep,
                      token: Annotated[TokenRow, Depends(require("devices.read"))],
                      role: RoleFilter = None, limit: LimitQuery = LIST_LIMIT_DEFAULT,
                      offset: OffsetQuery = 0, fmt: FormatQuery = None) -> DevicesPage | Response:
    return list_devices(request, store, token, site_id, role, limit, offset, fmt)


@router.get("/sites/{site_id}/devices/{device_id}", response_model=DeviceOut, responses=ERRORS,
            tags=["devices"], summary="One device of a site with status")
def get_site_device(site_id: str, device_id: str, store: StoreDep,
                    token: Annotated[TokenRow, Depends(require("devices.read"))]) -> DeviceOut:
    return get_device(device_id, store, token, site_id)


_REPORT_COLUMNS = list(StatusReportOut.model_fields)


@router.get("/devices/{device_id}/status", response_model=StatusReportsPage,
            responses={**ERRORS, **CSV_OR_JSON}, tags=["devices"],
            summary="A device's status history (every STATUS frame received)")
def get_status_history(request: Request, device_id: str, store: StoreDep,
                       token: Annotated[TokenRow, Depends(require("devices.read"))],
                       start: StartQuery = None, end: EndQuery = None,
                       limit: LimitQuery = LIST_LIMIT_DEFAULT, offset: OffsetQuery = 0,
                       fmt: FormatQuery = None,
                       site_id: SiteFilter = None) -> StatusReportsPage | Response:
    """STATUS frames received with ``start <= received < end``, oldest first; ``tx_frames``,
    ``retries`` and ``drops`` of each count since the one before."""
    device = resolve_device(store, token, device_id, site_id)
    device_id = device.device_id
    start_s, end_s = parse_time(start, "start"), parse_time(end, "end")
    if start_s is not None and end_s is not None and start_s >= end_s:
        raise ApiError(400, "request.bad_input", "start must be before end ([start, end))")
    found = store.list_status_reports(device_id, start_s, end_s, limit=offset + limit + 1)
    rows, nxt = offset_page(request, found[offset:], limit, offset)
    reports = [status_report_out(r) for r in rows]
    if wants_csv(request, fmt):
        return _csv(request, token, reports, _REPORT_COLUMNS)
    return StatusReportsPage(device_id=device_id.lower(), reports=reports, next=nxt)


def _site_tou_out(store: Store, site: Site) -> SiteTouOut:
    stored = store.get_site_tou(site.site_id)
    if stored is None:
        return SiteTouOut(site_id=site.site_id, timezone=site.timezone, configured=False,
                          updated=None)
    plan = TouPlan.from_json(stored.config_json, where=f"site {site.site_id} tou")
    table = plan.to_mapping()
    return SiteTouOut(site_id=site.site_id, timezone=site.timezone, configured=True,
                      default=plan.default,
                      periods=[TouPeriodOut(**p) for p in table["periods"]],
                      registers=list(plan.registers), updated=_iso(stored.updated_s))


def _site_or_404(store: Store, token: TokenRow, site_id: str) -> Site:
    check_site(store, token, site_id)  # 404 unless it exists and the token sees it
    site = store.get_site(site_id)
    assert site is not None
    return site


def _now_s(request: Request) -> int:
    clock = getattr(request.app.state, "clock", None)
    return int(clock()) if clock is not None else epoch_s(utc_now())


@router.get("/sites/{site_id}/tou", response_model=SiteTouOut, responses=ERRORS, tags=["sites"],
            summary="A site's time-of-use periods (local time) and registers")
def get_site_tou(site_id: str, store: StoreDep,
                 token: Annotated[TokenRow, Depends(require("sites.read"))]) -> SiteTouOut:
    return _site_tou_out(store, _site_or_404(store, token, site_id))


@router.put("/sites/{site_id}/tou", response_model=SiteTouOut, responses=ERRORS,
            tags=["sites"], summary="Set a site's time-of-use periods (local time)")
def put_site_tou(request: Request, site_id: str, store: StoreDep,
                 token: Annotated[TokenRow, Depends(require("sites.configure"))],
                 body: Annotated[dict[str, Any], Body(
                     description="the site's [tou] table as JSON: {\"default\": name, "
                                 "\"periods\": [{\"name\", \"start\", \"end\", "
                                 "\"days\"}]}")]) -> SiteTouOut:
    """The head-end sends the TOU MDTs of the site a new schedule with their next uplink."""
    site = _site_or_404(store, token, site_id)
    plan = TouPlan.from_mapping(body, where="body")
    store.put_site_tou(site.site_id, plan.to_json(), _now_s(request))
    return _site_tou_out(store, site)


@router.delete("/sites/{site_id}/tou", response_model=SiteTouOut, responses=ERRORS,
               tags=["sites"], summary="Remove a site's time-of-use periods")
def delete_site_tou(site_id: str, store: StoreDep,
                    token: Annotated[TokenRow, Depends(require("sites.configure"))]
                    ) -> SiteTouOut:
    """No schedule is sent any more; the MDTs flag their intervals ``TOU_STALE`` once theirs
    runs out."""
    site = _site_or_404(store, token, site_id)
    store.put_site_tou(site.site_id, None, 0)
    return _site_tou_out(store, site)
