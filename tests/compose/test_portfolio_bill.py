"""``openamr portfolio bill``: one task per site, each site's bills exactly those of
``openamr bill --site`` (to the byte, so to the cent), a summary that adds them up in
``Decimal``, and a failed site reported without losing the others."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from openamr.billing.tariff_file import load_tariff
from openamr.cli import main
from openamr.compose.portfolio import (
    bill_site_task,
    generated_sources,
    portfolio_bill_summary,
    run_tasks,
    simulate_site_task,
)
from openamr.headend.store import open_store

TARIFF = Path(__file__).resolve().parents[2] / "examples" / "tariffs" / "residential-tou.toml"
PERIOD = ["--from", "2026-01-01", "--to", "2026-01-01"]  # a local day of the simulated 1.5


@pytest.fixture(scope="module")
def store_of_sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    db = tmp_path_factory.mktemp("bills") / "portfolio.db"
    open_store(str(db)).close()
    site_ids = []
    for source in generated_sources(3, 5, 1, seed=11, prefix="estate"):
        row = simulate_site_task(source, 1.5, str(db))
        assert row["status"] == "stored"
        site_ids.append(row["site_id"])
    return db, site_ids


def _bill_alone(db: Path, site_id: str, fmt: str) -> bytes:
    result = CliRunner().invoke(main, ["bill", "--db", str(db), "--tariff", str(TARIFF),
                                       *PERIOD, "--site", site_id, "--format", fmt])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_each_site_is_billed_as_openamr_bill_bills_it(
        store_of_sites: tuple[Path, list[str]], tmp_path: Path, fmt: str) -> None:
    db, site_ids = store_of_sites
    out = tmp_path / "bills"
    result = CliRunner().invoke(main, ["portfolio", "bill", "--db", str(db), "--tariff",
                                       str(TARIFF), *PERIOD, "--format", fmt, "-o", str(out),
                                       "--workers", "2", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{s}.{fmt}" for s in site_ids] + ["summary.csv"])
    totals = {}
    for site_id in site_ids:
        alone = _bill_alone(db, site_id, fmt)
        assert (out / f"{site_id}.{fmt}").read_bytes() == alone
        doc = json.loads(_bill_alone(db, site_id, "json"))
        totals[site_id] = (Decimal(doc["total"]), len(doc["bills"]))
    rows = {r["site_id"]: r for r in summary["sites"]}
    assert {s: (Decimal(r["total"]), r["accounts"]) for s, r in rows.items()} == totals
    assert all(total > 0 and n == 5 for total, n in totals.values())
    portfolio_total = sum((t for t, _ in totals.values()), Decimal("0.00"))
    assert summary["totals"] == {"USD": str(portfolio_total)}
    assert summary["failed"] == []
    with (out / "summary.csv").open(newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["site_id"] for r in table] == [*site_ids, "portfolio"]
    assert Decimal(table[-1]["total"]) == portfolio_total
    assert Decimal(table[-1]["energy_kwh"]) == sum(
        (Decimal(r["energy_kwh"]) for r in table[:-1]), Decimal("0"))


def test_an_unknown_site_is_reported_and_the_others_billed(
        store_of_sites: tuple[Path, list[str]], tmp_path: Path) -> None:
    db, site_ids = store_of_sites
    out = tmp_path / "bills"
    result = CliRunner().invoke(main, ["portfolio", "bill", "--db", str(db), "--tariff",
                                       str(TARIFF), *PERIOD, "--site", "ghost", "--site",
                                       site_ids[0], "-o", str(out), "--workers", "1",
                                       "--retries", "0", "--json"])
    assert result.exit_code == 1, result.output
    summary = json.loads(result.output)
    assert [r["site_id"] for r in summary["sites"]] == [site_ids[0]]
    assert summary["failed"][0]["site_id"] == "ghost"
    assert "no site 'ghost'" in summary["failed"][0]["error"]
    assert (out / f"{site_ids[0]}.csv").read_bytes() == _bill_alone(db, site_ids[0], "csv")
    assert not (out / "ghost.csv").exists()


def test_the_summary_adds_decimal_totals_per_currency(
        dask_client: Any, store_of_sites: tuple[Path, list[str]]) -> None:
    db, site_ids = store_of_sites
    tariff = load_tariff(TARIFF)
    kwargs = {"month": None, "first": "2026-01-01", "last": "2026-01-01", "start_day": 1,
              "fmt": "json"}
    outcomes = run_tasks(dask_client, bill_site_task,
                         [(s, (str(db), tariff, s), kwargs) for s in site_ids])
    assert all(o.ok for o in outcomes)
    summary = portfolio_bill_summary([o.value for o in outcomes])
    every_bill = [b for o in outcomes for b in o.value["bills"]]
    assert summary["totals"] == {"USD": sum((b.total for b in every_bill), Decimal("0.00"))}
    assert all(isinstance(r["total"], Decimal) for r in summary["sites"])
    assert summary["energy_kwh"] == sum((b.energy_kwh for b in every_bill), Decimal("0"))


def test_bad_bill_options_are_refused_before_any_task(
        store_of_sites: tuple[Path, list[str]], tmp_path: Path) -> None:
    db, _ = store_of_sites
    runner = CliRunner()
    base = ["portfolio", "bill", "--db", str(db), "--tariff", str(TARIFF), "-o",
            str(tmp_path / "out")]
    result = runner.invoke(main, [*base, "--period", "2026-13"])
    assert result.exit_code == 2
    assert "--period" in result.output
    result = runner.invoke(main, [*base, *PERIOD, "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2
    assert "postgresql://" in result.output
    result = runner.invoke(main, ["portfolio", "bill", "--db", str(tmp_path / "none.db"),
                                  "--tariff", str(TARIFF), *PERIOD, "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "no such store file" in result.output
    assert not (tmp_path / "out").exists()
