"""Provisioning through the API: register sites and real devices, remove devices.

The same rules as ``openamr site add`` / ``openamr device add|remove``
(:mod:`openamr.headend.provision`): bad EUIs, duplicate EUIs and malformed install codes are
refused with 400 and nothing changes.  Roles ``installer`` and ``admin``; a token scoped to
sites may register devices at its sites but not create sites.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from openamr.headend.api.deps import get_store, require
from openamr.headend.api.models import DeviceCreate, DeviceOut, SiteCreate, SiteOut
from openamr.headend.api.responses import ERRORS
from openamr.headend.api.routes_config import device_out, site_out
from openamr.headend.api.scope import check_site, resolve_device
from openamr.headend.provision import DeviceSpec, add_devices, add_site
from openamr.headend.store.base import Store, TokenRow
from openamr.timeutil import epoch_s, utc_now

__all__ = ["router"]

router = APIRouter(tags=["provisioning"])

StoreDep = Annotated[Store, Depends(get_store)]


def _devices_changed(request: Request) -> None:
    """Tell the ingest (when the app runs inside ``openamr serve``) to re-read its devices."""
    hook: Callable[[], None] | None = getattr(request.app.state, "on_devices_changed", None)
    if hook is not None:
        hook()


@router.post("/sites", response_model=SiteOut, status_code=201, responses=ERRORS,
             summary="Register a site (or rename it)")
def create_site(body: SiteCreate, store: StoreDep,
                token: Annotated[TokenRow, Depends(require("sites.manage"))]) -> SiteOut:
    return site_out(add_site(store, body.site_id, body.name, body.timezone))


@router.post("/sites/{site_id}/devices", response_model=DeviceOut, status_code=201,
             responses=ERRORS, summary="Register a device (EUI-64 and install code from its "
                                       "label) at a site")
def create_device(request: Request, site_id: str, body: DeviceCreate, store: StoreDep,
                  token: Annotated[TokenRow, Depends(require("devices.manage"))]) -> DeviceOut:
    check_site(store, token, site_id)
    (device,) = add_devices(store, site_id, [DeviceSpec(
        body.id, body.role, body.eui, body.install_code, body.meter_model, body.unit,
        epoch_s(utc_now()))], where="")
    _devices_changed(request)
    return device_out(device, None)


@router.delete("/sites/{site_id}/devices/{device_id}", status_code=204, responses=ERRORS,
               summary="Remove a device (its meter and readings stay)")
def delete_device(request: Request, site_id: str, device_id: str, store: StoreDep,
                  token: Annotated[TokenRow, Depends(require("devices.manage"))]) -> Response:
    device = resolve_device(store, token, device_id, site_id)
    store.remove_device(device.device_id)
    _devices_changed(request)
    return Response(status_code=204)
