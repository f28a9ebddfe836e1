"""The energy report of a meter, a unit or a site over civil dates: reads the store once per
group of meters and computes every figure of :mod:`.analysis`.

Subjects:

* a **meter**: its own intervals; "similar units" are those of the unit it belongs to;
* a **unit**: the sum of its meters;
* a **site**: the sum of its consumption meters: the meters of its units except units of a
  production or supply kind (:data:`NOT_CONSUMPTION_KINDS`: a PV array, the utility's master
  meter); a site without units sums every meter.  ``meters`` lists each meter's total either way.

**Previous period**: the same number of whole calendar months before when the range is whole
months (1 March–30 April → 1 January–28 February), else the same number of days before.
**Similar units**: the other units of the same site with the same ``kind`` (when the unit has
one) and the same floor-area band (:data:`~.analysis.FLOOR_AREA_BANDS_M2`, when the unit has
a floor area; units without one are then left out); a unit with neither has no comparison.
Both are openamr's definitions (``docs/energy.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from openamr.errors import InputError
from openamr.headend.energy.analysis import (
    DEMAND_PER_WH,
    Change,
    Heatmap,
    LoadProfile,
    PeakDemand,
    Usage,
    change,
    floor_area_band,
    heatmap,
    load_profile,
    peak_demand,
    usage,
)
from openamr.headend.energy.grid import EnergyGrid, energy_grid
from openamr.headend.store.base import Store
from openamr.headend.store.units import Unit
from openamr.timeutil import local_day_bounds_s, site_zone

__all__ = [
    "NOT_CONSUMPTION_KINDS",
    "VIEWS",
    "EnergyReport",
    "MeterTotal",
    "PreviousPeriod",
    "SimilarUnits",
    "Subject",
    "energy_report",
    "previous_range",
]

FIRST_DAY = date(1971, 1, 1)
LAST_DAY = date(8999, 12, 31)
"""The civil dates a report may cover (calendars need a past and a future)."""

VIEWS: tuple[str, ...] = ("raw", "validated")
"""Which intervals a report reads: as measured, or VEE's validated view (``docs/vee.md``)."""

NOT_CONSUMPTION_KINDS: frozenset[str] = frozenset({"pv", "master"})
"""Unit kinds left out of a site's total: production (``pv``) and the utility's supply meter
(``master``), which would count the building's use twice."""


@dataclass(frozen=True)
class Subject:
    """What a report is about."""

    kind: str
    """``meter`` | ``unit`` | ``site``."""
    subject_id: str
    site_id: str
    timezone: str
    meter_ids: tuple[str, ...]
    """The meters summed."""
    unit: Unit | None = None
    """The unit (of a unit report, or the meter's unit)."""


@dataclass(frozen=True)
class MeterTotal:
    """One meter's share of a report."""

    meter_id: str
    unit_id: str | None
    included: bool
    """Whether the meter is summed into the report's total."""
    energy_wh: float
    """NaN without data."""
    intervals_present: int
    peak_demand_w: float
    """NaN without data."""


@dataclass(frozen=True)
class PreviousPeriod:
    """The period before, and the report's total against it."""

    first_day: date
    last_day: date
    """Inclusive."""
    change: Change


@dataclass(frozen=True)
class SimilarUnits:
    """A unit's total against its similar units over the same dates."""

    unit_id: str
    kind: str
    floor_area_band_m2: tuple[float, float] | None
    peer_ids: tuple[str, ...]
    energy_wh: float
    peer_median_wh: float
    """NaN without peers with data."""
    peer_mean_wh: float
    rank: int
    """1 = the lowest use among the unit and its peers with data."""
    ranked: int
    """How many units (the unit and its peers) have data."""
    energy_per_m2_wh: float | None
    """The unit's energy per m² of floor area [Wh/m²] (None without an area)."""
    peer_median_per_m2_wh: float | None
    change: Change
    """The unit against the peers' median."""


@dataclass(frozen=True)
class EnergyReport:
    """Every figure of one subject over the civil dates ``[first_day, last_day]``."""

    subject: Subject
    first_day: date
    last_day: date
    """Inclusive."""
    grid: EnergyGrid
    daily: Usage
    monthly: Usage
    profile: LoadProfile
    heatmap: Heatmap
    peak: PeakDemand | None
    total_energy_wh: float
    """Sum of the intervals present [Wh]; NaN when there are none."""
    intervals_expected: int
    intervals_present: int
    previous: PreviousPeriod
    similar: SimilarUnits | None
    similar_note: str
    """Why there is no comparison with similar units (empty when there is one)."""
    meters: tuple[MeterTotal, ...]


def previous_range(first_day: date, end_day: date) -> tuple[date, date]:
    """``[first, end)`` of the period before ``[first_day, end_day)`` (see the module doc)."""
    if first_day.day == 1 and end_day.day == 1:
        months = (end_day.year - first_day.year) * 12 + end_day.month - first_day.month
        index = first_day.year * 12 + first_day.month - 1 - months
        return date(index // 12, index % 12 + 1, 1), first_day
    return first_day - (end_day - first_day), first_day


def _subject(store: Store, meter_id: str | None, unit_id: str | None, site_id: str | None
             ) -> tuple[Subject, list[tuple[str, str | None, bool]]]:
    """The subject and every meter to list: ``(meter_id, unit_id, included)``."""
    chosen = [name for name, v in (("--meter", meter_id), ("--unit", unit_id)) if v]
    if len(chosen) > 1:
        raise InputError("give one of meter or unit (and optionally its site)", where=chosen[1])
    if meter_id:
        meter = store.get_meter(meter_id, site_id=site_id)
        if meter is None:
            raise InputError(f"unknown meter {meter_id!r}", where="meter")
        site = store.get_site(meter.site_id)
        unit = store.unit_of_meter(meter_id, site_id=meter.site_id)
        subject = Subject("meter", meter_id, meter.site_id,
                          site.timezone if site else "UTC", (meter_id,), unit)
        return subject, [(meter_id, unit.unit_id if unit else None, True)]
    if unit_id:
        found = store.get_unit(unit_id, site_id=site_id)
        if found is None:
            raise InputError(f"unknown unit {unit_id!r}", where="unit")
        if not found.meter_ids:
            raise InputError(f"unit {unit_id!r} has no meters", where="unit")
        site = store.get_site(found.site_id)
        subject = Subject("unit", unit_id, found.site_id, site.timezone if site else "UTC",
                          found.meter_ids, found)
        return subject, [(m, unit_id, True) for m in found.meter_ids]
    if not site_id:
        raise InputError("give a meter, a unit or a site", where="site")
    site = store.get_site(site_id)
    if site is None:
        raise InputError(f"unknown site {site_id!r}", where="site")
    meters = [m.meter_id for m in store.list_meters(site_id)]
    units = store.list_units(site_id)
    unit_of = {m: u for u in units for m in u.meter_ids}
    listed = [(m, unit_of[m].unit_id if m in unit_of else None,
               (m in unit_of and unit_of[m].kind not in NOT_CONSUMPTION_KINDS) or not units)
              for m in meters]
    included = tuple(m for m, _, inc in listed if inc)
    return Subject("site", site_id, site_id, site.timezone, included), listed


def _rows(store: Store, meter_ids: tuple[str, ...] | list[str], lo_s: int, hi_s: int,
          view: str, site_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(meter index in meter_ids, start_s, energy_wh)`` rows of the meters in
    ``[lo_s, hi_s)``, grouped by meter: the raw intervals, or VEE's validated view."""
    ids = list(meter_ids)
    if not ids or hi_s <= lo_s:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0)
    if view == "validated":
        from openamr.headend.vee.view import validated_intervals

        grid = validated_intervals(store, ids, lo_s, hi_s, site_id=site_id)
        index = {m: i for i, m in enumerate(ids)}
        rows = np.asarray([index[m] for m in grid.meter_ids], dtype=np.int64)
        n = grid.start_s.size
        which = np.repeat(rows, n)
        start = np.tile(grid.start_s, rows.size)
        energy = grid.energy_wh.ravel()
        keep = np.isfinite(energy)
        return which[keep], start[keep], energy[keep]
    table = store.get_intervals_bulk(ids, lo_s, hi_s, site_id=site_id)
    return _row_index(table.meter_id, ids), table.start_s, table.energy_wh


def _total(energy_wh: np.ndarray) -> float:
    finite = energy_wh[np.isfinite(energy_wh)]
    return float(finite.sum()) if finite.size else math.nan


def _row_index(meter_rows: np.ndarray, ids: list[str]) -> np.ndarray:
    """Position in ``ids`` of each row's meter (-1 for others), without a Python step per row:
    rows come grouped by meter (``get_intervals_bulk`` sorts by meter), so only the first row
    of each run is looked up."""
    if meter_rows.size == 0:
        return np.empty(0, dtype=np.int64)
    firsts = np.flatnonzero(np.concatenate(([True], meter_rows[1:] != meter_rows[:-1])))
    index = {m: i for i, m in enumerate(ids)}
    run_index = np.fromiter((index.get(m, -1) for m in meter_rows[firsts]), dtype=np.int64,
                            count=firsts.size)
    lengths = np.diff(np.concatenate((firsts, [meter_rows.size])))
    result: np.ndarray = np.repeat(run_index, lengths)
    return result


def _per_meter(which: np.ndarray, energy_wh: np.ndarray,
               listed: list[tuple[str, str | None, bool]]) -> tuple[MeterTotal, ...]:
    if not listed:
        return ()
    n = len(listed)
    ok = (which >= 0) & np.isfinite(energy_wh)
    sums = np.bincount(which[ok], weights=energy_wh[ok], minlength=n)
    counts = np.bincount(which[ok], minlength=n)
    peaks = np.full(n, -np.inf)
    if ok.any():  # rows are grouped by meter: one maximum per run
        kept, values = which[ok], energy_wh[ok]
        firsts = np.flatnonzero(np.concatenate(([True], kept[1:] != kept[:-1])))
        np.maximum.at(peaks, kept[firsts], np.maximum.reduceat(values, firsts))
    return tuple(MeterTotal(m, u, inc, float(sums[i]) if counts[i] else math.nan,
                            int(counts[i]),
                            float(peaks[i]) * DEMAND_PER_WH if counts[i] else math.nan)
                 for i, (m, u, inc) in enumerate(listed))


def _similar(store: Store, unit: Unit | None, lo_s: int, hi_s: int, view: str
             ) -> tuple[SimilarUnits | None, str]:
    if unit is None:
        return None, "the meter is not in a unit"
    band = floor_area_band(unit.floor_area_m2)
    if not unit.kind and band is None:
        return None, f"unit {unit.unit_id!r} has neither a kind nor a floor area"
    peers = [u for u in store.list_units(unit.site_id)
             if u.unit_id != unit.unit_id and u.meter_ids
             and (not unit.kind or u.kind == unit.kind)
             and (band is None or floor_area_band(u.floor_area_m2) == band)]
    group = [unit, *peers]
    meter_ids = [m for u in group for m in u.meter_ids]
    rows, _, energy = _rows(store, meter_ids, lo_s, hi_s, view, unit.site_id)
    unit_of_meter = np.asarray([i for i, u in enumerate(group) for _ in u.meter_ids] + [-1],
                               dtype=np.int64)
    which = unit_of_meter[rows]
    ok = (which >= 0) & np.isfinite(energy)
    sums = np.bincount(which[ok], weights=energy[ok], minlength=len(group))
    has = np.bincount(which[ok], minlength=len(group)) > 0
    totals = np.where(has, sums, np.nan)
    own = float(totals[0])
    peer_totals = totals[1:][has[1:]]
    median = float(np.median(peer_totals)) if peer_totals.size else math.nan
    mean = float(np.mean(peer_totals)) if peer_totals.size else math.nan
    with_data = totals[has]
    rank = int(np.sum(with_data < own)) + 1 if has[0] else 0
    area = unit.floor_area_m2
    per_m2 = own / area if area and math.isfinite(own) else None
    peer_per_m2 = None
    if band is not None:
        ratios = [float(totals[i]) / float(u.floor_area_m2 or 1.0)
                  for i, u in enumerate(group) if i > 0 and has[i]]
        peer_per_m2 = float(np.median(ratios)) if ratios else None
    note = "" if peers else "no similar unit in the site"
    return SimilarUnits(unit_id=unit.unit_id, kind=unit.kind, floor_area_band_m2=band,
                        peer_ids=tuple(u.unit_id for u in peers), energy_wh=own,
                        peer_median_wh=median, peer_mean_wh=mean, rank=rank,
                        ranked=int(has.sum()), energy_per_m2_wh=per_m2,
                        peer_median_per_m2_wh=peer_per_m2, change=change(own, median)), note


def energy_report(store: Store, first_day: date, last_day: date, *,
                  meter_id: str | None = None, unit_id: str | None = None,
                  site_id: str | None = None, view: str = "raw") -> EnergyReport:
    """The report of one meter, one unit or one site over ``[first_day, last_day]`` (civil
    dates of the site's zone, ``last_day`` inclusive), from the raw intervals or (``view=
    "validated"``) VEE's validated view.  ``InputError`` for an unknown subject, view or a bad
    range."""
    if view not in VIEWS:
        raise InputError(f"unknown view {view!r} (use raw or validated)", where="view")
    if last_day < first_day:
        raise InputError(f"{last_day} is before the first day {first_day}", where="to")
    for day, where in ((first_day, "from"), (last_day, "to")):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise InputError(f"{day} is outside {FIRST_DAY} to {LAST_DAY}", where=where)
    subject, listed = _subject(store, meter_id, unit_id, site_id)
    end_day = last_day + timedelta(days=1)
    zone = site_zone(subject.timezone)
    lo_s, hi_s = local_day_bounds_s(first_day, zone)[0], local_day_bounds_s(end_day, zone)[0]
    listed_ids = [m for m, _, _ in listed]
    which, start_s, energy = _rows(store, listed_ids, lo_s, hi_s, view, subject.site_id)
    included = np.asarray([inc for _, _, inc in listed] + [False], dtype=bool)[which]
    grid = energy_grid(subject.timezone, first_day, end_day, interval_start_s=start_s[included],
                       energy_wh=energy[included], meters=len(subject.meter_ids))
    daily = usage(grid, "daily")
    monthly = usage(grid, "monthly")
    prev_first, prev_end = previous_range(first_day, end_day)
    p_lo = local_day_bounds_s(prev_first, zone)[0]
    _, _, prev_energy = _rows(store, subject.meter_ids, p_lo, lo_s, view, subject.site_id)
    total = _total(grid.energy_wh)
    previous = PreviousPeriod(prev_first, prev_end - timedelta(days=1),
                              change(total, _total(prev_energy)))
    if subject.kind == "site":
        similar, note = None, "a site is not compared with similar units"
    else:
        similar, note = _similar(store, subject.unit, lo_s, hi_s, view)
    complete = int(np.sum((grid.meters_present > 0) & (grid.meters_present >= grid.meters)))
    return EnergyReport(
        subject=subject, first_day=first_day, last_day=last_day, grid=grid, daily=daily,
        monthly=monthly, profile=load_profile(grid), heatmap=heatmap(grid),
        peak=peak_demand(grid), total_energy_wh=total, intervals_expected=len(grid),
        intervals_present=complete, previous=previous, similar=similar, similar_note=note,
        meters=_per_meter(which, energy, listed))
