"""Sites, meters and devices (with their radio and battery status)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from openamr.headend.api.csv_render import CSV_MEDIA_TYPE, rows_csv
from openamr.headend.api.deps import FormatQuery, check_export, get_store, require, wants_csv
from openamr.headend.api.errors import ApiError
from openamr.headend.api.models import (
    DeviceOut,
    DevicesPage,
    MeterOut,
    MetersPage,
    SiteOut,
    SitesPage,
)
from openamr.headend.api.pagination import (
    LIST_LIMIT_DEFAULT,
    LimitQuery,
    OffsetQuery,
    offset_page,
)
from openamr.headend.api.responses import CSV_OR_JSON, ERRORS
from openamr.headend.store.base import Device, DeviceStatus, Meter, Site, Store, TokenRow
from openamr.timeutil import format_utc

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
                    model=meter.model, kh_wh=meter.kh_wh, max_power_w=meter.max_power_w)


def device_out(device: Device, status: DeviceStatus | None) -> DeviceOut:
    """A device and its status; the install code (key material) is never served."""
    s = status
    return DeviceOut(
        device_id=device.device_id, role=device.role,  # type: ignore[arg-type]
        site_id=device.site_id, meter_id=device.meter_id, model=device.model,
        installed=_iso(device.installed_s),
        last_heard=_iso(s.last_heard_s) if s else None,
        parent_id=s.parent_id if s else None,
        rssi_dbm=s.rssi_dbm if s else None,
        link_margin_db=s.link_margin_db if s else None,
        etx=s.etx if s else None,
        hops=s.hops if s else None,
        battery_mv=s.battery_mv if s else None,
        battery_remaining_mah=s.battery_remaining_mah if s else None,
        on_battery=s.on_battery if s else None,
        joined=_iso(s.joined_s) if s else None,
    )


def _csv(request: Request, token: TokenRow, models: list[MeterOut] | list[DeviceOut]
         | list[SiteOut], header: list[str]) -> Response:
    check_export(request, token)
    rows = [[getattr(m, name) for name in header] for m in models]
    return Response(rows_csv(header, rows), media_type=CSV_MEDIA_TYPE)


@router.get("/sites", response_model=SitesPage, responses={**ERRORS, **CSV_OR_JSON},
            tags=["sites"], summary="List sites")
def list_sites(request: Request, store: StoreDep,
               token: Annotated[TokenRow, Depends(require("sites.read"))],
               limit: LimitQuery = LIST_LIMIT_DEFAULT, offset: OffsetQuery = 0,
               fmt: FormatQuery = None) -> SitesPage | Response:
    rows, nxt = offset_page(request, store.list_sites()[offset:offset + limit + 1], limit, offset)
    sites = [site_out(s) for s in rows]
    if wants_csv(request, fmt):
        return _csv(request, token, sites, ["site_id", "name", "timezone"])
    return SitesPage(sites=sites, next=nxt)


@router.get("/sites/{site_id}", response_model=SiteOut, responses=ERRORS, tags=["sites"],
            summary="One site")
def get_site(site_id: str, store: StoreDep,
             token: Annotated[TokenRow, Depends(require("sites.read"))]) -> SiteOut:
    site = store.get_site(site_id)
    if site is None:
        raise ApiError(404, "not_found.site", f"no site {site_id!r}")
    return site_out(site)


_METER_COLUMNS = ["meter_id", "site_id", "device_id", "model", "kh_wh", "max_power_w"]


@router.get("/meters", response_model=MetersPage, responses={**ERRORS, **CSV_OR_JSON},
            tags=["meters"], summary="List meters")
def list_meters(request: Request, store: StoreDep,
                token: Annotated[TokenRow, Depends(require("meters.read"))],
                site_id: SiteFilter = None, limit: LimitQuery = LIST_LIMIT_DEFAULT,
                offset: OffsetQuery = 0, fmt: FormatQuery = None) -> MetersPage | Response:
    found = store.list_meters(site_id)[offset:offset + limit + 1]
    rows, nxt = offset_page(request, found, limit, offset)
    meters = [meter_out(m) for m in rows]
    if wants_csv(request, fmt):
        return _csv(request, token, meters, _METER_COLUMNS)
    return MetersPage(meters=meters, next=nxt)


@router.get("/meters/{meter_id}", response_model=MeterOut, responses=ERRORS, tags=["meters"],
            summary="One meter")
def get_meter(meter_id: str, store: StoreDep,
              token: Annotated[TokenRow, Depends(require("meters.read"))]) -> MeterOut:
    meter = store.get_meter(meter_id)
    if meter is None:
        raise ApiError(404, "not_found.meter", f"no meter {meter_id!r}")
    return meter_out(meter)


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
    found = store.list_devices(site_id, role)[offset:offset + limit + 1]
    rows, nxt = offset_page(request, found, limit, offset)
    status = {s.device_id: s for s in store.list_device_status(site_id)} if rows else {}
    devices = [device_out(d, status.get(d.device_id)) for d in rows]
    if wants_csv(request, fmt):
        return _csv(request, token, devices, _DEVICE_COLUMNS)
    return DevicesPage(devices=devices, next=nxt)


@router.get("/devices/{device_id}", response_model=DeviceOut, responses=ERRORS,
            tags=["devices"], summary="One device with status")
def get_device(device_id: str, store: StoreDep,
               token: Annotated[TokenRow, Depends(require("devices.read"))]) -> DeviceOut:
    device = store.get_device(device_id)
    if device is None:
        raise ApiError(404, "not_found.device", f"no device {device_id!r}")
    return device_out(device, store.get_device_status(device_id))
