"""Units, tenants and occupancies (``docs/units-tenants.md``): ``units.read`` to read,
``units.write`` (admin, billing) to change.

Writes are idempotent (``PUT`` replaces a unit or a tenant; the same occupancy posted twice is
stored once).  A bad request changes nothing: unknown site, unit or tenant → 404; a meter that
is not the site's or already in another unit, bad dates → 400; an occupancy that overlaps
another of the unit → 409 ``conflict.occupancy_overlap``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from openamr.headend.api.deps import get_store, require
from openamr.headend.api.errors import ApiError
from openamr.headend.api.responses import ERRORS
from openamr.headend.store.base import Store, TokenRow
from openamr.headend.store.units import (
    Occupancy,
    OccupancyOverlapError,
    Tenant,
    Unit,
)

__all__ = ["router"]

router = APIRouter(tags=["units and tenants"])

StoreDep = Annotated[Store, Depends(get_store)]
ReadToken = Annotated[TokenRow, Depends(require("units.read"))]
WriteToken = Annotated[TokenRow, Depends(require("units.write"))]

_ID = r"^[^\s\x00-\x1f](.*[^\s\x00-\x1f])?$"
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=_ID)]
SiteQuery = Annotated[str | None, Query(max_length=64,
                                        description="the unit's site, when the id exists in "
                                                    "several")]
ERRORS_409: dict[int | str, dict[str, object]] = {
    **ERRORS, 409: {"model": ERRORS[400]["model"],
                    "description": "the occupancy overlaps another of the unit"}}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UnitIn(_Model):
    """A unit's description (``PUT`` replaces it, meters included)."""

    name: str = Field(default="", max_length=200)
    kind: str = Field(default="", max_length=64,
                      description="unit type: apartment, office, retail, common, pv ...")
    floor_area_m2: float | None = Field(default=None, gt=0, allow_inf_nan=False,
                                        description="floor area [m²]")
    meter_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=1000, description="the unit's meters (of this site)")


class UnitOut(_Model):
    unit_id: str
    site_id: str
    name: str
    kind: str
    floor_area_m2: float | None = Field(description="floor area [m²]")
    meter_ids: list[str]


class UnitsPage(_Model):
    units: list[UnitOut]


class TenantIn(_Model):
    name: str = Field(default="", max_length=200)
    account: str = Field(default="", max_length=200,
                         description="the billing company's account reference")
    email: str = Field(default="", max_length=320)


class TenantOut(_Model):
    tenant_id: str
    name: str
    account: str
    email: str


class TenantsPage(_Model):
    tenants: list[TenantOut]


class OccupancyIn(_Model):
    tenant_id: str = Field(min_length=1, max_length=64)
    move_in: date = Field(description="first civil day occupied (site's zone), YYYY-MM-DD")
    move_out: date | None = Field(default=None, description="first civil day no longer "
                                  "occupied (exclusive); null while the tenant stays")


class MoveOutIn(_Model):
    move_out: date | None = Field(description="first civil day no longer occupied "
                                  "(exclusive); null re-opens the occupancy")


class OccupancyOut(_Model):
    occupancy_id: int
    site_id: str
    unit_id: str
    tenant_id: str
    move_in: str = Field(description="YYYY-MM-DD, inclusive")
    move_out: str | None = Field(description="YYYY-MM-DD, exclusive; null: still there")


class OccupanciesPage(_Model):
    occupancies: list[OccupancyOut]


def _unit_out(unit: Unit) -> UnitOut:
    return UnitOut(unit_id=unit.unit_id, site_id=unit.site_id, name=unit.name, kind=unit.kind,
                   floor_area_m2=unit.floor_area_m2, meter_ids=list(unit.meter_ids))


def _tenant_out(t: Tenant) -> TenantOut:
    return TenantOut(tenant_id=t.tenant_id, name=t.name, account=t.account, email=t.email)


def _occ_out(o: Occupancy) -> OccupancyOut:
    return OccupancyOut(occupancy_id=int(o.occupancy_id or 0), site_id=o.site_id,
                        unit_id=o.unit_id, tenant_id=o.tenant_id, move_in=o.move_in.isoformat(),
                        move_out=None if o.move_out is None else o.move_out.isoformat())


def _site(store: Store, site_id: str) -> None:
    if store.get_site(site_id) is None:
        raise ApiError(404, "not_found.site", f"no site {site_id!r}")


def _unit(store: Store, unit_id: str, site_id: str | None) -> Unit:
    unit = store.get_unit(unit_id, site_id=site_id)
    if unit is None:
        raise ApiError(404, "not_found.unit", f"no unit {unit_id!r}"
                       + (f" in site {site_id!r}" if site_id else ""))
    return unit


# -- units ----------------------------------------------------------------------------------


@router.get("/sites/{site_id}/units", response_model=UnitsPage, responses=ERRORS,
            summary="A site's units")
def list_units(site_id: IdPath, store: StoreDep, token: ReadToken) -> UnitsPage:
    _site(store, site_id)
    return UnitsPage(units=[_unit_out(u) for u in store.list_units(site_id)])


@router.get("/sites/{site_id}/units/{unit_id}", response_model=UnitOut, responses=ERRORS,
            summary="One unit")
def get_unit(site_id: IdPath, unit_id: IdPath, store: StoreDep, token: ReadToken) -> UnitOut:
    _site(store, site_id)
    return _unit_out(_unit(store, unit_id, site_id))


@router.put("/sites/{site_id}/units/{unit_id}", response_model=UnitOut, responses=ERRORS,
            summary="Create or replace a unit (its meters, floor area, kind)")
def put_unit(site_id: IdPath, unit_id: IdPath, body: Annotated[UnitIn, Body()],
             store: StoreDep, token: WriteToken) -> UnitOut:
    _site(store, site_id)
    unit = Unit(unit_id, site_id, tuple(body.meter_ids), body.name, body.kind,
                body.floor_area_m2)
    store.upsert_unit(unit)
    return _unit_out(_unit(store, unit_id, site_id))


@router.delete("/sites/{site_id}/units/{unit_id}", status_code=204, responses=ERRORS,
               summary="Delete a unit that never had an occupancy")
def delete_unit(site_id: IdPath, unit_id: IdPath, store: StoreDep,
                token: WriteToken) -> Response:
    _site(store, site_id)
    if not store.delete_unit(unit_id, site_id=site_id):
        raise ApiError(404, "not_found.unit", f"no unit {unit_id!r} in site {site_id!r}")
    return Response(status_code=204)


# -- tenants --------------------------------------------------------------------------------


@router.get("/tenants", response_model=TenantsPage, responses=ERRORS, summary="Every tenant")
def list_tenants(store: StoreDep, token: ReadToken) -> TenantsPage:
    return TenantsPage(tenants=[_tenant_out(t) for t in store.list_tenants()])


@router.get("/tenants/{tenant_id}", response_model=TenantOut, responses=ERRORS,
            summary="One tenant")
def get_tenant(tenant_id: IdPath, store: StoreDep, token: ReadToken) -> TenantOut:
    tenant = store.get_tenant(tenant_id)
    if tenant is None:
        raise ApiError(404, "not_found.tenant", f"no tenant {tenant_id!r}")
    return _tenant_out(tenant)


@router.put("/tenants/{tenant_id}", response_model=TenantOut, responses=ERRORS,
            summary="Create or replace a tenant")
def put_tenant(tenant_id: IdPath, body: Annotated[TenantIn, Body()], store: StoreDep,
               token: WriteToken) -> TenantOut:
    store.upsert_tenant(Tenant(tenant_id, body.name, body.account, body.email))
    return _tenant_out(Tenant(tenant_id, body.name, body.account, body.email))


@router.get("/tenants/{tenant_id}/occupancies", response_model=OccupanciesPage,
            responses=ERRORS, summary="The units a tenant occupies or occupied")
def tenant_occupancies(tenant_id: IdPath, store: StoreDep, token: ReadToken) -> OccupanciesPage:
    if store.get_tenant(tenant_id) is None:
        raise ApiError(404, "not_found.tenant", f"no tenant {tenant_id!r}")
    return OccupanciesPage(occupancies=[_occ_out(o)
                                        for o in store.list_occupancies(tenant_id=tenant_id)])


# -- occupancies ----------------------------------------------------------------------------


@router.get("/units/{unit_id}/tenants", response_model=OccupanciesPage, responses=ERRORS,
            summary="Who occupies or occupied a unit, by move-in")
def unit_tenants(unit_id: IdPath, store: StoreDep, token: ReadToken,
                 site_id: SiteQuery = None) -> OccupanciesPage:
    unit = _unit(store, unit_id, site_id)
    return OccupanciesPage(occupancies=[_occ_out(o) for o in store.list_occupancies(
        site_id=unit.site_id, unit_id=unit.unit_id)])


@router.post("/units/{unit_id}/tenants", response_model=OccupancyOut, status_code=201,
             responses=ERRORS_409, summary="A tenant moves in (dates half-open, local)")
def add_occupancy(unit_id: IdPath, body: Annotated[OccupancyIn, Body()], store: StoreDep,
                  token: WriteToken, site_id: SiteQuery = None) -> OccupancyOut:
    unit = _unit(store, unit_id, site_id)
    if store.get_tenant(body.tenant_id) is None:
        raise ApiError(404, "not_found.tenant", f"no tenant {body.tenant_id!r}")
    try:
        stored = store.add_occupancy(Occupancy(unit.site_id, unit.unit_id, body.tenant_id,
                                               body.move_in, body.move_out))
    except OccupancyOverlapError as exc:
        raise ApiError(409, "conflict.occupancy_overlap", str(exc)) from exc
    return _occ_out(stored)


@router.patch("/occupancies/{occupancy_id}", response_model=OccupancyOut, responses=ERRORS_409,
              summary="Set or clear the move-out date")
def move_out(occupancy_id: Annotated[int, Path(ge=1, le=2**62)],
             body: Annotated[MoveOutIn, Body()], store: StoreDep,
             token: WriteToken) -> OccupancyOut:
    if store.get_occupancy(occupancy_id) is None:
        raise ApiError(404, "not_found.occupancy", f"no occupancy {occupancy_id}")
    try:
        return _occ_out(store.set_move_out(occupancy_id, body.move_out))
    except OccupancyOverlapError as exc:
        raise ApiError(409, "conflict.occupancy_overlap", str(exc)) from exc


@router.delete("/occupancies/{occupancy_id}", status_code=204, responses=ERRORS,
               summary="Delete an occupancy entered by mistake")
def delete_occupancy(occupancy_id: Annotated[int, Path(ge=1, le=2**62)], store: StoreDep,
                     token: WriteToken) -> Response:
    if not store.delete_occupancy(occupancy_id):
        raise ApiError(404, "not_found.occupancy", f"no occupancy {occupancy_id}")
    return Response(status_code=204)
