"""Acceptance: every month and every component equals NREL PySAM ``Utilityrate5`` to the cent.

PySAM's conventions: calendar months, a site in UTC, a Monday-start non-leap year (2018), no
holidays, the fixed charge flat per month (``$/day`` × 365 / 12) and unrounded components —
i.e. our policies ``fixed_proration = "flat"`` and ``rounding = "total"`` (each component is
compared rounded to the cent).  PySAM is a test extra (``nrel-pysam``); see
``docs/billing.md``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pytest
from pysam_cases import CASES, YEAR, pysam_monthly, year_load_wh

from openamr.billing.engine import UsageBatch, compute_bills
from openamr.billing.periods import month_cycle
from openamr.billing.tariff import Policy
from openamr.billing.urdb import parse_urdb
from openamr.timeutil import local_grid

if not os.environ.get("CI"):  # in CI the test extra is installed: a missing PySAM fails
    pytest.importorskip("PySAM.Utilityrate5", reason="nrel-pysam is in the test extra")


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _cents(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_month_and_component_equals_pysam(case: str) -> None:
    item: dict[str, Any] = CASES[case]
    energy = year_load_wh()
    expected = pysam_monthly(item, energy)
    tariff = parse_urdb(item)
    tariff = replace(tariff, policy=Policy(fixed_proration="flat", rounding="total"))
    offset = 0
    for month in range(1, 13):
        period = month_cycle(YEAR, month, "UTC")
        grid = local_grid(period.start_s, period.end_s, "UTC")
        rows = energy[offset:offset + len(grid)][np.newaxis, :]
        offset += len(grid)
        batch = compute_bills(tariff, period, grid, UsageBatch(
            energy_wh=rows, present=np.ones_like(rows, dtype=bool), estimated=None,
            billed=None, billable_days=np.asarray([period.days])))
        amounts = batch.row_amounts(0)
        by_kind: dict[str, Decimal] = {}
        flat = tou = Decimal(0)
        for spec, amount in zip(batch.lines, amounts, strict=True):
            by_kind[spec.kind] = by_kind.get(spec.kind, Decimal(0)) + amount
            if spec.kind == "demand":
                if spec.period is not None and spec.period.startswith("flat"):
                    flat += amount
                else:
                    tou += amount
        m = month - 1
        got = {"total": batch.total(0), "energy": _round(by_kind.get("energy", Decimal(0))),
               "demand_flat": _round(flat), "demand_tou": _round(tou),
               "fixed": _round(by_kind.get("fixed", Decimal(0)))}
        for component, value in got.items():
            assert value == _cents(expected[component][m]), (case, month, component, value,
                                                              expected[component][m])
    assert offset == energy.size
