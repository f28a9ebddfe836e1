"""``openamr bill`` and ``openamr tariff check``: golden JSON and CSV, statements, allocation,
incentive statements, and bad input exiting with status 2."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from billing_seed import EXAMPLES, MASTER, PV, SITE, seed_store
from click.testing import CliRunner

from openamr.cli import main

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("billing") / "bills.db"
    seed_store(path).close()
    return str(path)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OPENAMR_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_a_meter_bill_as_json_is_golden(db: str) -> None:
    code, out = _run("bill", "--db", db, "--tariff", str(EXAMPLES / "residential-tou.toml"),
                     "--period", "2026-07", "--meter", "M-02", "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    for key in ("total", "energy_charge", "demand_charge", "fixed_charge"):
        Decimal(doc[key])  # decimal strings
    assert sum(Decimal(line["amount"]) for line in doc["lines"]) == Decimal(doc["total"])
    assert doc["estimated"] is True
    assert Decimal(doc["estimated_kwh"]) > 0
    read = doc["register_reads"][0]
    assert Decimal(read["closing_kwh"]) - Decimal(read["opening_kwh"]) == Decimal(
        doc["energy_kwh"])
    _golden("bill_m02_2026-07.json", out)


def test_a_site_ledger_with_common_area_is_golden(db: str, tmp_path: Path) -> None:
    out = tmp_path / "ledger.csv"
    code, text = _run("bill", "--db", db, "--tariff", str(EXAMPLES / "urdb-tou-demand.json"),
                      "--period", "2026-07", "--start-day", "15", "--site", SITE,
                      "--common-area", MASTER, "--allocate", "usage", "--format", "csv",
                      "-o", str(out))
    assert code == 0, text
    _golden("ledger_s1_2026-07-15.csv", out.read_text(encoding="utf-8"))


def test_common_area_shares_add_up_to_the_common_cost(db: str) -> None:
    for rule in ("usage", "equal"):
        code, out = _run("bill", "--db", db, "--tariff",
                         str(EXAMPLES / "commercial-demand.toml"), "--from", "2026-07-01",
                         "--to", "2026-07-31", "--site", SITE, "--common-area", MASTER,
                         "--allocate", rule)
        assert code == 0, out
        doc = json.loads(out)
        common = doc["common_area"]
        assert Decimal(common["common_kwh"]) == Decimal("357.120")  # 120 Wh × 2,976 intervals
        shares = [Decimal(line["amount"]) for bill in doc["bills"] for line in bill["lines"]
                  if line["kind"] == "common_area"]
        assert len(shares) == 3
        assert sum(shares) == Decimal(common["cost"])
        assert Decimal(doc["total"]) == sum(Decimal(b["total"]) for b in doc["bills"])
    code, out = _run("bill", "--db", db, "--tariff", str(EXAMPLES / "commercial-demand.toml"),
                     "--period", "2026-07", "--site", SITE, "--common-area", MASTER,
                     "--allocate", "area")
    assert code == 2
    assert "floor area" in out


def test_an_incentive_statement_defers_estimated_kwh(db: str) -> None:
    tariff = str(EXAMPLES / "solar-pbi.toml")
    docs = {}
    for policy in ("defer", "pay", "exclude"):
        code, out = _run("bill", "--db", db, "--tariff", tariff, "--period", "2026-07",
                         "--meter", PV, "--policy", f"estimated_incentive={policy}")
        assert code == 0, out
        docs[policy] = json.loads(out)
    measured, estimated = docs["defer"]["lines"]
    assert estimated["estimated"] is True
    assert estimated["amount"] == "0.00"
    assert Decimal(measured["quantity"]) == Decimal(docs["defer"]["energy_kwh"]) - Decimal(
        docs["defer"]["estimated_kwh"])
    assert Decimal(docs["pay"]["total"]) == Decimal(docs["defer"]["total"]) + Decimal(
        docs["pay"]["lines"][1]["amount"])
    assert docs["exclude"]["total"] == docs["defer"]["total"]
    # night-time tare (-2 Wh intervals) is clipped, never netted
    assert Decimal(docs["defer"]["energy_kwh"]) > 0


@pytest.mark.parametrize("fmt", ["html", "pdf"])
def test_statements_carry_reads_lines_and_the_plot(db: str, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"statement.{fmt}"
    code, text = _run("bill", "--db", db, "--tariff", str(EXAMPLES / "residential-tou.toml"),
                      "--period", "2026-08", "--meter", "M-02", "--format", fmt, "-o", str(out),
                      "--issuer", "Example Billing Co, 1 Main St, 555-0100")
    assert code == 0, text
    data = out.read_bytes()
    if fmt == "pdf":
        assert data.startswith(b"%PDF-")
        assert b"/Subtype /Image" in data
        return
    html = data.decode("utf-8")
    assert "data:image/png;base64," in html
    assert "Opening" in html
    assert "summer peak" in html
    assert "Estimated data" in html  # two hours are missing in August
    assert "Example Billing Co, 1 Main St, 555-0100" in html


def test_tariff_check_summarises_and_refuses(tmp_path: Path) -> None:
    code, out = _run("tariff", "check", str(EXAMPLES / "residential-tou.toml"))
    assert code == 0
    assert "summer peak: 0.52/kWh" in out
    code, out = _run("tariff", "check", "--json", str(EXAMPLES / "urdb-tou-demand.json"))
    assert code == 0
    assert json.loads(out)["fixed"] == {"amount": "0.85", "per": "day"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[tariff]\nname = "x"\n[[energy.periods]]\nname = "e"\n'
                   'rate_per_kwh = "abc"\n', encoding="utf-8")
    code, out = _run("tariff", "check", str(bad))
    assert code == 2
    assert "energy.periods[0].rate_per_kwh" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--period", "2026-13", "--meter", "M-01"], "--period"),
    (["--period", "2026-07", "--meter", "NOPE"], "no meter 'NOPE'"),
    (["--period", "2026-07"], "exactly one of"),
    (["--from", "2026-07-05", "--to", "2026-07-01", "--meter", "M-01"], "--to"),
    (["--period", "2026-07", "--start-day", "31", "--meter", "M-01"], "--start-day"),
    (["--period", "2026-07", "--meter", "M-01", "--policy", "rounding=sometimes"],
     "policy.rounding"),
    (["--period", "2026-07", "--site", SITE, "--format", "pdf"], "one bill"),
])
def test_bad_input_exits_2(db: str, args: list[str], message: str) -> None:
    code, out = _run("bill", "--db", db, "--tariff", str(EXAMPLES / "baseline-tiered.toml"),
                     *args)
    assert code == 2, out
    assert message in out


def test_a_missing_store_is_refused(tmp_path: Path) -> None:
    code, out = _run("bill", "--db", str(tmp_path / "none.db"), "--tariff",
                     str(EXAMPLES / "baseline-tiered.toml"), "--period", "2026-07",
                     "--meter", "M-01")
    assert code == 2
    assert "no such store" in out
    assert not (tmp_path / "none.db").exists()
