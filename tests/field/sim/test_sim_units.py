"""``openamr sim run`` registers the site file's units in the head-end, and the PV meter's
production reaches the store and the energy report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from openamr.cli import main
from openamr.headend.energy import energy_report
from openamr.headend.store import Unit, open_store

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "solar-building.toml"


def test_sim_run_registers_units_and_pv_production(tmp_path: Path) -> None:
    db = tmp_path / "solar.db"
    result = CliRunner().invoke(main, ["sim", "run", str(EXAMPLE), "--days", "1", "--db",
                                       str(db)])
    assert result.exit_code == 0, result.output
    with open_store(str(db)) as store:
        assert store.get_unit("101") == Unit("101", "solar-building", ("M-101",),
                                             "Apartment 101", "apartment", 62.0)
        assert store.unit_of_meter("M-PV") == Unit("PV", "solar-building", ("M-PV",),
                                                   "Rooftop PV array", "pv")
        pv = energy_report(store, date(2026, 6, 20), date(2026, 6, 20), meter_id="M-PV")
        site = energy_report(store, date(2026, 6, 20), date(2026, 6, 20),
                             site_id="solar-building")
    # a clear June day: nothing at night, several kWh around noon, capped by the inverter
    hourly = pv.profile.all_power_w
    assert hourly[0] == 0.0
    assert hourly[12] > 3000.0
    assert pv.peak is not None
    assert pv.peak.demand_w <= 6000.0 / 1.2 + 10.0
    # the site total is the apartments' use: the PV meter is listed but not summed
    assert [m.meter_id for m in site.meters if not m.included] == ["M-PV"]
    assert site.subject.meter_ids == ("M-101", "M-102", "M-201")


def test_a_unit_label_outside_the_id_alphabet_becomes_a_safe_id(tmp_path: Path) -> None:
    small = EXAMPLE.parent / "small-building.toml"  # unit = "Shop A"
    db = tmp_path / "small.db"
    result = CliRunner().invoke(main, ["sim", "run", str(small), "--days", "0.25", "--db",
                                       str(db)])
    assert result.exit_code == 0, result.output
    with open_store(str(db)) as store:
        shop = store.unit_of_meter("M-0003")
        assert shop is not None
        assert (shop.unit_id, shop.name) == ("Shop-A", "Shop A")
        assert len(store.list_units()) == 8
