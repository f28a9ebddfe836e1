"""The site model: a building, its walls and the devices of one wireless AMR network.

Everything here is a frozen dataclass; :func:`openamr.field.site.load_site` builds them from a
TOML file and refuses a malformed one.  Positions are metres in the building's own frame,
floors are numbered from 0 (ground), times are seconds from the start of the simulation
(``sim_t_s``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import tzinfo
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from openamr.field.radio import (
    Medium,
    Placement,
    RadioNodes,
    RadioParams,
    Role,
    Walls,
)
from openamr.timeutil import site_zone

__all__ = [
    "Building",
    "Dcap",
    "LoadKind",
    "LoadSpec",
    "Meter",
    "Outage",
    "Repeater",
    "Site",
    "SiteUnit",
    "Tamper",
    "Wall",
]

SCHEMA_VERSION = 1
"""Version of the site-file schema this module reads and writes."""


class LoadKind(StrEnum):
    """Where a meter's load comes from."""

    HOUSEHOLD = "household"
    COMMERCIAL = "commercial"
    CSV = "csv"
    PV = "pv"
    """A PV array's clear-sky production (:mod:`openamr.field.solar`): a PV meter."""
    UCI = "uci"
    """A measured household: the UCI "individual household electric power consumption" data
    (:mod:`openamr.field.uci`, the optional ``openamr[loads]`` extra)."""


DEFAULT_SCALE_W: dict[LoadKind, float] = {LoadKind.HOUSEHOLD: 800.0,
                                          LoadKind.COMMERCIAL: 3000.0}
"""Default mean power of a synthetic load over a weekday [W]."""


@dataclass(frozen=True)
class LoadSpec:
    """A meter's load: synthetic (household or commercial, scaled), a CSV profile, a PV array
    or a slice of the measured UCI household."""

    kind: LoadKind
    scale_w: float | None = None
    """Mean power of a synthetic load over a weekday [W] (``None`` for CSV); for ``uci``, the
    mean power the measured household is scaled to over its whole record [W] (``None``: as
    measured)."""
    csv_path: Path | None = None
    """Absolute path of the CSV profile (``t_s,l1_w,l2_w[,pf1,pf2]``), for ``kind = csv``."""
    csv_text: str | None = None
    """The path as written in the site file (relative to the file)."""
    pv_kwp: float | None = None
    """PV array DC nameplate [kW] (``kind = pv``)."""
    pv_tilt_deg: float | None = None
    """PV array tilt from horizontal [°] (``kind = pv``)."""
    pv_azimuth_deg: float | None = None
    """Direction the PV array faces, clockwise from north [°] (``kind = pv``; 180 = south)."""
    uci_year: int | None = None
    """Data year whose same calendar dates supply the days (``kind = uci``); ``None`` draws one
    (:func:`openamr.field.uci.uci_slices`)."""
    uci_shift_weeks: int | None = None
    """Whole weeks added to the data day (``kind = uci``); ``None`` draws one in [-6, 6]."""
    uci_shift_min: int | None = None
    """Minutes the measured day is moved later in the local day (``kind = uci``); ``None``
    draws one in [-30, 30]."""


@dataclass(frozen=True)
class ElementLoad:
    """One of several loads a meter monitors ("multiple load monitoring with a single meter",
    manual §2.2): ``load`` on the CT of ``element`` (1 on L1, 2 on L2).  Loads on the same
    element have their conductors through the one CT: the meter registers their sum."""

    element: int
    load: LoadSpec


@dataclass(frozen=True)
class Building:
    """The building shell."""

    floors: int
    """Number of floors (0 … floors−1)."""
    floor_height_m: float = 3.0
    width_m: float | None = None
    """Footprint along x [m] (informational)."""
    depth_m: float | None = None
    """Footprint along y [m] (informational)."""


@dataclass(frozen=True)
class Wall:
    """A straight wall on one floor, from (x1_m, y1_m) to (x2_m, y2_m)."""

    floor: int
    x1_m: float
    y1_m: float
    x2_m: float
    y2_m: float
    loss_db: float | None = None
    """Loss when crossed [dB]; ``None`` takes ``radio.wall_loss_db``."""


@dataclass(frozen=True)
class _Device:
    id: str
    x_m: float
    y_m: float
    floor: int
    placement: Placement = Placement.OPEN
    power_on_s: float = 0.0
    """When the device is powered up [s from the start]: replays a commissioning order."""
    tx_power_dbm: float | None = None
    """Transmit power [dBm]; ``None`` takes the role's default from the radio parameters."""


@dataclass(frozen=True)
class Dcap(_Device):
    """The Data Concentrating Access Point: the root of the mesh."""

    role: Literal["dcap"] = "dcap"


@dataclass(frozen=True)
class Repeater(_Device):
    """A mains-powered repeater of the backbone."""

    role: Literal["repeater"] = "repeater"


@dataclass(frozen=True)
class Meter(_Device):
    """A Mini Meter with its MDT (the MDT sits at the meter's position and placement)."""

    model: str = "MMSMT-C02"
    """Catalogue number (manual Table 1); must have an MDT."""
    rating_a: int = 200
    """Current rating [A]: 200 or 100."""
    service: str = "split"
    """Electrical service: split, network, network-ac, single."""
    load: LoadSpec = field(default_factory=lambda: LoadSpec(LoadKind.HOUSEHOLD, 800.0))
    unit: str | None = None
    """The apartment, office or suite the meter bills (informational)."""
    ct_ratio_error_pct: float = 0.0
    """Ratio error of the meter's CTs [%] (negative: they read low); 0: ideal CTs."""
    ct_phase_error_deg: float = 0.0
    """Net phase lead of the meter's CTs [deg] (after the meter's compensation)."""
    loads: tuple[ElementLoad, ...] = ()
    """Several loads on the meter's elements (replacing ``load``), see :class:`ElementLoad`."""
    clock_drift_ppm: float | None = None
    """The MDT's crystal error [ppm] (positive: its clock runs fast); ``None`` draws one from
    the site seed (:func:`openamr.field.mdt.clock.draw_drift_ppm`)."""
    role: Literal["meter"] = "meter"


@dataclass(frozen=True)
class SiteUnit:
    """A ``[[units]]`` entry: what the head-end needs beyond the meters' ``unit`` key."""

    id: str
    name: str | None = None
    kind: str | None = None
    """Unit type: apartment, office, retail, common, pv ..."""
    floor_area_m2: float | None = None
    """Floor area [m²], for common-area allocation and comparisons."""


@dataclass(frozen=True)
class Outage:
    """Mains power lost to a device from ``start_s`` for ``duration_s`` [s]."""

    device: str
    start_s: float
    duration_s: float

    @property
    def end_s(self) -> float:
        """When power returns [s]."""
        return self.start_s + self.duration_s


@dataclass(frozen=True)
class Tamper:
    """A meter's enclosure cover removed at ``start_s`` [s]; refitted after ``duration_s``
    [s], or never when ``None``."""

    meter: str
    start_s: float
    duration_s: float | None = None


@dataclass(frozen=True)
class Fault:
    """A wiring fault on a meter from ``start_s`` [s] on: each key takes the values of
    ``openamr meter simulate --ct1/--ct2/--v2`` (``normal``/``connected`` when not given)."""

    meter: str
    start_s: float = 0.0
    ct1: str = "normal"
    ct2: str = "normal"
    v2: str = "connected"


@dataclass(frozen=True)
class Press:
    """A press of an MDT's button at ``start_s`` [s]: ``tap`` (shorter than 4 s) or ``hold``
    (4 s or longer; manual §5.2)."""

    mdt: str
    start_s: float
    kind: Literal["tap", "hold"] = "tap"


Device = Dcap | Repeater | Meter


@dataclass(frozen=True)
class Site:
    """One building and its wireless AMR network, as read from a site file."""

    name: str
    time_zone: str
    """IANA time-zone name of the site (local time for load shapes and calendars)."""
    building: Building
    dcap: Dcap
    repeaters: tuple[Repeater, ...] = ()
    meters: tuple[Meter, ...] = ()
    walls: tuple[Wall, ...] = ()
    outages: tuple[Outage, ...] = ()
    tampers: tuple[Tamper, ...] = ()
    faults: tuple[Fault, ...] = ()
    presses: tuple[Press, ...] = ()
    radio: RadioParams = field(default_factory=RadioParams)
    radio_overrides: tuple[tuple[str, float], ...] = ()
    """The ``[radio]`` keys the file set, as written (to write the file back)."""
    start_s: int | None = None
    """Start of the simulation [UTC epoch s], if the file gives one."""
    seed: int = 0
    """Seed of the frozen shadowing and of the synthetic loads."""
    description: str | None = None
    source: Path | None = None
    """The file the site was read from, if any."""
    id: str | None = None
    """The site's identifier in the head-end (``[site] id``); see :attr:`site_id`."""
    latitude_deg: float | None = None
    """Latitude [°, north positive]; needed by PV loads."""
    longitude_deg: float | None = None
    """Longitude [°, east positive]; needed by PV loads."""
    units: tuple[SiteUnit, ...] = ()
    """Units described in ``[[units]]`` (floor area, kind); meters name theirs with ``unit``."""
    tou: dict[str, Any] | None = None
    """The ``[tou]`` table as written: time-of-use periods in local time, which the head-end
    validates and stores for the site (``openamr.headend.tou``; the field never reads it)."""

    @property
    def site_id(self) -> str:
        """The identifier the head-end stores the site under: ``id`` if the file gives one, else
        the name made URL-safe (lower case, runs of other characters as ``-``)."""
        if self.id:
            return self.id
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "site"

    # -- lookups ------------------------------------------------------------------------------
    @property
    def zone(self) -> tzinfo:
        """The site's time zone (a ``ZoneInfo``)."""
        return site_zone(self.time_zone)

    @property
    def devices(self) -> tuple[Device, ...]:
        """Every device in radio-node order: the DCAP, the repeaters, the meters."""
        return (self.dcap, *self.repeaters, *self.meters)

    @cached_property
    def _by_id(self) -> dict[str, Device]:
        return {d.id: d for d in self.devices}

    def device(self, device_id: str) -> Device:
        """The device called ``device_id`` (``KeyError`` if none)."""
        return self._by_id[device_id]

    def power_on_order(self) -> tuple[Device, ...]:
        """Devices sorted by ``power_on_s`` (ties keep radio-node order)."""
        return tuple(sorted(self.devices, key=lambda d: d.power_on_s))

    # -- radio --------------------------------------------------------------------------------
    def radio_nodes(self) -> RadioNodes:
        """The radio view of the devices; node ``i`` is ``self.devices[i]``."""
        devices = self.devices
        roles = [Role.DCAP] + [Role.REPEATER] * len(self.repeaters) + [Role.MDT] * len(self.meters)
        return RadioNodes.build(
            [d.id for d in devices], roles,
            [d.x_m for d in devices], [d.y_m for d in devices], [d.floor for d in devices],
            [d.placement for d in devices], [d.tx_power_dbm for d in devices],
            self.radio, self.building.floor_height_m)

    def radio_walls(self) -> Walls:
        """The walls as radio arrays (a wall without ``loss_db`` takes ``radio.wall_loss_db``)."""
        default = self.radio.wall_loss_db
        return Walls.from_rows([(w.floor, w.x1_m, w.y1_m, w.x2_m, w.y2_m,
                                 default if w.loss_db is None else w.loss_db)
                                for w in self.walls])

    def medium(self, *, pairs: Literal["relay", "all"] = "relay") -> Medium:
        """The radio medium of this site (seeded by :attr:`seed`)."""
        return Medium(self.radio_nodes(), self.radio_walls(), self.radio, self.seed, pairs=pairs)
