"""``openamr site add`` and ``openamr site import``: register sites in a head-end store.

* ``openamr site add --db PATH --id ID --name NAME --time-zone ZONE``: a site for real devices
  (then ``openamr device add``);
* ``openamr site import SITE.toml --db PATH``: a whole site file: the site, its DCAP, repeaters
  and MDT-equipped meters (with their units), each with the EUI-64 and install code the
  simulator derives for it (:func:`openamr.field.site.identity.device_identity`), so the file
  can then be simulated into the same head-end (``openamr sim run --live``).

These commands bring data: they create the store when it does not exist.  Bad input (an unsafe
id, an unknown zone, an EUI registered at another site) is a message and exit status 2, and
nothing changes (:mod:`openamr.headend.provision`).  Registered onto the ``site`` group of
:mod:`openamr.cli.site`.
"""

from __future__ import annotations

from pathlib import Path

import click

from openamr.cli.site import site
from openamr.errors import InputError

__all__ = ["site"]

_DB = click.option("--db", "db", required=True, metavar="PATH",
                   help="the head-end store: a SQLite file, sqlite:///path or postgresql://...")


@site.command("add")
@_DB
@click.option("--id", "site_id", required=True, metavar="ID", help="The site's id (URL-safe).")
@click.option("--name", required=True, help="The site's name.")
@click.option("--time-zone", "time_zone", required=True, metavar="ZONE",
              help="IANA time zone of the site (calendars, roll-ups).")
def add(db: str, site_id: str, name: str, time_zone: str) -> None:
    """Register a site (or rename it) in the head-end store at --db."""
    from openamr.headend.provision import add_site
    from openamr.headend.store import open_store

    with open_store(db, create=True) as store:
        registered = add_site(store, site_id, name, time_zone)
    click.echo(f"site {registered.site_id} ({registered.name}, {registered.timezone}) in {db}")


@site.command("import")
@click.argument("site_file", type=click.Path(dir_okay=False, path_type=Path))
@_DB
def import_(site_file: Path, db: str) -> None:
    """Register SITE_FILE's site, devices, units and keys in the head-end store at --db."""
    from openamr.field.site import load_site
    from openamr.field.site.identity import device_identity
    from openamr.headend.provision import DeviceSpec, add_devices, add_site
    from openamr.headend.store import open_store

    if not site_file.exists():
        raise InputError("no such file", where=str(site_file))
    parsed = load_site(site_file)
    roles = {"dcap": "dcap", "repeater": "repeater", "meter": "mdt"}
    specs = []
    for device in parsed.devices:
        eui, code = device_identity(parsed.site_id, device.id)
        meter_model = getattr(device, "model", None) if device.role == "meter" else None
        unit = getattr(device, "unit", None) if device.role == "meter" else None
        specs.append(DeviceSpec(device.id, roles[device.role], f"{eui:016x}", code.hex(),
                                meter_model, unit))
    with open_store(db, create=True) as store, store.transaction():
        add_site(store, parsed.site_id, parsed.name, parsed.time_zone)
        added = add_devices(store, parsed.site_id, specs, where=f"{site_file}: device ")
    mdts = sum(1 for d in added if d.role == "mdt")
    click.echo(f"site {parsed.site_id} ({parsed.name}): {len(added)} devices ({mdts} MDTs) "
               f"registered in {db}")
