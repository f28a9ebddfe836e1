"""Our readable tariff format (TOML) → :class:`~openamr.billing.tariff.Tariff`.

The format is documented with examples in ``docs/tariffs.md`` (examples in
``examples/tariffs/``).  In short: ``[tariff]`` (name, currency, kind, holidays), ``[policy]``,
``[seasons]`` (name = months), ``[[energy.periods]]`` with ``tiers`` (or one
``rate_per_kwh``) and ``when`` windows (season or months, ``weekdays``/``weekends``/``all``,
``from``/``to`` local ``HH:MM`` on the quarter-hour), ``[[demand.flat]]``,
``[[demand.periods]]``, ``[fixed]``, ``[minimum]``, ``[incentive]``.  A period without ``when``
takes every quarter-hour no earlier period took; each quarter-hour belongs to the FIRST period
that names it.  Unknown keys and malformed values are refused with the key path.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from openamr.billing.money import decimal_of
from openamr.billing.tariff import (
    POLICY_CHOICES,
    Charge,
    DemandPeriod,
    DemandTier,
    EnergyPeriod,
    EnergyTier,
    Policy,
    Tariff,
)
from openamr.errors import InputError
from openamr.timeutil import SLOTS_PER_WALL_DAY

__all__ = ["load_tariff_toml", "parse_tariff_text", "parse_tariff_toml"]

_Tier = TypeVar("_Tier", EnergyTier, DemandTier)

_TOP = {"tariff", "policy", "seasons", "energy", "demand", "fixed", "minimum", "incentive"}
_DAYS = ("all", "weekdays", "weekends")


def load_tariff_toml(path: Path) -> Tariff:
    """Read a TOML tariff file (``InputError`` naming the file and key on any fault)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", where=str(path)) from exc
    return parse_tariff_text(text, where=str(path))


def parse_tariff_text(text: str, *, where: str, source: str | None = None) -> Tariff:
    """A tariff from the text of a TOML tariff (a file, a form field, a request body):
    ``InputError`` naming ``where`` and the key inside it on any fault; ``source`` (default
    ``where``) is recorded in the tariff."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", where=where) from exc
    try:
        return parse_tariff_toml(data, source=source if source is not None else where)
    except InputError as exc:
        raise InputError(exc.message, where=f"{where}: {exc.where}" if exc.where
                         else where) from exc


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise InputError("expected a table", where=f"{where}{key}")
    return value


def _keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})",
                         where=f"{where}.{unknown[0]}" if where else unknown[0])


def _str(data: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise InputError("expected a non-empty string", where=f"{where}.{key}")
    return value.strip()


def _list(value: object, where: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise InputError("expected an array", where=where)
    return value


def _tables(value: object, where: str,
            allowed: set[str]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each table of the array ``value`` at ``where`` with its place (``where[i]``), its keys
    checked against ``allowed``."""
    for i, item in enumerate(_list(value, where)):
        w = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            raise InputError(f"expected a table (keys: {', '.join(sorted(allowed))})", where=w)
        _keys(item, allowed, w)
        yield w, item


def _quarter(text: object, where: str, *, end: bool) -> int:
    """``HH:MM`` on the quarter-hour → slot index (``24:00`` allowed as an end)."""
    if not isinstance(text, str) or len(text.split(":")) != 2:
        raise InputError(f"expected a time HH:MM, not {text!r}", where=where)
    hh, mm = text.split(":")
    if not (hh.isdigit() and mm.isdigit()):
        raise InputError(f"expected a time HH:MM, not {text!r}", where=where)
    minutes = int(hh) * 60 + int(mm)
    limit = 24 * 60 if end else 24 * 60 - 15
    if int(mm) >= 60 or minutes > limit:
        raise InputError(f"time {text!r} is out of range", where=where)
    if minutes % 15:
        raise InputError(f"time {text!r} is not on a quarter-hour", where=where)
    return minutes // 15


def _windows(period: Mapping[str, Any], where: str,
             seasons: Mapping[str, list[int]]) -> npt.NDArray[np.bool_] | None:
    """Mask [2 day types, 12 months, 96 slots] of a period's ``when`` (None: everything)."""
    if "when" not in period:
        return None
    mask = np.zeros((2, 12, SLOTS_PER_WALL_DAY), dtype=bool)
    for w, window in _tables(period["when"], f"{where}.when",
                             {"season", "months", "days", "from", "to"}):
        if "season" in window and "months" in window:
            raise InputError("give a season or months, not both", where=w)
        if "season" in window:
            name = window["season"]
            if name not in seasons:
                raise InputError(f"unknown season {name!r} (defined: "
                                 f"{', '.join(seasons) or 'none'})", where=f"{w}.season")
            months = seasons[name]
        else:
            months = _months(window.get("months", list(range(1, 13))), f"{w}.months")
        days = window.get("days", "all")
        if days not in _DAYS:
            raise InputError(f"unknown days {days!r} (use one of {', '.join(_DAYS)})",
                             where=f"{w}.days")
        first = _quarter(window.get("from", "00:00"), f"{w}.from", end=False)
        last = _quarter(window.get("to", "24:00"), f"{w}.to", end=True)
        slots = np.zeros(SLOTS_PER_WALL_DAY, dtype=bool)
        if first < last:
            slots[first:last] = True
        elif first > last:  # across midnight, e.g. 21:00 to 06:00
            slots[first:] = True
            slots[:last] = True
        else:
            raise InputError("from and to are equal (an empty window)", where=w)
        kinds = {"all": (0, 1), "weekdays": (0,), "weekends": (1,)}[days]
        for kind in kinds:
            for month in months:
                mask[kind, month - 1] |= slots
    return mask


def _months(value: object, where: str) -> list[int]:
    months = _list(value, where)
    if not months or any(isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 12
                         for m in months):
        raise InputError("expected month numbers 1..12", where=where)
    return [int(m) for m in months]


def _tiers(period: Mapping[str, Any], where: str, unit: str,
           make: Callable[[Decimal, Decimal | None], _Tier]) -> tuple[_Tier, ...]:
    """The blocks of an energy (``unit="kwh"``) or demand (``"kw"``) period: one
    ``rate_per_<unit>``, or ``tiers`` of ``{rate_per_<unit>, max_<unit>}``."""
    rate, top = f"rate_per_{unit}", f"max_{unit}"
    if rate in period and "tiers" in period:
        raise InputError(f"give {rate} or tiers, not both", where=where)
    if rate in period:
        return (make(decimal_of(period[rate], f"{where}.{rate}"), None),)
    tiers = []
    for w, tier in _tables(period.get("tiers"), f"{where}.tiers", {rate, top}):
        if rate not in tier:
            raise InputError("missing key", where=f"{w}.{rate}")
        limit = tier.get(top)
        tiers.append(make(decimal_of(tier[rate], f"{w}.{rate}"),
                          None if limit is None else decimal_of(limit, f"{w}.{top}",
                                                                minimum=Decimal(0))))
    return tuple(tiers)


def _energy_tiers(period: Mapping[str, Any], where: str) -> tuple[EnergyTier, ...]:
    return _tiers(period, where, "kwh", EnergyTier)


def _demand_tiers(period: Mapping[str, Any], where: str) -> tuple[DemandTier, ...]:
    return _tiers(period, where, "kw", DemandTier)


def _assign(masks: list[npt.NDArray[np.bool_] | None]) -> npt.NDArray[np.int16]:
    """First period naming a slot wins; -1 where none does."""
    schedule = np.full((2, 12, SLOTS_PER_WALL_DAY), -1, dtype=np.int16)
    for index, mask in enumerate(masks):
        free = schedule == -1
        schedule[free & (True if mask is None else mask)] = index
    return schedule


def _charge(data: Mapping[str, Any], key: str) -> Charge | None:
    if key not in data:
        return None
    table = _table(data, key, "")
    _keys(table, {"amount", "per"}, key)
    if "amount" not in table:
        raise InputError("missing key", where=f"{key}.amount")
    return Charge(decimal_of(table["amount"], f"{key}.amount", minimum=Decimal(0)),
                  str(table.get("per", "month")))


def parse_tariff_toml(data: Mapping[str, Any], *, source: str = "") -> Tariff:
    """A tariff from parsed TOML (``InputError`` naming the key path on any fault)."""
    _keys(data, _TOP, "")
    head = _table(data, "tariff", "")
    _keys(head, {"name", "currency", "kind", "utility", "holidays"}, "tariff")
    name = _str(head, "name", "tariff")
    currency = _str(head, "currency", "tariff", "USD")
    if len(currency) != 3 or not currency.isalpha():
        raise InputError(f"expected an ISO 4217 code such as USD, not {currency!r}",
                         where="tariff.currency")
    kind = _str(head, "kind", "tariff", "retail")
    country, subdivision = None, None
    if "holidays" in head:
        code = _str(head, "holidays", "tariff")
        country, _, sub = code.partition("-")
        subdivision = sub or None
        _check_holidays(country, subdivision)
    policy_table = _table(data, "policy", "")
    _keys(policy_table, set(POLICY_CHOICES), "policy")
    policy = Policy(**{k: str(v) for k, v in policy_table.items()})
    common: dict[str, Any] = {"name": name, "currency": currency.upper(), "kind": kind,
                              "utility": str(head.get("utility", "")), "source": source,
                              "holidays_country": country, "holidays_subdivision": subdivision,
                              "policy": policy}
    if kind == "incentive":
        for key in ("energy", "demand", "fixed", "minimum"):
            if key in data:
                raise InputError("an incentive tariff has only [incentive]", where=key)
        table = _table(data, "incentive", "")
        _keys(table, {"rate_per_kwh"}, "incentive")
        if "rate_per_kwh" not in table:
            raise InputError("missing key", where="incentive.rate_per_kwh")
        empty = np.zeros((12, SLOTS_PER_WALL_DAY), dtype=np.int16)
        return Tariff.build(**common, energy_periods=(), energy_weekday=empty,
                            energy_weekend=empty,
                            incentive_rate_per_kwh=decimal_of(table["rate_per_kwh"],
                                                              "incentive.rate_per_kwh"))
    if "incentive" in data:
        raise InputError("only a tariff of kind 'incentive' has [incentive]", where="incentive")
    seasons_table = _table(data, "seasons", "")
    seasons = {str(k): _months(v, f"seasons.{k}") for k, v in seasons_table.items()}
    energy = _table(data, "energy", "")
    _keys(energy, {"tier_unit", "periods"}, "energy")
    periods_raw = _list(energy.get("periods", []), "energy.periods")
    if not periods_raw:
        raise InputError("a tariff needs at least one [[energy.periods]]", where="energy.periods")
    periods, masks = [], []
    for w, raw in _tables(periods_raw, "energy.periods",
                          {"name", "rate_per_kwh", "tiers", "when"}):
        periods.append(EnergyPeriod(_str(raw, "name", w), _energy_tiers(raw, w)))
        masks.append(_windows(raw, w, seasons))
    schedule = _assign(masks)
    if (schedule == -1).any():
        kind_i, month, slot = (int(x[0]) for x in np.nonzero(schedule == -1))
        raise InputError(
            f"{('weekdays', 'weekends')[kind_i]} of month {month + 1} at "
            f"{slot // 4:02d}:{slot % 4 * 15:02d} belong to no period (add a period "
            "without 'when' to take the rest)", where="energy.periods")
    demand = _table(data, "demand", "")
    _keys(demand, {"flat", "periods"}, "demand")
    flat_periods, flat_months = [], [-1] * 12
    for i, (w, raw) in enumerate(_tables(demand.get("flat", []), "demand.flat",
                                         {"name", "rate_per_kw", "tiers", "months", "season"})):
        flat_periods.append(DemandPeriod(str(raw.get("name", f"flat{i}")), _demand_tiers(raw, w)))
        if "season" in raw:
            if raw["season"] not in seasons:
                raise InputError(f"unknown season {raw['season']!r}", where=f"{w}.season")
            months = seasons[raw["season"]]
        else:
            months = _months(raw.get("months", list(range(1, 13))), f"{w}.months")
        for m in months:
            if flat_months[m - 1] != -1:
                raise InputError(f"month {m} already has a flat demand charge", where=w)
            flat_months[m - 1] = i
    demand_periods, demand_masks = [], []
    for w, raw in _tables(demand.get("periods", []), "demand.periods",
                          {"name", "rate_per_kw", "tiers", "when"}):
        demand_periods.append(DemandPeriod(_str(raw, "name", w), _demand_tiers(raw, w)))
        demand_masks.append(_windows(raw, w, seasons))
    dschedule = _assign(demand_masks) if demand_periods else None
    return Tariff.build(
        **common,
        energy_periods=tuple(periods),
        energy_weekday=schedule[0], energy_weekend=schedule[1],
        tier_unit=str(energy.get("tier_unit", "monthly")),
        flat_demand_periods=tuple(flat_periods),
        flat_demand_months=tuple(flat_months) if flat_periods else (),
        demand_periods=tuple(demand_periods),
        demand_weekday=None if dschedule is None else dschedule[0],
        demand_weekend=None if dschedule is None else dschedule[1],
        fixed=_charge(data, "fixed"), minimum=_charge(data, "minimum"),
    )


def _check_holidays(country: str, subdivision: str | None) -> None:
    """Refuse a country or subdivision the ``holidays`` package does not know."""
    import holidays

    try:
        holidays.country_holidays(country, subdiv=subdivision, years=2000)
    except (NotImplementedError, KeyError) as exc:
        raise InputError(f"the holidays package knows no {country!r}"
                         + (f" subdivision {subdivision!r}" if subdivision else ""),
                         where="tariff.holidays") from exc
