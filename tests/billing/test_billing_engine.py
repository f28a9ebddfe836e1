"""The vectorised engine: lines sum to the total (hypothesis), it equals a naive one-interval-
at-a-time reference, tiers and proration follow the documented policies."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from naive_bill import naive_components

from openamr.billing.engine import UsageBatch, compute_bills, prorated_charge
from openamr.billing.periods import date_range, month_cycle
from openamr.billing.schedule import holiday_days
from openamr.billing.tariff import Charge, Policy, Tariff
from openamr.billing.tariff_file import load_tariff
from openamr.billing.tariff_toml import parse_tariff_toml
from openamr.timeutil import local_grid

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tariffs"
RETAIL = sorted(p for p in EXAMPLES.iterdir() if p.name != "solar-pbi.toml")


def _usage(energy: np.ndarray, days: int, estimated: np.ndarray | None = None) -> UsageBatch:
    return UsageBatch(energy, np.ones_like(energy, dtype=bool), estimated, None,
                      np.full(energy.shape[0], days, dtype=np.int64))


def _bill(tariff: Tariff, year: int, month: int, zone: str, energy: np.ndarray,
          start_day: int = 1) -> tuple[object, object]:
    period = month_cycle(year, month, zone, start_day)
    grid = local_grid(period.start_s, period.end_s, zone)
    return compute_bills(tariff, period, grid, _usage(energy[:, :len(grid)], period.days)), grid


@settings(max_examples=40)
@given(path=st.sampled_from(RETAIL), month=st.integers(1, 12), start_day=st.integers(1, 28),
       rounding=st.sampled_from(["lines", "total"]), seed=st.integers(0, 2**32 - 1),
       scale=st.sampled_from([0.1, 1.0, 37.5]))
def test_lines_sum_to_the_total(path: Path, month: int, start_day: int, rounding: str,
                                seed: int, scale: float) -> None:
    tariff = load_tariff(path)
    tariff = replace(tariff, policy=replace(tariff.policy, rounding=rounding))
    rng = np.random.default_rng(seed)
    energy = np.round(rng.gamma(2.0, 60.0 * scale, (3, 31 * 96 + 8)), 1)
    batch, _ = _bill(tariff, 2026, month, "America/Los_Angeles", energy, start_day)
    for row in range(3):
        amounts = batch.row_amounts(row)  # type: ignore[attr-defined]
        assert sum(amounts, Decimal(0)) == batch.total(row)  # type: ignore[attr-defined]
        assert batch.total(row).as_tuple().exponent == -2  # type: ignore[attr-defined]
        energy_lines = [q for q, spec in zip(batch.quantity_micro[row],  # type: ignore[attr-defined]
                                             batch.lines, strict=True)  # type: ignore[attr-defined]
                        if spec.kind == "energy"]
        assert sum(energy_lines) == round(batch.energy_wh[row] * 1000)  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", RETAIL, ids=lambda p: p.name)
@pytest.mark.parametrize("month", [3, 7, 11])
def test_the_engine_equals_the_naive_reference(path: Path, month: int) -> None:
    zone = "America/Los_Angeles"
    tariff = load_tariff(path)
    tariff = replace(tariff, policy=replace(tariff.policy, rounding="total"))
    rng = np.random.default_rng(month)
    energy = np.round(rng.gamma(2.0, 70.0, (1, 31 * 96 + 8)) / 10) * 10
    batch, grid = _bill(tariff, 2026, month, zone, energy)
    holidays = frozenset()
    if tariff.holidays_country:
        from datetime import date

        days = holiday_days(tariff.holidays_country, tariff.holidays_subdivision, range(2026, 2027))
        holidays = frozenset(date.fromordinal(int(d) + date(1970, 1, 1).toordinal())
                             for d in days)
    n = len(grid)  # type: ignore[arg-type]
    expected = naive_components(tariff, grid.start_s.tolist(),  # type: ignore[attr-defined]
                                energy[0, :n].tolist(), zone,
                                batch.period.days, holidays)  # type: ignore[attr-defined]
    got: dict[str, Decimal] = {"energy": Decimal(0), "demand": Decimal(0)}
    for spec, amount in zip(batch.lines, batch.row_amounts(0), strict=True):  # type: ignore[attr-defined]
        if spec.kind in got:
            got[spec.kind] += amount
    for kind in got:
        assert abs(got[kind] - expected[kind]) < Decimal("0.0001"), (kind, got, expected)


TIERED = """
[tariff]
name = "tiers"
[energy]
tier_unit = "daily"
[[energy.periods]]
name = "e"
tiers = [{ max_kwh = "10", rate_per_kwh = "0.20" }, { rate_per_kwh = "0.30" }]
[fixed]
amount = "30.00"
"""


def test_a_daily_baseline_is_the_allowance_times_the_billed_days() -> None:
    tariff = parse_tariff_toml(tomllib.loads(TIERED))
    period = month_cycle(2026, 4, "UTC", 15)  # 15 April .. 14 May: 30 days
    grid = local_grid(period.start_s, period.end_s, "UTC")
    energy = np.full((2, len(grid)), 250.0)  # 1 kW: 24 kWh a day
    usage = UsageBatch(energy, np.ones_like(energy, dtype=bool), None, None,
                       np.asarray([30, 19]))
    batch = compute_bills(tariff, period, grid, usage)
    tier1 = [int(q) for q in batch.quantity_micro[:, 0]]
    assert tier1 == [300 * 10**6, 190 * 10**6]  # 10 kWh/day × 30 and × 19 days
    fixed = [batch.row_amounts(r)[2] for r in range(2)]
    assert fixed == [Decimal("30.00"), Decimal("19.00")]  # $30 × 19/30 (occupied_days)


@pytest.mark.parametrize(("policy", "per", "days", "expected"), [
    ("occupied_days", "month", 30, "30.00"), ("occupied_days", "month", 19, "19.00"),
    ("flat", "month", 19, "30.00"), ("daily", "month", 30, "29.589041"),
    ("flat", "day", 31, "30.416667"), ("occupied_days", "day", 19, "19.00"),
])
def test_fixed_charge_proration(policy: str, per: str, days: int, expected: str) -> None:
    period = month_cycle(2026, 4, "UTC")
    amount = Decimal("1.00") if per == "day" else Decimal("30.00")
    got = prorated_charge(Charge(amount, per), policy, period, days)
    assert got.quantize(Decimal(expected)) == Decimal(expected)


def test_tiers_under_tou_proportional_or_per_period() -> None:
    text = """
[tariff]
name = "tou tiers"
[[energy.periods]]
name = "peak"
tiers = [{ max_kwh = "300", rate_per_kwh = "0.35" }, { rate_per_kwh = "0.45" }]
when = [{ days = "weekdays", from = "16:00", to = "21:00" }]
[[energy.periods]]
name = "off"
tiers = [{ max_kwh = "300", rate_per_kwh = "0.20" }, { rate_per_kwh = "0.30" }]
"""
    tariff = parse_tariff_toml(tomllib.loads(text))
    period = month_cycle(2018, 1, "UTC")
    grid = local_grid(period.start_s, period.end_s, "UTC")
    energy = np.full((1, len(grid)), 250.0)  # 744 kWh; peak 23 weekdays × 5 h = 115 kWh
    totals = {}
    for choice in ("proportional", "per_period"):
        t = replace(tariff, policy=Policy(tiers_under_tou=choice, rounding="total"))
        batch = compute_bills(t, period, grid, _usage(energy, 31))
        totals[choice] = sum(batch.row_amounts(0), Decimal(0))
    peak, off = Decimal(115), Decimal(629)
    share = Decimal(300) / Decimal(744)
    proportional = (peak * share * Decimal("0.35") + peak * (1 - share) * Decimal("0.45")
                    + off * share * Decimal("0.20") + off * (1 - share) * Decimal("0.30"))
    per_period = peak * Decimal("0.35") + 300 * Decimal("0.20") + 329 * Decimal("0.30")
    assert abs(totals["proportional"] - proportional) < Decimal("0.006")
    assert totals["per_period"] == per_period.quantize(Decimal("0.01"))


def test_minimum_charge_tops_up_and_demand_resets_by_calendar_month() -> None:
    tariff = replace(load_tariff(EXAMPLES / "residential-tou.toml"), fixed=None)
    period = date_range(*(month_cycle(2026, 1, "UTC").first_day,) * 2, "UTC")
    grid = local_grid(period.start_s, period.end_s, "UTC")
    batch = compute_bills(tariff, period, grid, _usage(np.zeros((1, len(grid))), 1))
    kinds = {spec.kind: a for spec, a in zip(batch.lines, batch.row_amounts(0), strict=True)}
    assert batch.total(0) == (Decimal("10.00") * 12 / 365).quantize(Decimal("0.01"))
    assert kinds["minimum"] == batch.total(0)
    demand = load_tariff(EXAMPLES / "commercial-demand.toml")
    demand = replace(demand, policy=Policy(demand_reset="calendar_month"))
    period = month_cycle(2026, 1, "UTC", 16)  # 16 Jan .. 15 Feb: two calendar months
    grid = local_grid(period.start_s, period.end_s, "UTC")
    energy = np.full((1, len(grid)), 250.0)
    energy[0, -1] = 500.0  # 2 kW in February only
    batch = compute_bills(demand, period, grid, _usage(energy, period.days))
    lines = [(s.label, a) for s, a in zip(batch.lines, batch.row_amounts(0), strict=True)
             if s.kind == "demand" and s.period == "facilities demand"]
    assert lines == [("facilities demand (16/31 of month 1)", Decimal("2.06")),
                     ("facilities demand (15/28 of month 2)", Decimal("4.29"))]
