"""Bills read VEE's validated view: a filled gap is billed and flagged estimated, and the raw
intervals stay as they were (the VEE room: ``openamr vee``)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from billing_seed import EXAMPLES, SITE, seed_store
from click.testing import CliRunner

from openamr.cli import main
from openamr.headend.store import open_store

pytest.importorskip("openamr.headend.vee.view", reason="the head-end's VEE room")


def _bill(db: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["bill", "--db", db, "--tariff",
                                       str(EXAMPLES / "baseline-tiered.toml"), "--period",
                                       "2026-08", "--meter", "M-02"])
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.output)
    return doc


def test_a_gap_filled_by_vee_is_billed_and_flagged(tmp_path: Path) -> None:
    db = str(tmp_path / "vee.db")
    seed_store(Path(db)).close()
    before = _bill(db)
    assert before["intervals_present"] == before["intervals_expected"] - 8  # two hours missing
    with open_store(db) as store:
        raw_before = store.get_intervals("M-02")
    result = CliRunner().invoke(main, ["vee", "--db", db, "--site", SITE, "--from",
                                       "2026-07-01", "--to", "2026-08-31"])
    assert result.exit_code == 0, result.output
    after = _bill(db)
    assert after["intervals_present"] == after["intervals_expected"]
    assert Decimal(after["estimated_kwh"]) > Decimal(before["estimated_kwh"])
    assert Decimal(after["energy_kwh"]) > Decimal(before["energy_kwh"])
    assert any(line["estimated"] for line in after["lines"])
    with open_store(db) as store:
        raw_after = store.get_intervals("M-02")
    assert raw_after.start_s.tolist() == raw_before.start_s.tolist()
    assert raw_after.energy_wh.tolist() == raw_before.energy_wh.tolist()
