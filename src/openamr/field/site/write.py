"""Write a :class:`Site` back to TOML (``tomli_w``), in the schema :mod:`.load` reads.

Keys with default values are written anyway for devices (explicit files are easier to edit),
optional keys that are ``None`` are left out; the layout follows the schema's order (tables,
then one ``[[…]]`` block per device, wall and event).  CSV load paths are rewritten relative to the
directory of the file written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tomli_w

from openamr.errors import InputError
from openamr.field.site.model import (
    SCHEMA_VERSION,
    Dcap,
    ElementLoad,
    LoadKind,
    LoadSpec,
    Meter,
    Repeater,
    Site,
)
from openamr.timeutil import format_utc

__all__ = ["site_to_dict", "site_to_toml", "write_site"]


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def _device(d: Dcap | Repeater | Meter, out_dir: Path | None) -> dict[str, Any]:
    row: dict[str, Any] = {"id": d.id, "x_m": _num(d.x_m), "y_m": _num(d.y_m), "floor": d.floor,
                           "placement": d.placement.value, "power_on_s": _num(d.power_on_s)}
    if d.tx_power_dbm is not None:
        row["tx_power_dbm"] = _num(d.tx_power_dbm)
    if isinstance(d, Meter):
        row["model"] = d.model
        if d.rating_a != 200:
            row["rating_a"] = d.rating_a
        row["service"] = d.service
        row["load"] = d.load.kind.value
        if d.load.kind is LoadKind.PV:
            row["pv_kwp"] = _num(d.load.pv_kwp or 0.0)
            row["pv_tilt_deg"] = _num(d.load.pv_tilt_deg or 0.0)
            row["pv_azimuth_deg"] = _num(d.load.pv_azimuth_deg or 0.0)
        elif d.load.kind is LoadKind.CSV:
            assert d.load.csv_path is not None
            row["load_csv"] = (os.path.relpath(d.load.csv_path, out_dir) if out_dir is not None
                               else (d.load.csv_text or str(d.load.csv_path)))
        else:
            row.update(_scale_and_slice(d.load))
        if d.unit is not None:
            row["unit"] = d.unit
        if d.loads:
            for key in ("load", "load_scale_w", "load_csv"):
                row.pop(key, None)
            row["loads"] = [_element_load(e, out_dir) for e in d.loads]
        if d.ct_ratio_error_pct:
            row["ct_ratio_error_pct"] = _num(d.ct_ratio_error_pct)
        if d.ct_phase_error_deg:
            row["ct_phase_error_deg"] = _num(d.ct_phase_error_deg)
        if d.clock_drift_ppm is not None:
            row["clock_drift_ppm"] = _num(d.clock_drift_ppm)
    return row


def _element_load(e: ElementLoad, out_dir: Path | None) -> dict[str, Any]:
    row: dict[str, Any] = {"element": e.element, "load": e.load.kind.value}
    if e.load.kind is LoadKind.CSV:
        assert e.load.csv_path is not None
        row["load_csv"] = (os.path.relpath(e.load.csv_path, out_dir) if out_dir is not None
                           else (e.load.csv_text or str(e.load.csv_path)))
    else:
        row.update(_scale_and_slice(e.load))
    return row


_UCI_KEYS = ("load_uci_year", "load_uci_shift_weeks", "load_uci_shift_min")


def _scale_and_slice(load: LoadSpec) -> dict[str, Any]:
    """``load_scale_w`` and, for a measured household, the slice keys that are set."""
    row: dict[str, Any] = {}
    if load.scale_w is not None:
        row["load_scale_w"] = _num(load.scale_w)
    for key, value in zip(_UCI_KEYS, (load.uci_year, load.uci_shift_weeks,
                                      load.uci_shift_min), strict=True):
        if value is not None:
            row[key] = value
    return row


def site_to_dict(site: Site, out_dir: Path | None = None) -> dict[str, Any]:
    """The TOML document of ``site`` as nested dicts (CSV paths relative to ``out_dir``)."""
    head: dict[str, Any] = {"name": site.name, "time_zone": site.time_zone, "seed": site.seed}
    if site.start_s is not None:
        head["start_utc"] = format_utc(site.start_s)
    if site.description is not None:
        head["description"] = site.description
    if site.id is not None:
        head["id"] = site.id
    if site.latitude_deg is not None:
        head["latitude_deg"] = _num(site.latitude_deg)
    if site.longitude_deg is not None:
        head["longitude_deg"] = _num(site.longitude_deg)
    building: dict[str, Any] = {"floors": site.building.floors,
                                "floor_height_m": _num(site.building.floor_height_m)}
    if site.building.width_m is not None:
        building["width_m"] = _num(site.building.width_m)
    if site.building.depth_m is not None:
        building["depth_m"] = _num(site.building.depth_m)
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "site": head, "building": building}
    if site.radio_overrides:
        doc["radio"] = {k: _num(v) for k, v in site.radio_overrides}
    doc["dcap"] = _device(site.dcap, out_dir)
    if site.repeaters:
        doc["repeaters"] = [_device(r, out_dir) for r in site.repeaters]
    if site.meters:
        doc["meters"] = [_device(m, out_dir) for m in site.meters]
    if site.walls:
        walls = []
        for w in site.walls:
            row: dict[str, Any] = {"floor": w.floor, "x1_m": _num(w.x1_m), "y1_m": _num(w.y1_m),
                                   "x2_m": _num(w.x2_m), "y2_m": _num(w.y2_m)}
            if w.loss_db is not None:
                row["loss_db"] = _num(w.loss_db)
            walls.append(row)
        doc["walls"] = walls
    if site.outages:
        doc["outages"] = [{"device": o.device, "start_s": _num(o.start_s),
                           "duration_s": _num(o.duration_s)} for o in site.outages]
    if site.tampers:
        tampers = []
        for t in site.tampers:
            row = {"meter": t.meter, "start_s": _num(t.start_s)}
            if t.duration_s is not None:
                row["duration_s"] = _num(t.duration_s)
            tampers.append(row)
        doc["tampers"] = tampers
    if site.faults:
        faults = []
        for f in site.faults:
            row = {"meter": f.meter, "start_s": _num(f.start_s)}
            for key, value, default in (("ct1", f.ct1, "normal"), ("ct2", f.ct2, "normal"),
                                        ("v2", f.v2, "connected")):
                if value != default:
                    row[key] = value
            faults.append(row)
        doc["faults"] = faults
    if site.presses:
        doc["presses"] = [{"mdt": p.mdt, "start_s": _num(p.start_s), "kind": p.kind}
                          for p in site.presses]
    if site.units:
        doc["units"] = [{k: (_num(v) if isinstance(v, float) else v) for k, v in
                         (("id", u.id), ("name", u.name), ("kind", u.kind),
                          ("floor_area_m2", u.floor_area_m2)) if v is not None}
                        for u in site.units]
    return doc


_TABLES = ("site", "building", "radio", "dcap")
_ARRAYS = ("repeaters", "meters", "walls", "outages", "tampers", "faults", "presses", "units")


def site_to_toml(site: Site, out_dir: Path | None = None) -> str:
    """The site file text of ``site``: the tables first, then one ``[[…]]`` block per device,
    wall and event, in the order of the schema (docs/site.md)."""
    doc = site_to_dict(site, out_dir)
    parts = [f"# openamr site file (schema {SCHEMA_VERSION}); see docs/site.md\n"
             "# positions in metres, floors from 0, times in seconds from the start\n\n",
             f"schema_version = {doc['schema_version']}\n"]
    for name in _TABLES:
        if name in doc:
            parts.append(f"\n[{name}]\n{tomli_w.dumps(doc[name])}")
    for name in _ARRAYS:
        for row in doc.get(name, ()):
            parts.append(f"\n[[{name}]]\n{tomli_w.dumps(row)}")
    return "".join(parts)


def write_site(site: Site, path: str | Path) -> Path:
    """Write ``site`` to ``path`` (UTF-8 TOML) and return the path."""
    path = Path(path)
    try:
        path.write_text(site_to_toml(site, path.resolve().parent), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the site file: {exc.strerror}", where=str(path)) from None
    return path
