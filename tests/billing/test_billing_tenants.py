"""Tenant bills: a unit's meters over the days its occupancy covers (move-in, move-out, a move
between units), and common-area allocation by floor area (units: docs/units-tenants.md)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from billing_seed import EXAMPLES, MASTER, SITE, seed_store
from click.testing import CliRunner

from openamr.cli import main

units = pytest.importorskip("openamr.headend.store.units",
                            reason="units and tenants are the store's units room")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("tenants") / "tenants.db"
    store: Any = seed_store(path)
    store.upsert_unit(units.Unit("U1", SITE, ("M-01",), floor_area_m2=50.0))
    store.upsert_unit(units.Unit("U2", SITE, ("M-02", "M-03"), floor_area_m2=150.0))
    store.upsert_unit(units.Unit("U3", SITE, (), floor_area_m2=10.0, kind="common"))
    for tenant_id in ("T1", "T2", "T3"):
        store.upsert_tenant(units.Tenant(tenant_id, f"tenant {tenant_id}"))
    # T1 moves into U2 on 12 July; T2 lives in U1 until 16 July, then moves nowhere
    store.add_occupancy(units.Occupancy(SITE, "U2", "T1", date(2026, 7, 12)))
    store.add_occupancy(units.Occupancy(SITE, "U1", "T2", date(2026, 6, 1), date(2026, 7, 16)))
    # T3 lives in U2 until T1 arrives, then moves into U1 after T2 has left
    store.add_occupancy(units.Occupancy(SITE, "U2", "T3", date(2026, 5, 1), date(2026, 7, 12)))
    store.add_occupancy(units.Occupancy(SITE, "U1", "T3", date(2026, 7, 16)))
    store.close()
    return str(path)


def _bill(db: str, tariff: str, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["bill", "--db", db, "--tariff", str(EXAMPLES / tariff),
                                       *args])
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.output)
    return doc


def test_a_move_in_is_prorated(db: str) -> None:
    doc = _bill(db, "baseline-tiered.toml", "--period", "2026-07", "--tenant", "T1")
    assert doc["account_kind"] == "tenant"
    assert doc["unit_id"] == "U2"
    assert doc["meter_ids"] == ["M-02", "M-03"]
    assert doc["billed"] == {"first_day": "2026-07-12", "last_day": "2026-07-31", "days": 20}
    assert doc["intervals_expected"] == 20 * 96
    tier1 = doc["lines"][0]
    assert Decimal(tier1["quantity"]) == Decimal(12 * 20)  # 12 kWh/day × 20 days
    fixed = next(x for x in doc["lines"] if x["kind"] == "fixed")
    assert fixed["amount"] == str((Decimal(10) * 20 / 31).quantize(Decimal("0.01")))
    whole = [_bill(db, "baseline-tiered.toml", "--from", "2026-07-12", "--to", "2026-07-31",
                   "--meter", m) for m in ("M-02", "M-03")]
    assert Decimal(doc["energy_kwh"]) == sum(Decimal(w["energy_kwh"]) for w in whole)


def test_a_move_out_bills_the_days_before_it(db: str) -> None:
    doc = _bill(db, "residential-tou.toml", "--period", "2026-07", "--tenant", "T2")
    assert doc["billed"] == {"first_day": "2026-07-01", "last_day": "2026-07-15", "days": 15}
    meter = _bill(db, "residential-tou.toml", "--from", "2026-07-01", "--to", "2026-07-15",
                  "--meter", "M-01")
    assert doc["energy_kwh"] == meter["energy_kwh"]
    fixed = next(x for x in doc["lines"] if x["kind"] == "fixed")
    assert fixed["amount"] == "6.00"  # 0.40/day × 15 days
    result = CliRunner().invoke(main, ["bill", "--db", db, "--tariff",
                                       str(EXAMPLES / "residential-tou.toml"), "--period",
                                       "2026-08", "--tenant", "T2"])
    assert result.exit_code == 2
    assert "occupies no unit" in result.output


def test_common_area_by_floor_area(db: str) -> None:
    doc = _bill(db, "commercial-demand.toml", "--period", "2026-07", "--site", SITE,
                "--common-area", MASTER, "--allocate", "area")
    weights = doc["common_area"]["weights"]
    assert Decimal(weights["M-01"]) == Decimal("0.25")  # 50 / (50 + 150): U2's 150 m² are
    # shared by its two meters
    assert Decimal(weights["M-02"]) == Decimal(weights["M-03"])


def test_a_move_between_units_is_one_document_of_two_bills(db: str) -> None:
    doc = _bill(db, "residential-tou.toml", "--period", "2026-07", "--tenant", "T3")
    first, second = doc["bills"]
    assert (first["billed"]["first_day"], first["billed"]["last_day"]) == ("2026-07-01",
                                                                           "2026-07-11")
    assert (second["billed"]["first_day"], second["billed"]["last_day"]) == ("2026-07-16",
                                                                             "2026-07-31")
    assert first["meter_ids"] == ["M-02", "M-03"]
    assert second["meter_ids"] == ["M-01"]
    assert Decimal(doc["total"]) == Decimal(first["total"]) + Decimal(second["total"])
    assert sum(Decimal(x["amount"]) for x in doc["lines"]) == Decimal(doc["total"])
    assert doc["fixed_charge"] == "10.80"  # 0.40/day × (11 + 16) days
