"""Green Button (NAESB REQ.21 ESPI) export: one meter's 15-minute intervals as an Atom feed.

The feed holds one UsagePoint (electricity, the meter), its LocalTimeParameters (the site's
time zone as ESPI DST rules), one MeterReading, its ReadingType (Wh, 900 s, delta data, forward
flow) and one IntervalBlock per local day of the site (82 800, 86 400 or 90 000 s long) with an
IntervalReading per stored interval.  Values are integers: ``value x 10**powerOfTenMultiplier``
Wh, the multiplier being the largest of 0, -1, -2, -3 that keeps every value exact.  No cost is
written.  Intervals that were not measured as they are carry a ``ReadingQuality`` (see
:data:`ESPI_QUALITY`: VEE's codes map to QualityOfReading 7 edited, 8 estimated using a
reference day, 9 estimated by linear interpolation, 10 questionable, 11 derived).  The raw view
(the default) gives measured intervals the ReadingType's ``defaultQuality`` 14 (raw, not
validated); the validated view (``view="validated"``: VEE's values, docs/vee.md) uses
``defaultQuality`` 17 (validated) and marks measured intervals outside the ranges VEE has
validated with an explicit 14.  Missing intervals are simply absent.

Compatibility with the ``greenbutton-objects`` reader (see ``docs/exports.md``): no ``<tou>``
element (it crashes on it), currency omitted, and every ``up``/``related`` href equal to the
target's ``self``/``up`` href, which is how that reader links resources.  The output validates
against the GBA ``espiDerived.xsd`` (which imports ``atom.xsd``).
"""

from __future__ import annotations

import calendar
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.headend.store.base import AmbiguousIdError
from openamr.timeutil import (
    format_utc,
    from_epoch_s,
    local_day_bounds_s,
    site_zone,
    utc_offsets_s,
)
from openamr.units import INTERVAL_LENGTH_S

__all__ = [
    "ATOM_NS",
    "DST_RULE_DISABLED",
    "ESPI_NS",
    "ESPI_QUALITY",
    "LocalTimeRules",
    "export_greenbutton",
    "greenbutton_feed",
    "local_time_rules",
]

ATOM_NS = "http://www.w3.org/2005/Atom"
ESPI_NS = "http://naesb.org/espi"
ET.register_namespace("", ATOM_NS)
ET.register_namespace("espi", ESPI_NS)

DST_RULE_DISABLED = "FFFFFFFF"
"""ESPI ``DstRuleType`` of a zone without daylight saving time."""

#: store quality code -> ESPI QualityOfReading (``None``: measured, no ReadingQuality element)
ESPI_QUALITY: dict[str, int | None] = {
    "measured": None,
    "partial": 10,          # questionable: the MDT was off or restarted during the interval
    "clock_unsynced": 10,   # questionable: the interval's time may be off
    "estimated": 16,        # other: filled in by a person or a rule (method unknown here)
    "estimated_linear": 9,  # estimated using linear interpolation
    "estimated_like_day": 8,  # estimated using reference day
    "edited": 7,            # manually edited
    "failed_validation": 10,  # questionable: failed at least one VEE rule
    "derived": 11,          # derived: a share of a longer measured interval
}
DEFAULT_QUALITY = 14        # raw: measured, not validated by VEE
VALIDATED_QUALITY = 17      # validated: passed every VEE rule
UOM_WH = 72
ACCUMULATION_DELTA = 4
COMMODITY_ELECTRICITY_SECONDARY = 1
FLOW_FORWARD = 1
KIND_ENERGY = 12
DATA_QUALIFIER_NORMAL = 12
PHASE_S1S2N = 769
SERVICE_KIND_ELECTRICITY = 0

_ROOT = "/espi/1_1/resource"
_UP = f"{_ROOT}/RetailCustomer/1/UsagePoint"
_UP1 = f"{_UP}/1"
_MR = f"{_UP1}/MeterReading"
_MR1 = f"{_MR}/1"
_IB = f"{_MR1}/IntervalBlock"
_RT1 = f"{_ROOT}/ReadingType/1"
_LTP1 = f"{_ROOT}/LocalTimeParameters/1"


@dataclass(frozen=True, slots=True)
class LocalTimeRules:
    """A time zone as ESPI LocalTimeParameters (for one year's rules)."""

    tz_offset_s: int
    """Standard offset from UTC [s] (without DST)."""
    dst_offset_s: int
    """DST shift added in summer [s] (0 without DST)."""
    dst_start_rule: str
    """``DstRuleType`` as 8 hex digits (``DST_RULE_DISABLED`` without DST)."""
    dst_end_rule: str


def _transition_s(lo_s: int, hi_s: int, zone: Any) -> int:
    """The first second in ``(lo_s, hi_s]`` whose UTC offset differs from ``lo_s``'s."""
    before = int(utc_offsets_s(np.array([lo_s], dtype=np.int64), zone)[0])
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if int(utc_offsets_s(np.array([mid], dtype=np.int64), zone)[0]) == before:
            lo_s = mid
        else:
            hi_s = mid
    return hi_s


def _dst_rule(t_s: int, offset_before_s: int) -> str:
    """Encode the local wall time just before a transition as a DstRuleType."""
    wall = from_epoch_s(t_s + offset_before_s)  # UTC fields = local wall-clock fields
    days_in_month = calendar.monthrange(wall.year, wall.month)[1]
    operator = 7 if wall.day + 7 > days_in_month else (wall.day - 1) // 7 + 2
    seconds = wall.minute * 60 + wall.second
    rule = ((wall.month << 28) | (operator << 25) | (wall.isoweekday() << 17)
            | (wall.hour << 12) | seconds)
    return f"{rule:08X}"


def local_time_rules(timezone: str, year: int) -> LocalTimeRules:
    """The ESPI rules of IANA zone ``timezone`` as they apply in ``year``.

    Found from the zone's UTC offsets (via :mod:`openamr.timeutil`): the transitions of the year
    are encoded as weekday rules (``second Sunday of March 02:00``; the last occurrence when it
    falls in the month's last week).  US zones give ``360E2000`` / ``B40E2000``.
    """
    zone = site_zone(timezone)
    start_s = int(calendar.timegm((year, 1, 1, 0, 0, 0)))
    end_s = int(calendar.timegm((year + 1, 1, 1, 0, 0, 0)))
    hours = np.arange(start_s, end_s + 1, 3600, dtype=np.int64)
    offsets = utc_offsets_s(hours, zone)
    standard_s = int(offsets.min())
    changes = np.nonzero(np.diff(offsets))[0]
    if len(changes) == 0 or int(offsets.max()) == standard_s:
        return LocalTimeRules(standard_s, 0, DST_RULE_DISABLED, DST_RULE_DISABLED)
    start_rule = end_rule = DST_RULE_DISABLED
    for i in changes.tolist():
        t_s = _transition_s(int(hours[i]), int(hours[i + 1]), zone)
        before, after = int(offsets[i]), int(offsets[i + 1])
        if after > before and start_rule == DST_RULE_DISABLED:
            start_rule = _dst_rule(t_s, before)
        elif after < before and end_rule == DST_RULE_DISABLED:
            end_rule = _dst_rule(t_s, before)
    return LocalTimeRules(standard_s, int(offsets.max()) - standard_s, start_rule, end_rule)


def _power_of_ten(energy_wh: npt.NDArray[np.float64]) -> int:
    """The largest multiplier in 0, -1, -2, -3 that keeps every value an exact integer."""
    for k in range(4):
        scaled = energy_wh * 10.0**k
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-6):
            return -k
    return -3


def _sub(parent: ET.Element, tag: str, text: str | int | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ESPI_NS}}}{tag}")
    if text is not None:
        element.text = str(text)
    return element


def _entry(feed: ET.Element, *, entry_id: str, title: str, self_href: str, up_href: str,
           related: Sequence[str], updated: str) -> ET.Element:
    entry = ET.SubElement(feed, f"{{{ATOM_NS}}}entry")
    ET.SubElement(entry, f"{{{ATOM_NS}}}id").text = entry_id
    ET.SubElement(entry, f"{{{ATOM_NS}}}link", {"rel": "self", "href": self_href})
    ET.SubElement(entry, f"{{{ATOM_NS}}}link", {"rel": "up", "href": up_href})
    for href in related:
        ET.SubElement(entry, f"{{{ATOM_NS}}}link", {"rel": "related", "href": href})
    ET.SubElement(entry, f"{{{ATOM_NS}}}title").text = title
    content = ET.SubElement(entry, f"{{{ATOM_NS}}}content", {"type": "xml"})
    ET.SubElement(entry, f"{{{ATOM_NS}}}published").text = updated
    ET.SubElement(entry, f"{{{ATOM_NS}}}updated").text = updated
    return content


def greenbutton_feed(*, meter_id: str, timezone: str, start_s: npt.ArrayLike,
                     energy_wh: npt.ArrayLike, quality: Sequence[str] | npt.ArrayLike | None = None,
                     first_day: date, last_day: date, updated_s: int,
                     title: str | None = None,
                     validated: npt.ArrayLike | None = None) -> bytes:
    """The Green Button XML (UTF-8 bytes) of one meter's intervals.

    ``start_s`` [UTC epoch s] and ``energy_wh`` [Wh] are parallel arrays of 900-s intervals;
    ``quality`` the store's quality codes (``measured`` when ``None``).  Intervals outside the
    local days ``first_day..last_day`` (inclusive, site time zone ``timezone``) are left out.
    ``updated_s`` [UTC epoch s] stamps the Atom entries (pass it for reproducible output).
    ``validated`` (the validated view): per interval, True when VEE has validated it; the
    ReadingType's default quality is then 17 and measured intervals not validated carry 14.
    """
    if last_day < first_day:
        raise InputError(f"the period ends ({last_day}) before it starts ({first_day})")
    zone = site_zone(timezone)
    starts = np.asarray(start_s, dtype=np.int64)
    energies = np.asarray(energy_wh, dtype=np.float64)
    qualities = (np.full(len(starts), "measured", dtype=object) if quality is None
                 else np.asarray(quality, dtype=object))
    checked = (np.ones(len(starts), dtype=bool) if validated is None
               else np.asarray(validated, dtype=bool))
    if not (starts.shape == energies.shape == qualities.shape == checked.shape) \
            or starts.ndim != 1:
        raise InputError("start_s, energy_wh, quality and validated must be parallel 1-D "
                         "arrays")
    unknown = sorted({str(q) for q in qualities.tolist()} - set(ESPI_QUALITY))
    if unknown:
        raise InputError(f"unknown quality code(s) {unknown}; known: {sorted(ESPI_QUALITY)}")
    period_start_s = local_day_bounds_s(first_day, zone)[0]
    period_end_s = local_day_bounds_s(last_day, zone)[1]
    keep = (starts >= period_start_s) & (starts < period_end_s) & np.isfinite(energies)
    order = np.argsort(starts[keep], kind="stable")
    starts, energies, qualities = starts[keep][order], energies[keep][order], qualities[keep][order]
    checked = checked[keep][order]
    default_quality = DEFAULT_QUALITY if validated is None else VALIDATED_QUALITY
    multiplier = _power_of_ten(energies)
    values = np.round(energies * 10.0 ** (-multiplier)).astype(np.int64)
    updated = format_utc(int(updated_s))
    rules = local_time_rules(timezone, first_day.year)
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"openamr:greenbutton:{meter_id}")

    def urn(name: str) -> str:
        return f"urn:uuid:{uuid.uuid5(namespace, name)}"

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    ET.SubElement(feed, f"{{{ATOM_NS}}}id").text = urn(f"feed:{first_day}:{last_day}")
    ET.SubElement(feed, f"{{{ATOM_NS}}}title").text = (
        title or f"openamr meter {meter_id} {first_day.isoformat()}..{last_day.isoformat()}")
    ET.SubElement(feed, f"{{{ATOM_NS}}}updated").text = updated
    ET.SubElement(feed, f"{{{ATOM_NS}}}link", {"rel": "self", "href": f"{_UP1}"})

    content = _entry(feed, entry_id=urn("UsagePoint"), title=meter_id, self_href=_UP1,
                     up_href=_UP, related=[_MR, _LTP1], updated=updated)
    usage_point = _sub(content, "UsagePoint")
    _sub(usage_point, "roleFlags", "01")
    _sub(_sub(usage_point, "ServiceCategory"), "kind", SERVICE_KIND_ELECTRICITY)
    _sub(usage_point, "status", 1)

    content = _entry(feed, entry_id=urn("LocalTimeParameters"), title=timezone,
                     self_href=_LTP1, up_href=f"{_ROOT}/LocalTimeParameters", related=[],
                     updated=updated)
    ltp = _sub(content, "LocalTimeParameters")
    _sub(ltp, "dstEndRule", rules.dst_end_rule)
    _sub(ltp, "dstOffset", rules.dst_offset_s)
    _sub(ltp, "dstStartRule", rules.dst_start_rule)
    _sub(ltp, "tzOffset", rules.tz_offset_s)

    content = _entry(feed, entry_id=urn("MeterReading"), title="Energy delivered (Wh)",
                     self_href=_MR1, up_href=_MR, related=[_IB, _RT1], updated=updated)
    _sub(content, "MeterReading")

    content = _entry(feed, entry_id=urn("ReadingType"), title="Energy Delivered (Wh)",
                     self_href=_RT1, up_href=f"{_ROOT}/ReadingType", related=[],
                     updated=updated)
    reading_type = _sub(content, "ReadingType")
    for tag, value in (("accumulationBehaviour", ACCUMULATION_DELTA),
                       ("commodity", COMMODITY_ELECTRICITY_SECONDARY),
                       ("dataQualifier", DATA_QUALIFIER_NORMAL),
                       ("defaultQuality", default_quality), ("flowDirection", FLOW_FORWARD),
                       ("intervalLength", INTERVAL_LENGTH_S), ("kind", KIND_ENERGY),
                       ("phase", PHASE_S1S2N), ("powerOfTenMultiplier", multiplier),
                       ("timeAttribute", 0), ("uom", UOM_WH)):
        _sub(reading_type, tag, value)

    day = first_day
    block_no = 0
    while day <= last_day:
        lo_s, hi_s = local_day_bounds_s(day, zone)
        a, b = np.searchsorted(starts, [lo_s, hi_s])
        if b > a:
            block_no += 1
            content = _entry(feed, entry_id=urn(f"IntervalBlock:{day.isoformat()}"),
                             title=day.isoformat(), self_href=f"{_IB}/{block_no}", up_href=_IB,
                             related=[], updated=updated)
            block = _sub(content, "IntervalBlock")
            interval = _sub(block, "interval")
            _sub(interval, "duration", hi_s - lo_s)
            _sub(interval, "start", lo_s)
            for t_s, value, q, ok in zip(starts[a:b].tolist(), values[a:b].tolist(),
                                         qualities[a:b].tolist(), checked[a:b].tolist(),
                                         strict=True):
                reading = _sub(block, "IntervalReading")
                espi_quality = ESPI_QUALITY[str(q)]
                if espi_quality is None and not ok:
                    espi_quality = DEFAULT_QUALITY  # the validated view, outside VEE's ranges
                if espi_quality is not None:
                    _sub(_sub(reading, "ReadingQuality"), "quality", espi_quality)
                period = _sub(reading, "timePeriod")
                _sub(period, "duration", INTERVAL_LENGTH_S)
                _sub(period, "start", t_s)
                _sub(reading, "value", value)
        day += timedelta(days=1)
    ET.indent(feed, space=" ")
    xml: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return xml + b"\n"


def export_greenbutton(store: Any, meter_id: str, first_day: date, last_day: date, *,
                       updated_s: int, view: str = "raw",
                       site_id: str | None = None) -> bytes:
    """Green Button XML of a stored meter (of ``site_id``; without it, the one meter of that
    id) for the local days ``first_day..last_day``.

    ``view``: ``raw`` (the intervals as stored) or ``validated`` (VEE's values, with their
    quality codes).  An ``InputError`` for an unknown or ambiguous meter, an empty/reversed
    period or an unknown view.
    """
    from openamr.headend.vee.view import VIEWS, covered_mask, interval_series

    if view not in VIEWS:
        raise InputError(f"unknown view {view!r} (use raw or validated)", where="--view")
    try:
        meter = store.get_meter(meter_id, site_id=site_id)
    except AmbiguousIdError as exc:
        raise InputError(f"meter {meter_id!r} exists at sites {', '.join(exc.candidates)}: "
                         "name one with --site", where="--meter") from None
    if meter is None:
        raise InputError(f"unknown meter {meter_id!r}", where="--meter")
    if last_day < first_day:
        raise InputError(f"--to {last_day} is before --from {first_day}", where="--to")
    site = store.get_site(meter.site_id)
    timezone = site.timezone if site is not None else "UTC"
    zone = site_zone(timezone)
    lo_s = local_day_bounds_s(first_day, zone)[0]
    hi_s = local_day_bounds_s(last_day, zone)[1]
    arrays = interval_series(store, meter_id, lo_s, hi_s, view=view, site_id=meter.site_id)
    validated = (covered_mask(store, meter_id, arrays.start_s, site_id=meter.site_id)
                 if view == "validated" else None)
    return greenbutton_feed(meter_id=meter_id, timezone=timezone, start_s=arrays.start_s,
                            energy_wh=arrays.energy_wh, quality=arrays.quality,
                            first_day=first_day, last_day=last_day, updated_s=updated_s,
                            validated=validated)
