"""Read and validate a site file (TOML): every fault is refused with the key and the reason.

Messages look like ``site.toml: repeaters[3].x_m: expected a number, got "ten"``: the
:class:`~openamr.errors.InputError`'s ``where`` is ``<file>: <key path>`` (``<file>:<line>:<col>``
for TOML syntax errors).  Unknown keys are refused with the list of allowed ones; ids must be
unique across all devices; outages and tampers must name known devices.
"""

from __future__ import annotations

import math
import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from openamr.errors import InputError
from openamr.field.meter.wiring import CT1_VALUES, CT2_VALUES, V2_VALUES
from openamr.field.radio import Placement, RadioParams
from openamr.field.site.model import (
    DEFAULT_SCALE_W,
    SCHEMA_VERSION,
    Building,
    Dcap,
    ElementLoad,
    Fault,
    LoadKind,
    LoadSpec,
    Meter,
    Outage,
    Press,
    Repeater,
    Site,
    SiteUnit,
    Tamper,
    Wall,
)
from openamr.timeutil import epoch_s, parse_utc, site_zone

__all__ = ["SiteError", "load_site", "parse_site", "parse_start_utc", "site_from_text"]


class SiteError(InputError):
    """A site file that cannot be used."""


_TOP = ("schema_version", "site", "building", "walls", "dcap", "repeaters", "meters", "outages",
        "tampers", "faults", "presses", "radio", "units", "tou")
_SITE = ("id", "name", "time_zone", "start_utc", "seed", "description", "latitude_deg",
         "longitude_deg")
_BUILDING = ("floors", "floor_height_m", "width_m", "depth_m")
_WALL = ("floor", "x1_m", "y1_m", "x2_m", "y2_m", "loss_db")
_DEVICE = ("id", "x_m", "y_m", "floor", "placement", "power_on_s", "tx_power_dbm")
_PV = ("pv_kwp", "pv_tilt_deg", "pv_azimuth_deg")
_UCI = ("load_uci_year", "load_uci_shift_weeks", "load_uci_shift_min")
_METER = (*_DEVICE, "model", "rating_a", "service", "load", "load_scale_w", "load_csv", "unit",
          *_PV, *_UCI, "clock_drift_ppm", "loads", "ct_ratio_error_pct", "ct_phase_error_deg")
_ELEMENT_LOAD = ("element", "load", "load_scale_w", "load_csv", *_UCI)
_UNIT = ("id", "name", "kind", "floor_area_m2")
_OUTAGE = ("device", "start_s", "duration_s")
_TAMPER = ("meter", "start_s", "duration_s")
_FAULT = ("meter", "start_s", "ct1", "ct2", "v2")
_PRESS = ("mdt", "start_s", "kind")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


class _Reader:
    """Typed access to one table of the file, with the key path for messages."""

    def __init__(self, file: str, path: str, table: Any, allowed: tuple[str, ...]) -> None:
        self.file = file
        self.path = path
        if not isinstance(table, dict):
            raise self.error("", f"expected a table, got {_show(table)}")
        self.table: dict[str, Any] = table
        unknown = sorted(set(table) - set(allowed))
        if unknown:
            raise self.error(unknown[0], f"unknown key; allowed: {', '.join(allowed)}")

    def key(self, name: str) -> str:
        if not name:
            return self.path
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, message: str) -> SiteError:
        return SiteError(message, where=f"{self.file}: {self.key(name)}")

    def has(self, name: str) -> bool:
        return name in self.table

    def _get(self, name: str, required: bool) -> Any:
        if name not in self.table:
            if required:
                raise self.error(name, "missing (required)")
            return None
        return self.table[name]

    def number(self, name: str, *, required: bool = True, default: float | None = None,
               minimum: float | None = None, positive: bool = False) -> float | None:
        value = self._get(name, required and default is None)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(name, f"expected a number, got {_show(value)}")
        value = float(value)
        if not math.isfinite(value):
            raise self.error(name, f"expected a finite number, got {value!r}")
        if positive and value <= 0:
            raise self.error(name, f"must be positive, got {_num(value)}")
        if minimum is not None and value < minimum:
            raise self.error(name, f"must be at least {_num(minimum)}, got {_num(value)}")
        return value

    def req_number(self, name: str, **kw: Any) -> float:
        value = self.number(name, **kw)
        assert value is not None
        return value

    def integer(self, name: str, *, required: bool = True, default: int | None = None,
                minimum: int | None = None, maximum: int | None = None) -> int:
        value = self._get(name, required and default is None)
        if value is None:
            assert default is not None
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, f"expected an integer, got {_show(value)}")
        if minimum is not None and value < minimum:
            raise self.error(name, f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise self.error(name, f"must be at most {maximum}, got {value}")
        return value

    def string(self, name: str, *, required: bool = True, default: str | None = None
               ) -> str | None:
        value = self._get(name, required and default is None)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.error(name, f"expected a string, got {_show(value)}")
        if not value.strip():
            raise self.error(name, "must not be empty")
        return value

    def req_string(self, name: str) -> str:
        value = self.string(name)
        assert value is not None
        return value

    def array(self, name: str) -> list[Any]:
        value = self.table.get(name, [])
        if not isinstance(value, list):
            raise self.error(name, f"expected an array of tables ([[{name}]]), got {_show(value)}")
        return value


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _device_common(r: _Reader, floors: int) -> dict[str, Any]:
    device_id = r.req_string("id").strip()
    placement_text = r.string("placement", default="open")
    try:
        placement = Placement.parse(placement_text)
    except InputError as exc:
        raise r.error("placement", exc.message) from None
    return {
        "id": device_id,
        "x_m": r.req_number("x_m"),
        "y_m": r.req_number("y_m"),
        "floor": r.integer("floor", minimum=0, maximum=floors - 1),
        "placement": placement,
        "power_on_s": r.number("power_on_s", default=0.0, minimum=0.0),
        "tx_power_dbm": r.number("tx_power_dbm", required=False),
    }


def _load_spec(r: _Reader, base_dir: Path, csv_cache: dict[Path, None]) -> LoadSpec:
    kind_text = r.string("load", required=False)
    csv_text = r.string("load_csv", required=False)
    if kind_text is None:
        kind_text = "csv" if csv_text is not None else "household"
    try:
        kind = LoadKind(kind_text)
    except ValueError:
        known = ", ".join(k.value for k in LoadKind)
        raise r.error("load", f"unknown load {kind_text!r}; known: {known}") from None
    if kind is not LoadKind.PV:
        for key in _PV:
            if r.has(key):
                raise r.error(key, f'only allowed with load = "pv" (load is "{kind.value}")')
    if kind is not LoadKind.UCI:
        for key in _UCI:
            if r.has(key):
                raise r.error(key, f'only allowed with load = "uci" (load is "{kind.value}")')
    else:
        return _uci_spec(r, csv_text)
    if kind is LoadKind.PV:
        for key in ("load_scale_w", "load_csv"):
            if r.has(key):
                raise r.error(key, 'not allowed with load = "pv" (give pv_kwp instead)')
        # defaults: PVWatts' 20 degree tilt, facing south (openamr.field.solar)
        return LoadSpec(kind, pv_kwp=r.req_number("pv_kwp", positive=True),
                        pv_tilt_deg=r.number("pv_tilt_deg", default=20.0, minimum=0.0),
                        pv_azimuth_deg=r.number("pv_azimuth_deg", default=180.0, minimum=0.0))
    if kind is LoadKind.CSV:
        if csv_text is None:
            raise r.error("load_csv", 'missing: load = "csv" needs load_csv = "<path>"')
        if r.has("load_scale_w"):
            raise r.error("load_scale_w", "not allowed with a CSV load (scale the CSV instead)")
        path = (base_dir / csv_text).resolve()
        if path not in csv_cache:
            from openamr.field.meter.profile import read_profile_csv

            try:
                read_profile_csv(path)
            except InputError as exc:
                raise r.error("load_csv", f"{exc}") from None
            csv_cache[path] = None
        return LoadSpec(kind, None, path, csv_text)
    if csv_text is not None:
        raise r.error("load_csv", f'only allowed with load = "csv" (load is "{kind.value}")')
    scale = r.number("load_scale_w", default=DEFAULT_SCALE_W[kind], minimum=0.0)
    return LoadSpec(kind, scale)


def _uci_spec(r: _Reader, csv_text: str | None) -> LoadSpec:
    """A measured household (``load = "uci"``): the data is read when the loads are computed
    (:mod:`openamr.field.uci`), so a site file stays readable without the optional package."""
    from openamr.field.uci.profile import SHIFT_MIN_MAX, SHIFT_WEEKS_MAX, UCI_YEARS

    if csv_text is not None:
        raise r.error("load_csv", 'not allowed with load = "uci"')
    year = None
    if r.has("load_uci_year"):
        year = r.integer("load_uci_year", minimum=UCI_YEARS[0], maximum=UCI_YEARS[-1])
    weeks = None
    if r.has("load_uci_shift_weeks"):
        weeks = r.integer("load_uci_shift_weeks", minimum=-SHIFT_WEEKS_MAX,
                          maximum=SHIFT_WEEKS_MAX)
    minutes = None
    if r.has("load_uci_shift_min"):
        minutes = r.integer("load_uci_shift_min", minimum=-SHIFT_MIN_MAX, maximum=SHIFT_MIN_MAX)
    return LoadSpec(LoadKind.UCI, r.number("load_scale_w", required=False, minimum=0.0),
                    uci_year=year, uci_shift_weeks=weeks,
                    uci_shift_min=minutes)


def _meter(r: _Reader, floors: int, base_dir: Path, csv_cache: dict[Path, None]) -> Meter:
    from openamr.field.meter.catalogue import Service, get_model

    common = _device_common(r, floors)
    model_name = r.string("model", default="MMSMT-C02")
    assert model_name is not None
    rating = r.integer("rating_a", default=200)
    try:
        model = get_model(model_name, rating)
    except InputError as exc:
        raise r.error("model" if exc.where == "model" else "rating_a", exc.message) from None
    if not model.has_mdt:
        raise r.error("model", f"{model_name} has no MDT (no wireless transceiver): a wireless "
                               "site needs an MMSMT model (MMSMT-C02, MMSMT-D02, MMSMT-E02)")
    service_text = r.string("service", default="split")
    try:
        service = Service.parse(service_text or "split")
    except InputError as exc:
        raise r.error("service", exc.message) from None
    loads: list[ElementLoad] = []
    for k, table in enumerate(r.array("loads")):
        sub_r = _Reader(r.file, f"{r.path}.loads[{k}]", table, _ELEMENT_LOAD)
        element = sub_r.integer("element", minimum=1, maximum=2)
        if element == 2 and service.value == "single":
            raise sub_r.error("element", "a single-element meter has no element 2")
        loads.append(ElementLoad(element, _load_spec(sub_r, base_dir, csv_cache)))
    if loads:
        for key in ("load", "load_scale_w", "load_csv", *_UCI):
            if r.has(key):
                raise r.error(key, "not allowed with [[meters.loads]] (give each load there)")
    return Meter(**common, model=model_name, rating_a=rating, service=service.value,
                 load=_load_spec(r, base_dir, csv_cache), unit=r.string("unit", required=False),
                 loads=tuple(loads), ct_ratio_error_pct=_ct_error(r, "ct_ratio_error_pct", 50.0),
                 ct_phase_error_deg=_ct_error(r, "ct_phase_error_deg", 30.0),
                 clock_drift_ppm=_drift_ppm(r))


def _ct_error(r: _Reader, key: str, bound: float) -> float:
    """A meter's CT error within ``openamr meter accuracy``'s bounds (a CT with larger errors
    is not a CT); 0 when not given."""
    value = r.number(key, default=0.0)
    assert value is not None
    if not -bound < value < bound:
        raise r.error(key, f"must be between -{_num(bound)} and {_num(bound)}, got "
                           f"{_num(value)}")
    return value


def _drift_ppm(r: _Reader) -> float | None:
    value = r.number("clock_drift_ppm", required=False, minimum=-500.0)
    if value is not None and value > 500.0:
        raise r.error("clock_drift_ppm", f"must be at most 500 ppm, got {_num(value)}")
    return value


def parse_start_utc(text: str, *, where: str | None = None) -> int:
    """UTC epoch seconds of an ISO 8601 instant written in UTC with a ``Z`` suffix."""
    if not text.strip().endswith("Z"):
        raise InputError(f"{text!r} must be an ISO 8601 time in UTC with a Z suffix, "
                         "e.g. 2026-03-02T08:00:00Z", where=where)
    return epoch_s(parse_utc(text, where=where))


_SYNTAX = re.compile(r"^(?P<msg>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)$")


def load_site(path: str | Path) -> Site:
    """Read, validate and return the site file at ``path`` (raises :class:`SiteError`)."""
    path = Path(path)
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SiteError("no such file", where=name) from None
    except OSError as exc:
        raise SiteError(f"cannot read the file: {exc.strerror}", where=name) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SiteError(f"not UTF-8 text: {exc.reason}", where=name) from None
    return site_from_text(text, file=name, base_dir=path.resolve().parent, source=path)


def site_from_text(text: str, *, file: str = "site.toml", base_dir: Path | None = None,
                   source: Path | None = None) -> Site:
    """Read, validate and return a site file's ``text`` (raises :class:`SiteError`): for a file
    read elsewhere (a Dask worker is handed the text).  ``file`` names it in messages; CSV load
    paths are relative to ``base_dir`` (default: the current directory)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _SYNTAX.match(str(exc))
        if m:
            raise SiteError(f"TOML syntax error: {m['msg']}",
                            where=f"{file}:{m['line']}:{m['col']}") from None
        raise SiteError(f"TOML syntax error: {exc}", where=file) from None
    return parse_site(data, file=file, base_dir=base_dir, source=source)


def parse_site(data: dict[str, Any], *, file: str = "site.toml", base_dir: Path | None = None,
               source: Path | None = None) -> Site:
    """Validate an already-parsed TOML document and build the :class:`Site`.

    ``file`` names the document in messages; CSV load paths are relative to ``base_dir``
    (default: the current directory).
    """
    base_dir = base_dir or Path.cwd()
    top = _Reader(file, "", data, _TOP)
    version = top.integer("schema_version", default=SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise top.error("schema_version",
                        f"unsupported schema version {version} (this openamr reads "
                        f"{SCHEMA_VERSION})")

    if "site" not in data:
        raise top.error("site", "missing table [site] (name, time_zone)")
    s = _Reader(file, "site", data["site"], _SITE)
    site_name = s.req_string("name")
    zone_name = s.req_string("time_zone")
    try:
        site_zone(zone_name)
    except InputError as exc:
        raise s.error("time_zone", exc.message) from None
    start_s: int | None = None
    raw_start = s.table.get("start_utc")
    if isinstance(raw_start, datetime):
        # a TOML offset date-time (unquoted): must be UTC
        offset = raw_start.utcoffset()
        if offset is None or offset.total_seconds() != 0:
            raise s.error("start_utc", f"{raw_start.isoformat()} must be in UTC (write it with "
                                       "a Z suffix, e.g. 2026-03-02T08:00:00Z)")
        start_s = epoch_s(raw_start)
    start_text = None if start_s is not None else s.string("start_utc", required=False)
    if start_text is not None:
        try:
            start_s = parse_start_utc(start_text)
        except InputError as exc:
            raise s.error("start_utc", exc.message) from None
    seed = s.integer("seed", default=0, minimum=0)
    description = s.string("description", required=False)
    latitude = s.number("latitude_deg", required=False, minimum=-90.0)
    longitude = s.number("longitude_deg", required=False, minimum=-180.0)
    for key, value, top_deg in (("latitude_deg", latitude, 90.0),
                                ("longitude_deg", longitude, 180.0)):
        if value is not None and value > top_deg:
            raise s.error(key, f"must be at most {top_deg:g}, got {_num(value)}")
    site_id = s.string("id", required=False)

    if "building" not in data:
        raise top.error("building", "missing table [building] (floors)")
    b = _Reader(file, "building", data["building"], _BUILDING)
    building = Building(
        floors=b.integer("floors", minimum=1, maximum=500),
        floor_height_m=b.req_number("floor_height_m", default=3.0, positive=True),
        width_m=b.number("width_m", required=False, positive=True),
        depth_m=b.number("depth_m", required=False, positive=True),
    )
    floors = building.floors

    walls: list[Wall] = []
    for i, table in enumerate(top.array("walls")):
        w = _Reader(file, f"walls[{i}]", table, _WALL)
        wall = Wall(floor=w.integer("floor", minimum=0, maximum=floors - 1),
                    x1_m=w.req_number("x1_m"), y1_m=w.req_number("y1_m"),
                    x2_m=w.req_number("x2_m"), y2_m=w.req_number("y2_m"),
                    loss_db=w.number("loss_db", required=False, minimum=0.0))
        if (wall.x1_m, wall.y1_m) == (wall.x2_m, wall.y2_m):
            raise w.error("x2_m", "a wall needs two distinct end points")
        walls.append(wall)

    if "dcap" not in data:
        raise top.error("dcap", "missing table [dcap] (every wireless site has one DCAP)")
    dcap = Dcap(**_device_common(_Reader(file, "dcap", data["dcap"], _DEVICE), floors))
    repeaters = tuple(
        Repeater(**_device_common(_Reader(file, f"repeaters[{i}]", t, _DEVICE), floors))
        for i, t in enumerate(top.array("repeaters")))
    csv_cache: dict[Path, None] = {}
    meters = tuple(
        _meter(_Reader(file, f"meters[{i}]", t, _METER), floors, base_dir, csv_cache)
        for i, t in enumerate(top.array("meters")))

    seen: dict[str, str] = {dcap.id: "dcap"}
    for group, items in (("repeaters", repeaters), ("meters", meters)):
        for i, dev in enumerate(items):
            if dev.id in seen:
                raise SiteError(f"duplicate id {dev.id!r} (already used by {seen[dev.id]})",
                                where=f"{file}: {group}[{i}].id")
            seen[dev.id] = f"{group}[{i}]"
    meter_ids = {m.id for m in meters}
    for i, m in enumerate(meters):
        if m.load.kind is LoadKind.PV:
            from openamr.field.solar import PvArray

            if latitude is None or longitude is None:
                raise SiteError('load = "pv" needs [site] latitude_deg and longitude_deg',
                                where=f"{file}: meters[{i}].load")
            try:
                PvArray(m.load.pv_kwp or 0.0, m.load.pv_tilt_deg or 0.0,
                        m.load.pv_azimuth_deg or 0.0, latitude, longitude)
            except InputError as exc:
                raise SiteError(exc.message, where=f"{file}: meters[{i}].{exc.where}"
                                .replace(".kwp", ".pv_kwp").replace(".tilt", ".pv_tilt")
                                .replace(".azimuth", ".pv_azimuth")) from None
    units: list[SiteUnit] = []
    for i, table in enumerate(top.array("units")):
        u = _Reader(file, f"units[{i}]", table, _UNIT)
        unit = SiteUnit(u.req_string("id"), u.string("name", required=False),
                        u.string("kind", required=False),
                        u.number("floor_area_m2", required=False, positive=True))
        if unit.id in {x.id for x in units}:
            raise u.error("id", f"duplicate unit id {unit.id!r}")
        units.append(unit)

    outages: list[Outage] = []
    for i, table in enumerate(top.array("outages")):
        o = _Reader(file, f"outages[{i}]", table, _OUTAGE)
        device = o.req_string("device")
        if device not in seen:
            raise o.error("device", f"unknown device id {device!r}")
        outages.append(Outage(device, o.req_number("start_s", minimum=0.0),
                              o.req_number("duration_s", positive=True)))
    tampers: list[Tamper] = []
    for i, table in enumerate(top.array("tampers")):
        t = _Reader(file, f"tampers[{i}]", table, _TAMPER)
        meter = t.req_string("meter")
        if meter not in meter_ids:
            raise t.error("meter", f"unknown meter id {meter!r}"
                          + (" (tamper events are for meters)" if meter in seen else ""))
        tampers.append(Tamper(meter, t.req_number("start_s", minimum=0.0),
                              t.number("duration_s", required=False, positive=True)))

    faults: list[Fault] = []
    for i, table in enumerate(top.array("faults")):
        f = _Reader(file, f"faults[{i}]", table, _FAULT)
        meter = f.req_string("meter")
        if meter not in meter_ids:
            raise f.error("meter", f"unknown meter id {meter!r}")
        values: dict[str, str] = {}
        for key, allowed in (("ct1", CT1_VALUES), ("ct2", CT2_VALUES), ("v2", V2_VALUES)):
            wiring = f.string(key, required=False)
            if wiring is not None:
                if wiring not in allowed:
                    raise f.error(key, f"{wiring!r} is not one of {', '.join(allowed)} (the "
                                       f"values of openamr meter simulate --{key})")
                values[key] = wiring
        if not values:
            raise f.error("ct1", "a fault needs at least one of ct1, ct2, v2")
        faults.append(Fault(meter, f.req_number("start_s", default=0.0, minimum=0.0),
                            **values))
    presses: list[Press] = []
    for i, table in enumerate(top.array("presses")):
        p = _Reader(file, f"presses[{i}]", table, _PRESS)
        mdt = p.req_string("mdt")
        if mdt not in meter_ids:
            raise p.error("mdt", f"unknown MDT (meter) id {mdt!r}")
        kind = p.req_string("kind")
        if kind not in ("tap", "hold"):
            raise p.error("kind", f"{kind!r} is not one of tap, hold")
        presses.append(Press(mdt, p.req_number("start_s", minimum=0.0),
                             "tap" if kind == "tap" else "hold"))

    radio = RadioParams()
    overrides: tuple[tuple[str, float], ...] = ()
    if "radio" in data:
        table = data["radio"]
        if not isinstance(table, dict):
            raise top.error("radio", f"expected a table, got {_show(table)}")
        try:
            radio = radio.with_overrides(table, where=f"{file}: radio")
        except InputError as exc:
            where = exc.where or "radio"
            if not where.startswith(file):
                where = f"{file}: {where}"
            raise SiteError(exc.message, where=where) from None
        overrides = tuple((k, float(v)) for k, v in table.items())

    tou = data.get("tou")  # checked by the head-end (openamr.headend.tou) when it is stored
    if tou is not None and not isinstance(tou, dict):
        raise top.error("tou", f"expected a table, got {_show(tou)}")

    return Site(name=site_name, time_zone=zone_name, building=building, dcap=dcap,
                repeaters=repeaters, meters=meters, walls=tuple(walls), outages=tuple(outages),
                tampers=tuple(tampers), faults=tuple(faults), presses=tuple(presses),
                radio=radio, radio_overrides=overrides, start_s=start_s,
                seed=seed, description=description, source=source, id=site_id,
                latitude_deg=latitude, longitude_deg=longitude, units=tuple(units), tou=tou)
