"""OpenEI Utility Rate Database (URDB, API v8) JSON → :class:`~openamr.billing.tariff.Tariff`.

Field semantics follow PySAM's ``UtilityRateTools.URDBv8_to_ElectricityRates`` and NREL REopt's
``urdb.jl`` (see ``docs/tariffs.md``): ``energyratestructure[period][tier] = {rate, adj, max,
unit}`` with ``rate + adj`` the price and ``max`` the cumulative upper bound; 12 × 24 0-based
period matrices ``energyweekdayschedule``/``energyweekendschedule`` in local hours;
``flatdemandstructure`` + ``flatdemandmonths``; ``demandratestructure`` with its schedules;
``fixedchargefirstmeter`` + ``fixedchargeunits``; ``mincharge`` + ``minchargeunits``.

Supported tier units: ``kWh`` (per month) and ``kWh daily`` (× days, a baseline allowance); a
record using anything else (``kWh/kW``, ratchets, coincident demand ...) is refused with the key,
never silently mispriced.  The file may hold one record or the API answer ``{"items": [...]}``
(the first item is used).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.billing.money import decimal_of
from openamr.billing.tariff import (
    Charge,
    DemandPeriod,
    DemandTier,
    EnergyPeriod,
    EnergyTier,
    Tariff,
)
from openamr.errors import InputError
from openamr.timeutil import SLOTS_PER_WALL_DAY

__all__ = ["load_urdb_json", "parse_urdb"]

_ENERGY_UNITS = {"kWh": "monthly", "kWh daily": "daily"}
_CHARGE_UNITS = {"$/month": "month", "$/day": "day", "$/year": "year"}
_UNSUPPORTED = ("demandratchetpercentage", "coincidentratestructure", "lookbackpercent",
                "demandreactivepowercharge", "fueladjustmentsmonthly")


def load_urdb_json(path: Path) -> Tariff:
    """Read a URDB JSON file (``InputError`` naming the file and key on any fault)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", where=str(path)) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (line {exc.lineno})",
                         where=str(path)) from exc
    try:
        return parse_urdb(data, source=str(path))
    except InputError as exc:
        raise InputError(exc.message, where=f"{path}: {exc.where}" if exc.where
                         else str(path)) from exc


def _matrix(item: Mapping[str, Any], key: str, periods: int) -> npt.NDArray[np.int16]:
    raw = item.get(key)
    if not isinstance(raw, list) or len(raw) != 12 or any(
            not isinstance(row, list) or len(row) != 24 for row in raw):
        raise InputError("expected 12 rows (months) of 24 period indices (hours)", where=key)
    for m, row in enumerate(raw):
        for h, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < periods:
                raise InputError(f"{value!r} is not a period index 0..{periods - 1}",
                                 where=f"{key}[{m}][{h}]")
    return np.repeat(np.asarray(raw, dtype=np.int16), SLOTS_PER_WALL_DAY // 24, axis=1)


def _structure(item: Mapping[str, Any], key: str) -> Sequence[Sequence[Mapping[str, Any]]]:
    raw = item.get(key)
    if not isinstance(raw, list) or not raw or any(
            not isinstance(p, list) or not p or any(not isinstance(t, Mapping) for t in p)
            for p in raw):
        raise InputError("expected [period][tier] of {rate, adj, max}", where=key)
    return raw


def _price(tier: Mapping[str, Any], where: str) -> Decimal:
    if "rate" not in tier:
        raise InputError("missing key", where=f"{where}.rate")
    return (decimal_of(tier["rate"], f"{where}.rate")
            + decimal_of(tier.get("adj", 0), f"{where}.adj"))


def _limit(tier: Mapping[str, Any], where: str) -> Decimal | None:
    if tier.get("max") is None:
        return None
    return decimal_of(tier["max"], f"{where}.max", minimum=Decimal(0))


def _charge(item: Mapping[str, Any], key: str, unit_key: str) -> Charge | None:
    value = item.get(key)
    if value in (None, 0):
        return None
    unit = item.get(unit_key, "$/month")
    if unit not in _CHARGE_UNITS:
        raise InputError(f"unsupported unit {unit!r} (use one of {', '.join(_CHARGE_UNITS)})",
                         where=unit_key)
    return Charge(decimal_of(value, key, minimum=Decimal(0)), _CHARGE_UNITS[unit])


def _is_zero(value: object) -> bool:
    """Absent, zero, or (nested) lists of zeros: a feature the record does not use."""
    if isinstance(value, list):
        return all(_is_zero(v) for v in value)
    return value is None or (isinstance(value, int | float) and value == 0)


def _demand_periods(item: Mapping[str, Any], key: str, label: str) -> list[DemandPeriod]:
    """The demand periods of a URDB rate structure (``flatdemandstructure`` or
    ``demandratestructure``), named ``<label> <index>``."""
    return [DemandPeriod(f"{label} {p}", tuple(
                DemandTier(_price(t, f"{key}[{p}][{i}]"), _limit(t, f"{key}[{p}][{i}]"))
                for i, t in enumerate(tiers)))
            for p, tiers in enumerate(_structure(item, key))]


def parse_urdb(data: object, *, source: str = "") -> Tariff:
    """A tariff from a parsed URDB v8 record (or ``{"items": [record, ...]}``)."""
    item: Any = data
    if isinstance(data, Mapping) and "items" in data:
        items = data["items"]
        if not isinstance(items, list) or not items:
            raise InputError("expected a non-empty array of rate records", where="items")
        item = items[0]
    if not isinstance(item, Mapping):
        raise InputError("expected a URDB rate record (a JSON object)", where="(top)")
    for key in _UNSUPPORTED:
        if not _is_zero(item.get(key)):
            raise InputError("not supported by openamr's bill engine (the bill would be wrong)",
                             where=key)
    structure = _structure(item, "energyratestructure")
    units: set[str] = set()
    periods = []
    for p, tiers in enumerate(structure):
        out = []
        for t, tier in enumerate(tiers):
            where = f"energyratestructure[{p}][{t}]"
            unit = tier.get("unit", "kWh")
            if unit not in _ENERGY_UNITS:
                raise InputError(f"unsupported tier unit {unit!r} (use one of "
                                 f"{', '.join(_ENERGY_UNITS)})", where=f"{where}.unit")
            units.add(_ENERGY_UNITS[unit])
            out.append(EnergyTier(_price(tier, where), _limit(tier, where)))
        periods.append(EnergyPeriod(f"period {p}", tuple(out)))
    if len(units) > 1:
        raise InputError("mixes kWh and kWh daily tiers", where="energyratestructure")
    n = len(periods)
    weekday = _matrix(item, "energyweekdayschedule", n)
    weekend = _matrix(item, "energyweekendschedule", n)
    flat_periods: list[DemandPeriod] = []
    flat_months: tuple[int, ...] = ()
    if item.get("flatdemandstructure"):
        flat_periods = _demand_periods(item, "flatdemandstructure", "flat")
        months = item.get("flatdemandmonths")
        if not isinstance(months, list) or len(months) != 12 or any(
                isinstance(m, bool) or not isinstance(m, int) or not 0 <= m < len(flat_periods)
                for m in months):
            raise InputError(f"expected 12 flat-demand period indices "
                             f"0..{len(flat_periods) - 1}", where="flatdemandmonths")
        flat_months = tuple(int(m) for m in months)
    demand_periods: list[DemandPeriod] = []
    dweekday = dweekend = None
    if item.get("demandratestructure"):
        demand_periods = _demand_periods(item, "demandratestructure", "demand")
        m = len(demand_periods)
        dweekday = _matrix(item, "demandweekdayschedule", m)
        dweekend = _matrix(item, "demandweekendschedule", m)
    for key in ("flatdemandunit", "demandrateunit"):
        if item.get(key, "kW") != "kW":
            raise InputError(f"unsupported demand unit {item[key]!r} (only kW)", where=key)
    if item.get("demandwindow", 15) != 15:
        raise InputError("only 15-minute demand windows are supported (the MDT's interval)",
                         where="demandwindow")
    label = str(item.get("label", ""))
    return Tariff.build(
        name=str(item.get("name") or label or "URDB tariff"),
        currency="USD",
        utility=str(item.get("utility", "")),
        source=source + (f" (URDB {label})" if label else ""),
        energy_periods=tuple(periods),
        energy_weekday=weekday, energy_weekend=weekend,
        tier_unit=units.pop() if units else "monthly",
        flat_demand_periods=tuple(flat_periods), flat_demand_months=flat_months,
        demand_periods=tuple(demand_periods), demand_weekday=dweekday, demand_weekend=dweekend,
        fixed=_charge(item, "fixedchargefirstmeter", "fixedchargeunits"),
        minimum=_charge(item, "mincharge", "minchargeunits"),
    )
