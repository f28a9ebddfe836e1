"""Read a utility's Green Button (NAESB REQ.21 ESPI) usage feed onto the 15-minute grid.

For a building's master meter (common-area allocation): the utility's interval data, checked
whole before anything is stored.  The feed is an Atom document whose entries hold ESPI
resources linked by ``self``/``up``/``related`` hrefs (billing.md §2.1; the GBA's
``espiDerived.xsd``).  What is read:

* the MeterReading whose ReadingType is delivered energy as interval data: ``uom`` 72 (Wh),
  ``accumulationBehaviour`` 4 (deltaData), ``flowDirection`` 1 (forward) or absent; when a feed
  holds several, the caller names one by its ``self`` href;
* its IntervalBlocks (linked by their ``up`` href) and each IntervalReading's
  ``timePeriod`` (``start`` UTC epoch seconds, ``duration`` seconds), ``value`` (an integer
  × 10^``powerOfTenMultiplier`` Wh: 72 with multiplier 3 is kWh) and ``ReadingQuality``.

**Interval length.** Readings are put on openamr's 15-minute grid (the store, the roll-ups and
the API are 15-minute): a 15-minute reading is stored as is; shorter readings that tile the
quarter-hour (5 min, 1 min …) are summed into it (a quarter-hour with some of its readings
missing is ``partial``); a longer reading (hourly, daily …, a multiple of 15 minutes that
starts on the grid) is split evenly into quarter-hours of quality ``derived`` (ESPI 11): the
period's total is exact, its shape inside the period is not known.  Anything else (a 10-minute
reading, a start off the grid) is refused.

**Refusal.** A malformed feed is refused whole with a message naming the entry and element
(``InputError``); documents with a DTD are refused (no entity expansion).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.timeutil import format_utc
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["ESPI_TO_QUALITY", "GreenButtonIntervals", "read_greenbutton"]

_ATOM = "{http://www.w3.org/2005/Atom}"
_ESPI = "{http://naesb.org/espi}"
UOM_WH = 72
ACCUMULATION_DELTA = 4
FLOW_FORWARD = 1

#: ESPI QualityOfReading -> the store's quality (unlisted codes: ``measured``)
ESPI_TO_QUALITY: dict[int, str] = {
    7: "edited", 8: "estimated_like_day", 9: "estimated_linear", 10: "failed_validation",
    11: "derived", 12: "estimated", 13: "estimated", 15: "estimated", 16: "estimated",
}
_SEVERITY = ("measured", "derived", "estimated", "estimated_linear", "estimated_like_day",
             "edited", "partial", "failed_validation")
"""When readings of different quality make one quarter-hour, the latest in this list wins."""


@dataclass(frozen=True, slots=True)
class GreenButtonIntervals:
    """A feed's energy readings on the 15-minute grid, sorted by start."""

    start_s: npt.NDArray[np.int64]
    """Quarter-hour starts [UTC epoch s]."""
    energy_wh: npt.NDArray[np.float64]
    """Energy of each quarter-hour [Wh]."""
    quality: npt.NDArray[np.str_]
    """The store's quality code of each quarter-hour (``measured``, ``derived``, ``partial``,
    or what the feed's ReadingQuality maps to: :data:`ESPI_TO_QUALITY`)."""
    readings: int
    """IntervalReadings read from the feed."""
    reading_href: str
    """``self`` href of the MeterReading imported."""
    interval_length_s: tuple[int, ...]
    """The distinct reading durations found [s]."""
    power_of_ten_multiplier: int


@dataclass(slots=True)
class _Entry:
    index: int
    self_href: str
    up_href: str
    related: list[str]
    resource: ET.Element | None


def _int(element: ET.Element | None, tag: str, where: str, default: int | None = None) -> int:
    child = None if element is None else element.find(f"{_ESPI}{tag}")
    if child is None or child.text is None or not child.text.strip():
        if default is not None:
            return default
        raise InputError(f"missing <{tag}>", where=where)
    try:
        return int(child.text.strip())
    except ValueError:
        raise InputError(f"<{tag}> {child.text.strip()!r} is not an integer",
                         where=where) from None


def _entries(root: ET.Element, where: str) -> list[_Entry]:
    if root.tag != f"{_ATOM}feed":
        raise InputError(f"not a Green Button feed: the root element is <{root.tag}>, not an "
                         "Atom <feed>", where=where)
    out = []
    for i, entry in enumerate(root.findall(f"{_ATOM}entry"), start=1):
        links: dict[str, list[str]] = {}
        for link in entry.findall(f"{_ATOM}link"):
            links.setdefault(link.get("rel", ""), []).append(link.get("href", ""))
        content = entry.find(f"{_ATOM}content")
        resource = None
        if content is not None:
            resource = next((c for c in content if c.tag.startswith(_ESPI)), None)
        out.append(_Entry(i, (links.get("self") or [""])[0], (links.get("up") or [""])[0],
                          links.get("related", []), resource))
    return out


def _parse(path: Path) -> ET.Element:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", where=str(path)) from exc
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise InputError("a document type declaration is not allowed (no entity expansion)",
                         where=str(path))
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        raise InputError(f"not well-formed XML: {exc.msg if hasattr(exc, 'msg') else exc}",
                         where=f"{path}:{line}:{column}") from None


def _choose_reading(entries: list[_Entry], reading: str | None,
                    where: str) -> tuple[_Entry, ET.Element, str]:
    """The MeterReading to import, its ReadingType and the ReadingType's where-text."""
    types = {e.self_href: e for e in entries
             if e.resource is not None and e.resource.tag == f"{_ESPI}ReadingType"}
    candidates: list[tuple[_Entry, ET.Element, str]] = []
    refused: list[str] = []
    for e in entries:
        if e.resource is None or e.resource.tag != f"{_ESPI}MeterReading":
            continue
        rt_entry = next((types[h] for h in e.related if h in types), None)
        if rt_entry is None and len(types) == 1:
            rt_entry = next(iter(types.values()))
        if rt_entry is None or rt_entry.resource is None:
            refused.append(f"{e.self_href or f'entry {e.index}'}: no ReadingType linked")
            continue
        rt = rt_entry.resource
        rt_where = f"{where}: entry {rt_entry.index} (ReadingType {rt_entry.self_href})"
        uom = _int(rt, "uom", rt_where, -1)
        accumulation = _int(rt, "accumulationBehaviour", rt_where, ACCUMULATION_DELTA)
        flow = _int(rt, "flowDirection", rt_where, FLOW_FORWARD)
        if uom != UOM_WH or accumulation != ACCUMULATION_DELTA or flow != FLOW_FORWARD:
            refused.append(f"{e.self_href}: uom {uom}, accumulationBehaviour {accumulation}, "
                           f"flowDirection {flow}")
            continue
        candidates.append((e, rt, rt_where))
    if reading is not None:
        chosen = [c for c in candidates if c[0].self_href == reading]
        if not chosen:
            raise InputError(f"no MeterReading {reading!r} of delivered energy in the feed "
                             f"(found: {', '.join(c[0].self_href for c in candidates) or 'none'})",
                             where=where)
        return chosen[0]
    if not candidates:
        why = "; ".join(refused) or "no MeterReading entry"
        raise InputError("no MeterReading of delivered energy as interval data (ReadingType "
                         f"uom 72 Wh, accumulationBehaviour 4, flowDirection 1): {why}",
                         where=where)
    if len(candidates) > 1:
        raise InputError("the feed has several energy MeterReadings; choose one with --reading: "
                         + ", ".join(c[0].self_href for c in candidates), where=where)
    return candidates[0]


def read_greenbutton(path: Path, *, reading: str | None = None) -> GreenButtonIntervals:
    """Read and check a Green Button feed (see the module docstring); ``InputError`` naming
    the entry and element on the first fault."""
    where = str(path)
    entries = _entries(_parse(path), where)
    mr, rt, rt_where = _choose_reading(entries, reading, where)
    multiplier = _int(rt, "powerOfTenMultiplier", rt_where, 0)
    if not -9 <= multiplier <= 9:
        raise InputError(f"<powerOfTenMultiplier> {multiplier} is out of range (-9..9)",
                         where=rt_where)
    default_length_s = _int(rt, "intervalLength", rt_where, 0)
    blocks = [e for e in entries if e.resource is not None
              and e.resource.tag == f"{_ESPI}IntervalBlock"
              and (e.up_href in mr.related or e.up_href.startswith(mr.self_href + "/")
                   or sum(1 for x in entries if x.resource is not None
                          and x.resource.tag == f"{_ESPI}MeterReading") == 1)]
    if not blocks:
        raise InputError(f"no IntervalBlock belongs to MeterReading {mr.self_href}", where=where)
    starts: list[int] = []
    lengths: list[int] = []
    values: list[int] = []
    qualities: list[int] = []
    places: list[str] = []
    for block in blocks:
        assert block.resource is not None
        for j, ir in enumerate(block.resource.findall(f"{_ESPI}IntervalReading"), start=1):
            at = f"{where}: entry {block.index} (IntervalBlock {block.self_href}) " \
                 f"IntervalReading {j}"
            period = ir.find(f"{_ESPI}timePeriod")
            if period is None:
                raise InputError("missing <timePeriod>", where=at)
            start = _int(period, "start", f"{at} timePeriod")
            length = _int(period, "duration", f"{at} timePeriod", default_length_s or None)
            value = _int(ir, "value", at)
            if start < 0:
                raise InputError(f"<start> {start} is before 1970", where=f"{at} timePeriod")
            if length <= 0:
                raise InputError(f"<duration> {length} must be positive", where=f"{at} timePeriod")
            if value < 0:
                raise InputError(f"<value> {value} is negative (delivered energy cannot be)",
                                 where=at)
            codes = [_int(q, "quality", f"{at} ReadingQuality")
                     for q in ir.findall(f"{_ESPI}ReadingQuality")]
            names = [ESPI_TO_QUALITY.get(c, "measured") for c in codes] or ["measured"]
            starts.append(start)
            lengths.append(length)
            values.append(value)
            qualities.append(max(_SEVERITY.index(n) for n in names))
            places.append(at)
    return _to_grid(np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64),
                    np.array(values, dtype=np.float64) * 10.0 ** multiplier,
                    np.array(qualities, dtype=np.int64), places, mr.self_href, multiplier)


def _to_grid(start: npt.NDArray[np.int64], length: npt.NDArray[np.int64],
             energy: npt.NDArray[np.float64], quality: npt.NDArray[np.int64], places: list[str],
             href: str, multiplier: int) -> GreenButtonIntervals:
    """Put readings on the 15-minute grid (see the module docstring)."""
    q = INTERVAL_LENGTH_S
    readings = int(start.size)
    for i in range(start.size):
        s, d = int(start[i]), int(length[i])
        fits = (s % q == 0 and d % q == 0) or (d < q and q % d == 0 and s % d == 0)
        if not fits:
            raise InputError(f"a reading of {d} s starting {format_utc(s)} cannot be put on the "
                             "15-minute grid (readings must tile quarter-hours, or be whole "
                             "quarter-hours starting on one)", where=f"{places[i]} timePeriod")
    # identical readings given twice are one; the same period with two values is refused
    order = np.lexsort((length, start))
    start, length, energy, quality = start[order], length[order], energy[order], quality[order]
    places = [places[i] for i in order.tolist()]
    same = np.zeros(start.size, dtype=bool)
    same[1:] = (start[1:] == start[:-1]) & (length[1:] == length[:-1])
    clash = same & (np.concatenate(([False], energy[1:] != energy[:-1])))
    if clash.any():
        k = int(np.flatnonzero(clash)[0])
        raise InputError(f"the reading starting {format_utc(int(start[k]))} appears twice with "
                         f"different values ({energy[k - 1]:g} Wh at {places[k - 1]})",
                         where=places[k])
    keep = ~same
    start, length, energy, quality = start[keep], length[keep], energy[keep], quality[keep]
    places = [p for p, k in zip(places, keep.tolist(), strict=True) if k]
    # split long readings into quarter-hours, then sum short ones into theirs
    parts = np.maximum(length // q, 1)
    rep = np.repeat(np.arange(start.size), parts)
    offset = np.arange(rep.size) - np.repeat(np.cumsum(parts) - parts, parts)
    sub_start = start[rep] + np.where(length[rep] >= q, offset * q, 0)
    sub_energy = energy[rep] / parts[rep]
    derived = _SEVERITY.index("derived")
    sub_quality = np.where(parts[rep] > 1, np.maximum(quality[rep], derived), quality[rep])
    sub_seconds = np.minimum(length[rep], q)
    bucket = sub_start - sub_start % q
    grid, inverse = np.unique(bucket, return_inverse=True)
    covered = np.bincount(inverse, weights=sub_seconds, minlength=grid.size)
    if (covered > q).any():
        k = int(np.flatnonzero(covered > q)[0])
        first = int(np.flatnonzero(inverse == k)[0])
        raise InputError(f"readings overlap in the quarter-hour {format_utc(int(grid[k]))}",
                         where=places[int(rep[first])])
    total = np.bincount(inverse, weights=sub_energy, minlength=grid.size)
    worst = np.zeros(grid.size, dtype=np.int64)
    np.maximum.at(worst, inverse, sub_quality)
    partial = _SEVERITY.index("partial")
    worst = np.where(covered < q, np.maximum(worst, partial), worst)
    return GreenButtonIntervals(grid.astype(np.int64), total.astype(np.float64),
                                np.array(_SEVERITY)[worst], readings, href,
                                tuple(sorted({int(x) for x in length.tolist()})), multiplier)
