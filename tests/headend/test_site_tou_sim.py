"""A site file's ``[tou]`` table: parsed by the site loader, stored for the site by
``openamr sim run`` (validated by the head-end; a bad table exits 2 and registers nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from openamr.cli import main
from openamr.field.site import load_site, write_site
from openamr.field.site.generate import generate_site
from openamr.headend.store import open_store
from openamr.headend.tou import TouPlan

TOU_TOML = """
[tou]
default = "off_peak"

[[tou.periods]]
name = "on_peak"
start = "16:00"
end = "21:00"
days = "weekdays"
"""


@pytest.fixture(scope="module")
def plain_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("site") / "plain.toml"
    write_site(generate_site(3, 1, 1, seed=5), path)
    return path


def _with_tou(plain: Path, tmp_path: Path, table: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(plain.read_text() + table)
    return path


def test_the_site_loader_keeps_the_tou_table(plain_site: Path, tmp_path: Path) -> None:
    site = load_site(_with_tou(plain_site, tmp_path, TOU_TOML))
    assert site.tou is not None
    assert TouPlan.from_mapping(site.tou).registers == ("off_peak", "on_peak")
    assert load_site(plain_site).tou is None


def test_sim_run_stores_the_sites_tou_periods(plain_site: Path, tmp_path: Path) -> None:
    site_file = _with_tou(plain_site, tmp_path, TOU_TOML)
    db = tmp_path / "sim.db"
    result = CliRunner().invoke(main, ["sim", "run", str(site_file), "--days", "0.1", "--db",
                                       str(db), "--json"])
    assert result.exit_code == 0, result.output
    site_id = load_site(site_file).site_id
    with open_store(str(db)) as store:
        tou = store.get_site_tou(site_id)
        assert tou is not None
        assert TouPlan.from_json(tou.config_json) == TouPlan.from_mapping(
            load_site(site_file).tou)


def test_a_bad_tou_table_exits_2_and_registers_nothing(plain_site: Path,
                                                       tmp_path: Path) -> None:
    site_file = _with_tou(plain_site, tmp_path, TOU_TOML.replace('"16:00"', '"16:10"'))
    db = tmp_path / "sim.db"
    result = CliRunner().invoke(main, ["sim", "run", str(site_file), "--days", "0.1", "--db",
                                       str(db)])
    assert result.exit_code == 2
    assert "tou periods[0] start" in result.output
    assert "quarter-hour" in result.output
    with open_store(str(db)) as store:
        assert store.list_sites() == []
