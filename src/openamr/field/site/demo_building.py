"""The demo building of ``openamr demo``: apartments, a common area, PV on the roof, a master meter.

:func:`demo_site` lays out an apartment block with :func:`openamr.field.site.generate_site`
(meter rooms, walls, repeaters outside the meter rooms, the DCAP in the ground floor's
electrical room, the manual's power-up order) and then names what each meter is for:

* one Mini Meter with its MDT per **apartment** (household load, unit ``APT-<floor><nn>``);
* one **common-area** meter on the ground floor (corridor lighting, lift, pumps): openamr has no
  common-area load shape, so the commercial shape stands in for it (an assumption: a base load
  around the clock with a daytime rise), 1.5 kW mean by default;
* one **PV** production meter on the top floor (the roof array's inverter output: ``LoadKind.PV``,
  :mod:`openamr.field.solar`, clear-sky production at the site's latitude and longitude).

Units (``[[units]]``): one per apartment (75 m², kind ``apartment``), ``COMMON`` (kind
``common``) and ``PV`` (kind ``pv``); each meter names its unit.

The **master meter** is the utility's revenue meter on the building's service, not a Mini Meter
on the mesh: its 15-minute intervals are what a utility meter would deliver in its feed.
:func:`master_interval_wh` computes them from the true loads of the same site
(:func:`openamr.field.loads.site_leg_power_w`, 5-minute steps): per step, every apartment and
the common area **minus** the PV production; a step where PV exceeds the building's use exports
to the grid, which a utility meter registers on its separate *received* channel, so the
*delivered* intervals count only the positive part (``max(0, use − pv)`` per step) and the
exported energy is returned beside them.  (openamr's own choice, documented in docs/demo.md.)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.field.site.check import coverage
from openamr.field.site.generate import generate_site
from openamr.field.site.model import LoadKind, LoadSpec, Meter, Site, SiteUnit

__all__ = [
    "COMMON_METER_ID",
    "DEMO_SITE_ID",
    "MASTER_METER_ID",
    "PV_METER_ID",
    "DemoBuilding",
    "MasterIntervals",
    "demo_site",
    "master_interval_wh",
]

DEMO_SITE_ID = "openamr-demo"
"""The demo building's site id in the head-end (``openamr demo`` recognises its own store by
it)."""
COMMON_METER_ID = "COMMON"
PV_METER_ID = "PV-ROOF"
MASTER_METER_ID = "MASTER"

STEP_S = 300.0
"""Step of the true loads the master meter integrates [s] (the simulator's load step)."""
INTERVAL_S = 900
"""The 15-minute interval [s]."""

APARTMENT_AREA_M2 = 75.0
"""Floor area of a demo apartment [m²] (8 m × 10 m of the generator's floor plan, less walls)."""


@dataclass(frozen=True)
class DemoBuilding:
    """The demo site and what each of its meters is."""

    site: Site
    apartment_meter_ids: tuple[str, ...]
    """Apartment meters, in site order."""
    common_meter_id: str
    pv_meter_id: str
    """The roof PV array's production meter."""
    master_meter_id: str
    """The utility's master meter (not a mesh device): see :func:`master_interval_wh`."""
    pv_kwp: float
    """PV array DC nameplate [kW]."""

    @property
    def unit_of(self) -> dict[str, str]:
        """Meter id -> unit id of every mesh meter."""
        return {m.id: m.unit for m in self.site.meters if m.unit is not None}


def demo_site(apartments: int = 48, *, floors: int | None = None, seed: int = 7,
              time_zone: str = "America/Los_Angeles", latitude_deg: float = 34.05,
              longitude_deg: float = -118.25, common_w: float = 1500.0,
              pv_kwp: float = 30.0) -> DemoBuilding:
    """The demo apartment block: ``apartments`` household meters, a common-area meter, a PV
    meter, repeaters (2 up to 30 meters, else one per 25: 3 for the default) and one DCAP on
    ``floors`` floors (default: twelve apartments a floor), in ``time_zone`` (default: Los
    Angeles, at its latitude and longitude for the PV).  Deterministic for ``seed``.
    ``common_w``: the common area's mean weekday load [W]; ``pv_kwp``: the roof array [kW DC].
    """
    if not 1 <= apartments <= 500:
        raise InputError(f"must be between 1 and 500, got {apartments}", where="--apartments")
    if floors is None:  # twelve apartments a floor: four floors for the default 48
        floors = max(1, math.ceil(apartments / 12))
    floors = max(1, min(floors, apartments))
    total = apartments + 2  # the common area and the PV meter
    # the manual's one repeater for every 20-30 MDTs: 2 up to 30 meters, 3 for the default 50
    repeaters = 2 if total <= 30 else max(3, math.ceil(total / 25))
    base = generate_site(total, floors, repeaters, seed=seed, time_zone=time_zone,
                         name=f"Demo apartment block ({apartments} apartments)",
                         commercial_ratio=0.0)
    meters = list(base.meters)
    # the common-area meter on the ground floor, the PV meter on the top floor (the roof)
    common_idx = next(i for i, m in enumerate(meters) if m.floor == 0)
    top = max(m.floor for m in meters)
    pv_idx = next(i for i in reversed(range(len(meters)))
                  if meters[i].floor == top and i != common_idx)
    per_floor: dict[int, int] = {}
    renamed: list[Meter] = []
    apartment_ids: list[str] = []
    for i, m in enumerate(meters):
        if i == common_idx:
            renamed.append(dataclasses.replace(
                m, id=COMMON_METER_ID, unit="COMMON", service="split",
                load=LoadSpec(LoadKind.COMMERCIAL, common_w)))
        elif i == pv_idx:
            renamed.append(dataclasses.replace(
                m, id=PV_METER_ID, unit="PV", service="split",
                load=LoadSpec(LoadKind.PV, pv_kwp=pv_kwp, pv_tilt_deg=20.0,
                              pv_azimuth_deg=180.0)))
        else:
            per_floor[m.floor] = per_floor.get(m.floor, 0) + 1
            unit = f"{m.floor + 1}{per_floor[m.floor]:02d}"
            apartment_ids.append(f"APT-{unit}")
            renamed.append(dataclasses.replace(m, id=f"APT-{unit}", unit=f"APT-{unit}"))
    units = [SiteUnit(a, f"Apartment {a.removeprefix('APT-')}", "apartment", APARTMENT_AREA_M2)
             for a in apartment_ids]
    units += [SiteUnit("COMMON", "Common area", "common"), SiteUnit("PV", "Roof PV array", "pv")]
    # the repeaters and power-up times stay as generated (renaming keeps the positions)
    site = dataclasses.replace(
        base, meters=tuple(renamed), id=DEMO_SITE_ID, latitude_deg=latitude_deg,
        longitude_deg=longitude_deg, units=tuple(units),
        description=f"openamr demo: {apartments} apartments, a common area and a roof PV array")
    cov = coverage(site)
    if int((cov.usable_relays == 0).sum()):
        raise InputError(f"{int((cov.usable_relays == 0).sum())} MDT(s) of the demo building "
                         "have no usable link; try another seed", where="--seed")
    return DemoBuilding(site, tuple(apartment_ids), COMMON_METER_ID, PV_METER_ID,
                        MASTER_METER_ID, pv_kwp)


@dataclass(frozen=True)
class MasterIntervals:
    """The master meter's intervals from ``start_s``: delivered energy and PV export."""

    start_s: int
    """Start of the first interval [UTC epoch s] (a multiple of 900)."""
    delivered_wh: npt.NDArray[np.int64]
    """Energy delivered to the building per 15-minute interval [Wh] (rounded)."""
    exported_wh: npt.NDArray[np.float64]
    """Energy exported to the grid per interval [Wh] (PV above the building's use)."""


def master_interval_wh(building: DemoBuilding, start_s: int, intervals: int) -> MasterIntervals:
    """The utility master meter's ``intervals`` 15-minute intervals from ``start_s`` [UTC epoch
    s, a multiple of 900]: every mesh meter's true load, the PV meter's production subtracted,
    per 5-minute step; delivered = the positive part, exported = the negative part (see the
    module docstring)."""
    from openamr.field.loads import site_leg_power_w

    if start_s % INTERVAL_S:
        raise ValueError(f"start_s {start_s} is not on the 15-minute grid")
    per = int(INTERVAL_S / STEP_S)
    legs_w = site_leg_power_w(building.site, intervals * per, STEP_S, start_s,
                              dtype=np.float64)
    power_w = legs_w.sum(axis=1)  # (meters, steps): both legs
    sign = np.array([-1.0 if m.id == building.pv_meter_id else 1.0
                     for m in building.site.meters])
    net_w = (sign[:, None] * power_w).sum(axis=0)
    hours = STEP_S / 3600.0
    delivered = (np.maximum(net_w, 0.0) * hours).reshape(intervals, per).sum(axis=1)
    exported = (np.maximum(-net_w, 0.0) * hours).reshape(intervals, per).sum(axis=1)
    return MasterIntervals(start_s, np.rint(delivered).astype(np.int64), exported)

