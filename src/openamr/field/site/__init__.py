"""The site: a building, its walls and the devices of one wireless AMR network.

Read a site file with :func:`load_site` (a malformed file raises :class:`SiteError` naming the
key and the reason), write one with :func:`write_site`, make a plausible one with
:func:`generate_site`.  ``site.medium()`` builds the radio :class:`~openamr.field.radio.Medium`.
The schema is documented in ``docs/site.md``.
"""

from __future__ import annotations

from openamr.field.site.load import (
    SiteError,
    load_site,
    parse_site,
    parse_start_utc,
    site_from_text,
)
from openamr.field.site.model import (
    SCHEMA_VERSION,
    Building,
    Dcap,
    Device,
    LoadKind,
    LoadSpec,
    Meter,
    Outage,
    Repeater,
    Site,
    SiteUnit,
    Tamper,
    Wall,
)
from openamr.field.site.write import site_to_dict, site_to_toml, write_site

__all__ = [
    "SCHEMA_VERSION",
    "Building",
    "Dcap",
    "Device",
    "LoadKind",
    "LoadSpec",
    "Meter",
    "Outage",
    "Repeater",
    "Site",
    "SiteError",
    "SiteUnit",
    "Tamper",
    "Wall",
    "load_site",
    "parse_site",
    "parse_start_utc",
    "site_from_text",
    "site_to_dict",
    "site_to_toml",
    "write_site",
]
