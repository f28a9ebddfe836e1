"""``openamr device``: the real devices of a site in a head-end store.

* ``openamr device add --db PATH --site ID --id ID --role dcap|repeater|mdt --eui EUI64
  --install-code HEX [--meter-model MODEL] [--unit UNIT]``: register a device from its label
  (EUI-64: 16 hex digits; install code: 32 hex digits).  An MDT's ``--id`` is its meter's id:
  the meter is created at the site with its model (default ``MMSMT-C02``) and unit;
* ``openamr device list --db PATH [--site ID] [--json]``: every device (never install codes);
* ``openamr device remove --db PATH --site ID --id ID``: forget a device (by its id at the site
  or its EUI-64); its meter and stored readings stay.

The store must exist (``openamr site add`` or ``site import`` makes it).  Bad EUIs, an EUI
registered already and malformed install codes are a message and exit status 2; nothing
changes (:mod:`openamr.headend.provision`).  A running ``openamr serve`` picks a new device up
when it first hears it, and forgets a removed one at its next sweep (the API's provisioning
routes tell it at once).
"""

from __future__ import annotations

import json

import click

__all__ = ["device"]

_DB = click.option("--db", "db", required=True, metavar="PATH",
                   help="the head-end store: a SQLite file, sqlite:///path or postgresql://...")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def device() -> None:
    """Register, list and remove a site's devices (DCAP, repeaters, MDTs)."""


@device.command("add")
@_DB
@click.option("--site", "site_id", required=True, metavar="ID", help="The device's site.")
@click.option("--id", "local_id", required=True, metavar="ID",
              help="The device's id at the site (an MDT's is its meter's id).")
@click.option("--role", required=True, type=click.Choice(["dcap", "repeater", "mdt"]))
@click.option("--eui", required=True, metavar="EUI64", help="EUI-64 from the label (16 hex).")
@click.option("--install-code", "install_code", required=True, metavar="HEX",
              help="Install code from the label (32 hex digits, 128 bits).")
@click.option("--meter-model", "meter_model", default=None, metavar="MODEL",
              help="An MDT's meter catalogue number (default MMSMT-C02).")
@click.option("--unit", default=None, help="The unit (apartment, suite) an MDT's meter bills.")
def add(db: str, site_id: str, local_id: str, role: str, eui: str, install_code: str,
        meter_model: str | None, unit: str | None) -> None:
    """Register a device at a site."""
    from openamr.headend.provision import DeviceSpec, add_devices
    from openamr.headend.store import open_store
    from openamr.timeutil import epoch_s, utc_now

    with open_store(db, create=False) as store:
        (added,) = add_devices(store, site_id, [DeviceSpec(
            local_id, role, eui, install_code, meter_model, unit, epoch_s(utc_now()))])
    click.echo(f"device {local_id} ({role}, EUI-64 {added.device_id}) at site {site_id}")


@device.command("list")
@_DB
@click.option("--site", "site_id", default=None, metavar="ID", help="Only this site's.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
def list_(db: str, site_id: str | None, as_json: bool) -> None:
    """List devices: site, id, role, EUI-64, meter, model (never install codes)."""
    from openamr.errors import InputError
    from openamr.headend.store import open_store

    with open_store(db, create=False) as store:
        if site_id is not None and store.get_site(site_id) is None:
            raise InputError(f"unknown site {site_id!r}", where="--site")
        devices = store.list_devices(site_id)
        units = {(m.site_id, m.meter_id): m.unit for m in store.list_meters(site_id)}
    rows = sorted(devices, key=lambda d: (d.site_id, d.local_id or "", d.device_id))
    if as_json:
        click.echo(json.dumps([{
            "site_id": d.site_id, "id": d.local_id, "role": d.role, "eui": d.device_id,
            "meter_id": d.meter_id, "model": d.model,
            "unit": units.get((d.site_id, d.meter_id)) if d.meter_id else None}
            for d in rows], indent=1))
        return
    click.echo(f"{'site':<16}{'id':<16}{'role':<10}{'eui':<18}{'meter':<12}model")
    for d in rows:
        click.echo(f"{d.site_id:<16}{d.local_id or '-':<16}{d.role:<10}{d.device_id:<18}"
                   f"{d.meter_id or '-':<12}{d.model}")


@device.command("remove")
@_DB
@click.option("--site", "site_id", required=True, metavar="ID", help="The device's site.")
@click.option("--id", "ident", required=True, metavar="ID",
              help="The device's id at the site, or its EUI-64.")
def remove(db: str, site_id: str, ident: str) -> None:
    """Forget a device (it can no longer join or send); its meter and readings stay."""
    from openamr.headend.provision import remove_device
    from openamr.headend.store import open_store

    with open_store(db, create=False) as store:
        removed = remove_device(store, site_id, ident)
    click.echo(f"removed device {removed.local_id or removed.device_id} (EUI-64 "
               f"{removed.device_id}) from site {site_id}")
