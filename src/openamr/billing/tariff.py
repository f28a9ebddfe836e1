"""The tariff model: what a rate schedule charges, independent of the file it came from.

A :class:`Tariff` is read from our TOML format (:mod:`.tariff_toml`) or from an OpenEI URDB JSON
record (:mod:`.urdb`); both produce the same object.  Time of use is held as two 12 × 96
matrices (month × local quarter-hour of the day) of period indices, one for weekdays and one for
weekends and public holidays, so a period can start on any quarter-hour (URDB's 12 × 24 hourly
matrices are repeated four times).  Demand periods use the same layout, with ``-1`` where no
time-of-use demand charge applies.

Policies (:class:`Policy`) are the choices where practice differs; each is explicit, documented
in ``docs/tariffs.md`` and can be overridden per run (``openamr bill --policy KEY=VALUE``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.timeutil import SLOTS_PER_WALL_DAY

__all__ = [
    "CHARGE_PERIODS",
    "POLICY_CHOICES",
    "TARIFF_KINDS",
    "TIER_UNITS",
    "Charge",
    "DemandPeriod",
    "DemandTier",
    "EnergyPeriod",
    "EnergyTier",
    "Policy",
    "Tariff",
    "with_policy",
]

TIER_UNITS: tuple[str, ...] = ("monthly", "daily")
"""``monthly``: tier limits are kWh per billing period; ``daily``: kWh per day × billable days
(a California baseline allowance)."""

CHARGE_PERIODS: tuple[str, ...] = ("month", "day", "year")
TARIFF_KINDS: tuple[str, ...] = ("retail", "incentive")

POLICY_CHOICES: dict[str, tuple[str, ...]] = {
    "fixed_proration": ("occupied_days", "flat", "daily"),
    "tiers_under_tou": ("proportional", "per_period"),
    "demand_reset": ("billing_period", "calendar_month"),
    "rounding": ("lines", "total"),
    "estimated_incentive": ("defer", "pay", "exclude"),
}
"""Each policy and its choices; the first is the default."""


@dataclass(frozen=True, slots=True)
class EnergyTier:
    """One block of an energy period: ``rate_per_kwh`` up to ``max_kwh`` (None: no limit)."""

    rate_per_kwh: Decimal
    """Price [currency/kWh] (URDB ``rate + adj``)."""
    max_kwh: Decimal | None = None
    """Upper bound of the block [kWh per billing period, or kWh/day when ``tier_unit`` is
    ``daily``]; cumulative over the blocks, as URDB ``max``."""


@dataclass(frozen=True, slots=True)
class DemandTier:
    """One block of a demand charge: ``rate_per_kw`` up to ``max_kw`` (None: no limit)."""

    rate_per_kw: Decimal
    """Price [currency/kW] of the period's maximum 15-minute demand."""
    max_kw: Decimal | None = None
    """Upper bound of the block [kW], cumulative."""


@dataclass(frozen=True, slots=True)
class EnergyPeriod:
    """A named energy period (``peak``, ``off_peak`` ...) and its blocks."""

    name: str
    tiers: tuple[EnergyTier, ...]


@dataclass(frozen=True, slots=True)
class DemandPeriod:
    """A named demand period and its blocks."""

    name: str
    tiers: tuple[DemandTier, ...]


@dataclass(frozen=True, slots=True)
class Charge:
    """A fixed or minimum charge: ``amount`` per ``per`` (``month``, ``day`` or ``year``)."""

    amount: Decimal
    """[currency per ``per``]."""
    per: str = "month"


@dataclass(frozen=True, slots=True)
class Policy:
    """Where practice differs, the choice this tariff makes (first choice is the default).

    * ``fixed_proration``: ``occupied_days`` (the monthly charge × occupied days / days of the
      billing period; a full period pays it exactly), ``flat`` (the monthly charge whatever
      the days, as PySAM), ``daily`` (the charge as a daily amount × occupied days);
    * ``tiers_under_tou``: ``proportional`` (tier limits apply to the billing period's total
      over all periods and each period's kWh is split over the tiers in proportion, as PySAM)
      or ``per_period`` (each period's kWh fills its own tiers);
    * ``demand_reset``: ``billing_period`` (one maximum per bill) or ``calendar_month`` (one per
      local calendar month inside the bill, each charged × its days / the month's days);
    * ``rounding``: ``lines`` (each line is rounded to cents; the total is their sum) or
      ``total`` (lines keep their exact amounts; only the total is rounded, and a
      ``rounding`` line carries the difference so the lines still sum to the total);
    * ``estimated_incentive``: for incentive (PBI) statements, estimated kWh are ``defer``\\ red
      (listed, paid once validated), ``pay``\\ ed like measured kWh, or ``exclude``\\ d.
    """

    fixed_proration: str = "occupied_days"
    tiers_under_tou: str = "proportional"
    demand_reset: str = "billing_period"
    rounding: str = "lines"
    estimated_incentive: str = "defer"

    def __post_init__(self) -> None:
        for key, choices in POLICY_CHOICES.items():
            value = getattr(self, key)
            if value not in choices:
                raise InputError(f"unknown choice {value!r} (use one of {', '.join(choices)})",
                                 where=f"policy.{key}")


def _schedule(value: npt.ArrayLike | None, where: str, periods: int,
              allow_none: bool) -> npt.NDArray[np.int16]:
    if value is None:
        raise InputError("a schedule is missing", where=where)
    array = np.asarray(value, dtype=np.int16)
    if array.shape != (12, SLOTS_PER_WALL_DAY):
        raise InputError(f"a schedule must be 12 months × {SLOTS_PER_WALL_DAY} quarter-hours, "
                         f"not {array.shape}", where=where)
    low = -1 if allow_none else 0
    if array.size and (array.min() < low or array.max() >= periods):
        raise InputError(f"a schedule names a period outside 0..{periods - 1}", where=where)
    return array


@dataclass(frozen=True, eq=False)
class Tariff:
    """A rate schedule.  Build it with :meth:`build`, which checks shapes and indices."""

    name: str
    currency: str
    energy_periods: tuple[EnergyPeriod, ...]
    energy_weekday: npt.NDArray[np.int16]
    """12 × 96 energy period index per local month and quarter-hour, Monday–Friday."""
    energy_weekend: npt.NDArray[np.int16]
    """The same for Saturdays, Sundays and public holidays."""
    tier_unit: str = "monthly"
    flat_demand_periods: tuple[DemandPeriod, ...] = ()
    flat_demand_months: tuple[int, ...] = ()
    """12 flat-demand period indices (one per month; -1: no flat demand charge that month)."""
    demand_periods: tuple[DemandPeriod, ...] = ()
    demand_weekday: npt.NDArray[np.int16] | None = None
    """12 × 96 TOU demand period index (-1: none), weekdays."""
    demand_weekend: npt.NDArray[np.int16] | None = None
    fixed: Charge | None = None
    minimum: Charge | None = None
    holidays_country: str | None = None
    """ISO 3166 country code for the ``holidays`` package (None: no public holidays)."""
    holidays_subdivision: str | None = None
    kind: str = "retail"
    """``retail`` (a bill) or ``incentive`` (a solar PBI statement: measured kWh × rate)."""
    incentive_rate_per_kwh: Decimal | None = None
    utility: str = ""
    source: str = ""
    """Where the tariff was read from (file, URDB label)."""
    policy: Policy = field(default_factory=Policy)

    @classmethod
    def build(cls, **kwargs: object) -> Tariff:
        """A checked tariff (``InputError`` naming the key at fault)."""
        tariff = cls(**kwargs)  # type: ignore[arg-type]
        tariff.check()
        return tariff

    def check(self) -> None:
        """Shapes, indices and choices (``InputError`` naming the key)."""
        if self.kind not in TARIFF_KINDS:
            raise InputError(f"unknown kind {self.kind!r} (use one of {', '.join(TARIFF_KINDS)})",
                             where="tariff.kind")
        if self.tier_unit not in TIER_UNITS:
            raise InputError(f"unknown tier unit {self.tier_unit!r} "
                             f"(use one of {', '.join(TIER_UNITS)})", where="energy.tier_unit")
        if self.kind == "incentive":
            if self.incentive_rate_per_kwh is None:
                raise InputError("an incentive tariff needs a rate", where="incentive.rate_per_kwh")
            return
        if not self.energy_periods:
            raise InputError("a tariff needs at least one energy period", where="energy.periods")
        n = len(self.energy_periods)
        object.__setattr__(self, "energy_weekday",
                           _schedule(self.energy_weekday, "energy.weekday", n, False))
        object.__setattr__(self, "energy_weekend",
                           _schedule(self.energy_weekend, "energy.weekend", n, False))
        for i, period in enumerate(self.energy_periods):
            _check_tiers([t.max_kwh for t in period.tiers], f"energy.periods[{i}].tiers")
        if self.flat_demand_periods:
            if len(self.flat_demand_months) != 12:
                raise InputError("flat demand needs 12 month entries", where="demand.flat.months")
            for month, index in enumerate(self.flat_demand_months):
                if not -1 <= index < len(self.flat_demand_periods):
                    raise InputError(f"month {month + 1} names flat-demand period {index}",
                                     where="demand.flat.months")
            for i, dperiod in enumerate(self.flat_demand_periods):
                _check_tiers([t.max_kw for t in dperiod.tiers], f"demand.flat[{i}].tiers")
        if self.demand_periods:
            m = len(self.demand_periods)
            object.__setattr__(self, "demand_weekday",
                               _schedule(self.demand_weekday, "demand.weekday", m, True))
            object.__setattr__(self, "demand_weekend",
                               _schedule(self.demand_weekend, "demand.weekend", m, True))
            for i, dperiod in enumerate(self.demand_periods):
                _check_tiers([t.max_kw for t in dperiod.tiers], f"demand.periods[{i}].tiers")
        for key, charge in (("fixed", self.fixed), ("minimum", self.minimum)):
            if charge is not None and charge.per not in CHARGE_PERIODS:
                raise InputError(f"unknown charge period {charge.per!r} "
                                 f"(use one of {', '.join(CHARGE_PERIODS)})", where=f"{key}.per")

    def summary(self) -> dict[str, object]:
        """A readable summary (``openamr tariff check``)."""
        out: dict[str, object] = {
            "name": self.name, "kind": self.kind, "currency": self.currency,
            "utility": self.utility, "source": self.source,
            "policy": {k: getattr(self.policy, k) for k in POLICY_CHOICES},
        }
        if self.kind == "incentive":
            out["incentive_rate_per_kwh"] = str(self.incentive_rate_per_kwh)
            return out
        out["tier_unit"] = self.tier_unit
        out["energy_periods"] = [
            {"name": p.name, "tiers": [{"rate_per_kwh": str(t.rate_per_kwh),
                                        "max_kwh": None if t.max_kwh is None else str(t.max_kwh)}
                                       for t in p.tiers],
             "weekday_hours": _hours(self.energy_weekday, i),
             "weekend_hours": _hours(self.energy_weekend, i)}
            for i, p in enumerate(self.energy_periods)]
        out["flat_demand"] = [
            {"name": p.name, "months": [m + 1 for m, k in enumerate(self.flat_demand_months)
                                        if k == i],
             "tiers": [{"rate_per_kw": str(t.rate_per_kw),
                        "max_kw": None if t.max_kw is None else str(t.max_kw)} for t in p.tiers]}
            for i, p in enumerate(self.flat_demand_periods)]
        out["demand_periods"] = [
            {"name": p.name, "tiers": [{"rate_per_kw": str(t.rate_per_kw),
                                        "max_kw": None if t.max_kw is None else str(t.max_kw)}
                                       for t in p.tiers]}
            for p in self.demand_periods]
        out["fixed"] = None if self.fixed is None else {"amount": str(self.fixed.amount),
                                                        "per": self.fixed.per}
        out["minimum"] = None if self.minimum is None else {"amount": str(self.minimum.amount),
                                                            "per": self.minimum.per}
        out["holidays"] = (None if self.holidays_country is None else
                           "-".join(x for x in (self.holidays_country,
                                                self.holidays_subdivision) if x))
        return out


def _hours(schedule: npt.NDArray[np.int16], index: int) -> float:
    """Hours per day the period applies, averaged over the months it appears in."""
    hit = schedule == index
    months = int(hit.any(axis=1).sum())
    return 0.0 if months == 0 else round(float(hit.sum()) / months / 4, 2)


def _check_tiers(limits: list[Decimal | None], where: str) -> None:
    if not limits:
        raise InputError("a period needs at least one tier", where=where)
    previous = Decimal(0)
    for i, limit in enumerate(limits):
        if limit is None:
            if i != len(limits) - 1:
                raise InputError("only the last tier may be unlimited", where=f"{where}[{i}].max")
            continue
        if limit <= previous:
            raise InputError(f"tier limits must increase ({limit} after {previous})",
                             where=f"{where}[{i}].max")
        previous = limit


def with_policy(tariff: Tariff, overrides: dict[str, str]) -> Tariff:
    """The tariff with some policies replaced (``InputError`` for unknown keys or choices)."""
    if not overrides:
        return tariff
    for key in overrides:
        if key not in POLICY_CHOICES:
            raise InputError(f"unknown policy {key!r} (use one of {', '.join(POLICY_CHOICES)})",
                             where="--policy")
    return replace(tariff, policy=replace(tariff.policy, **overrides))
