"""Provisioning: register sites and real devices (EUI-64 and install code from the label).

One implementation for the CLI (``openamr site add``, ``openamr device add|remove``,
``openamr site import``) and the API (``POST /api/v1/sites``, ``POST|DELETE
/api/v1/sites/{site_id}/devices``).  Every check runs before anything is written, and a
registration is one transaction: a bad EUI (not 16 hex digits), an EUI registered already, a
malformed install code (not 32 hex digits), an unsafe id or an unknown time zone raise
:class:`~openamr.errors.InputError` naming the field, and nothing changes.

An MDT's site-scoped id is its meter's id: registering an MDT creates (or updates) that meter
at the site, with its model and unit; removing the MDT keeps the meter and its readings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from openamr.errors import InputError, StoreError
from openamr.headend import ids
from openamr.headend.store.base import DEVICE_ROLES, Device, Meter, Site, Store
from openamr.timeutil import site_zone

__all__ = [
    "DeviceSpec",
    "add_devices",
    "add_site",
    "check_id",
    "parse_eui",
    "parse_install_code",
    "remove_device",
]

_EUI = re.compile(r"^[0-9a-f]{16}$")
_CODE = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_METER_MODEL = "MMSMT-C02"
DEFAULT_KH_WH = 10.0


def check_id(text: str, *, where: str, what: str = "id") -> str:
    """A site or device id in the head-end's one safe alphabet (:mod:`openamr.headend.ids`)."""
    return ids.check_id(text, what, where=where)


def parse_eui(text: str, *, where: str = "--eui") -> str:
    """An EUI-64 as 16 lower-case hex digits (``:`` or ``-`` between bytes are allowed)."""
    eui = text.strip().lower().replace(":", "").replace("-", "")
    if not _EUI.match(eui):
        raise InputError(f"{text!r} is not an EUI-64: expected 16 hex digits", where=where)
    return eui


def parse_install_code(text: str, *, where: str = "--install-code") -> str:
    """An install code as 32 lower-case hex digits (128 bits)."""
    code = text.strip().lower().replace(":", "").replace("-", "").replace(" ", "")
    if not _CODE.match(code):
        raise InputError(f"the install code is not 32 hex digits (128 bits): got "
                         f"{len(code)} characters", where=where)
    return code


@dataclass(frozen=True)
class DeviceSpec:
    """A device to register: its site-scoped id, role, label EUI and install code."""

    local_id: str
    role: str
    eui: str
    install_code: str
    meter_model: str | None = None
    unit: str | None = None
    installed_s: int | None = None


def add_site(store: Store, site_id: str, name: str, timezone: str) -> Site:
    """Register (or rename) a site; the time zone must be a known IANA zone."""
    check_id(site_id, where="--id")
    if not name.strip():
        raise InputError("a site needs a name", where="--name")
    try:
        site_zone(timezone)
    except (InputError, ValueError, KeyError) as exc:
        raise InputError(f"unknown time zone {timezone!r}", where="--time-zone") from exc
    site = Site(site_id, name, timezone)
    store.upsert_site(site)
    return site


def _checked(store: Store, site_id: str, specs: Sequence[DeviceSpec],
             where: str) -> list[DeviceSpec]:
    """Normalised specs, or an InputError naming the first problem (nothing written)."""
    if store.get_site(site_id) is None:
        raise InputError(f"unknown site {site_id!r}: add it first (openamr site add)",
                         where="--site")
    out: list[DeviceSpec] = []
    seen_eui: dict[str, str] = {}
    seen_id: set[str] = set()
    for spec in specs:
        at = f"{where}{spec.local_id}" if where else ""
        check_id(spec.local_id, where=at or "--id")
        if spec.role not in DEVICE_ROLES:
            raise InputError(f"role {spec.role!r} is not one of {', '.join(DEVICE_ROLES)}",
                             where=at or "--role")
        eui = parse_eui(spec.eui, where=at or "--eui")
        code = parse_install_code(spec.install_code, where=at or "--install-code")
        if eui in seen_eui:
            raise InputError(f"EUI-64 {eui} is given twice ({seen_eui[eui]} and "
                             f"{spec.local_id})", where=at or "--eui")
        if spec.local_id in seen_id:
            raise InputError(f"device id {spec.local_id!r} is given twice", where=at or "--id")
        seen_eui[eui] = spec.local_id
        seen_id.add(spec.local_id)
        known = store.get_device(eui)
        if known is not None and (known.site_id != site_id or known.local_id != spec.local_id):
            raise InputError(f"EUI-64 {eui} is registered already (device "
                             f"{known.local_id or eui} at site {known.site_id!r})",
                             where=at or "--eui")
        if spec.role != "mdt" and (spec.meter_model or spec.unit):
            raise InputError("a meter model or unit belongs to an MDT", where=at or "--role")
        out.append(DeviceSpec(spec.local_id, spec.role, eui, code, spec.meter_model,
                              spec.unit, spec.installed_s))
    return out


def add_devices(store: Store, site_id: str, specs: Sequence[DeviceSpec], *,
                where: str = "") -> list[Device]:
    """Register devices at ``site_id`` in one transaction (all or nothing).

    ``where`` prefixes the device id in error locations (e.g. ``site.toml: device ``).
    Registering the same device again (same EUI, site and id) updates it.
    """
    checked = _checked(store, site_id, specs, where)
    devices: list[Device] = []
    try:
        with store.transaction():
            for spec in checked:
                meter_id = spec.local_id if spec.role == "mdt" else None
                model = spec.meter_model or (DEFAULT_METER_MODEL if meter_id else "")
                if meter_id is not None:
                    store.upsert_meter(Meter(meter_id, site_id, spec.eui, model, DEFAULT_KH_WH,
                                             unit=spec.unit))
                device = Device(spec.eui, spec.role, site_id, meter_id, model, spec.install_code,
                                spec.installed_s, local_id=spec.local_id)
                store.upsert_device(device)
                devices.append(device)
    except StoreError as exc:  # a concurrent registration: the transaction rolled back
        raise InputError(str(exc), where=where or "--eui") from None
    return devices


def remove_device(store: Store, site_id: str, ident: str) -> Device:
    """Forget the device ``ident`` (its id at the site, or its EUI-64); its meter and readings
    stay.  InputError when the site has no such device."""
    device = store.get_device(ident, site_id=site_id)
    if device is None or device.site_id != site_id:
        raise InputError(f"site {site_id!r} has no device {ident!r}", where="--id")
    store.remove_device(device.device_id)
    return device
