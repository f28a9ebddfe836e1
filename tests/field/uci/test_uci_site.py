"""``load = "uci"`` in site files, the generator and ``openamr sim run`` (on the fixture file)."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import openamr.field.uci.cache as cache
from openamr.cli import main
from openamr.errors import InputError
from openamr.field.loads import site_leg_power_w
from openamr.field.site import load_site, write_site
from openamr.field.site.generate import generate_site
from openamr.field.site.load import SiteError
from openamr.field.site.model import ElementLoad, LoadKind, LoadSpec, Site
from openamr.field.uci import read_uci_csv, uci_leg_power_w
from openamr.timeutil import local_day_bounds_s, site_zone

START = "2026-03-16T00:00:00Z"          # a Monday; with year 2007 and weeks 0-2 in the fixture

SITE = """
schema_version = 1
[site]
name = "uci"
time_zone = "Europe/Paris"
start_utc = "2026-03-16T00:00:00Z"
[building]
floors = 1
[dcap]
id = "DCAP-1"
x_m = 0
y_m = 0
floor = 0
[[meters]]
id = "M-1"
x_m = 3
y_m = 0
floor = 0
load = "uci"
{extra}
"""


@pytest.fixture
def on_fixture(fixture_csv: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``load = "uci"`` reads the fixture file instead of the package's."""
    monkeypatch.setattr(cache, "uci_csv_path", lambda: fixture_csv)
    return fixture_csv


def _site(tmp_path: Path, extra: str) -> Site:
    path = tmp_path / "site.toml"
    path.write_text(SITE.format(extra=extra))
    return load_site(path)


def test_the_site_file_reads_and_writes_uci_loads(tmp_path: Path) -> None:
    site = _site(tmp_path, "load_scale_w = 900\nload_uci_year = 2008\n"
                           "load_uci_shift_weeks = -2\nload_uci_shift_min = 15")
    spec = site.meters[0].load
    assert spec == LoadSpec(LoadKind.UCI, 900.0, uci_year=2008, uci_shift_weeks=-2,
                            uci_shift_min=15)
    out = tmp_path / "again.toml"
    write_site(site, out)
    assert load_site(out).meters[0].load == spec
    plain = _site(tmp_path, "")
    assert plain.meters[0].load == LoadSpec(LoadKind.UCI)          # drawn slice, measured W
    write_site(plain, out)
    text = out.read_text()
    assert 'load = "uci"' in text
    assert "load_uci" not in text
    assert "load_scale_w" not in text


def test_element_loads_may_be_uci(tmp_path: Path) -> None:
    path = tmp_path / "el.toml"
    path.write_text(SITE.format(extra="").replace('load = "uci"\n', "") + """
[[meters.loads]]
element = 1
load = "uci"
load_uci_year = 2007
[[meters.loads]]
element = 2
load = "household"
""")
    loaded = load_site(path)
    assert isinstance(loaded, Site)
    assert loaded.meters[0].loads[0] == ElementLoad(1, LoadSpec(LoadKind.UCI, uci_year=2007))
    write_site(loaded, tmp_path / "el2.toml")
    assert load_site(tmp_path / "el2.toml").meters[0].loads == loaded.meters[0].loads


@pytest.mark.parametrize(("extra", "key", "message"), [
    ("load_uci_year = 2011", "load_uci_year", "at most 2010"),
    ("load_uci_year = 2005", "load_uci_year", "at least 2006"),
    ("load_uci_shift_weeks = 30", "load_uci_shift_weeks", "at most 26"),
    ("load_uci_shift_min = -800", "load_uci_shift_min", "at least -720"),
    ('load_uci_shift_min = "ten"', "load_uci_shift_min", "expected an integer"),
    ("load_scale_w = -5", "load_scale_w", "at least 0"),
    ('load_csv = "x.csv"', "load_csv", "not allowed"),
])
def test_bad_uci_keys_are_refused(tmp_path: Path, extra: str, key: str, message: str) -> None:
    with pytest.raises(SiteError) as err:
        _site(tmp_path, extra)
    assert (err.value.where or "").endswith(f"meters[0].{key}")
    assert message in err.value.message


def test_uci_keys_need_load_uci(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(SITE.format(extra="").replace('load = "uci"', 'load = "household"\n'
                                                                  "load_uci_year = 2008"))
    with pytest.raises(SiteError, match='only allowed with load = "uci"'):
        load_site(path)


def test_the_generator_gives_households_uci_loads_of_the_same_sizes() -> None:
    synth = generate_site(20, 2, seed=4)
    uci = generate_site(20, 2, seed=4, household_load="uci")
    for a, b in zip(synth.meters, uci.meters, strict=True):
        if a.load.kind is LoadKind.COMMERCIAL:
            assert b.load == a.load
        else:
            assert b.load == LoadSpec(LoadKind.UCI, a.load.scale_w)
        assert dataclasses.replace(b, load=a.load) == a
    assert "--household-load uci" in (uci.description or "")
    with pytest.raises(InputError, match="unknown household load"):
        generate_site(2, 1, household_load="measured")  # type: ignore[arg-type]


def test_site_leg_power_w_gives_each_uci_meter_its_slice(on_fixture: Path,
                                                          tmp_path: Path) -> None:
    site = _site(tmp_path, "load_uci_year = 2007\nload_uci_shift_weeks = 1\n"
                           "load_uci_shift_min = 5\nload_scale_w = 700")
    start_s, _ = local_day_bounds_s(date(2026, 3, 17), site_zone("Europe/Paris"))
    legs = site_leg_power_w(site, 288, 300, start_s, dtype=np.float64)
    want = uci_leg_power_w(["M-1"], 288, 300, start_s, site.seed, time_zone="Europe/Paris",
                           years=[2007], shift_weeks=[1], shift_min=[5], scales_w=[700.0],
                           data=read_uci_csv(on_fixture), dtype=np.float64)
    assert np.allclose(legs, want, rtol=1e-6)
    single = dataclasses.replace(site, meters=(dataclasses.replace(site.meters[0],
                                                                   service="single"),))
    one = site_leg_power_w(single, 288, 300, start_s, dtype=np.float64)
    assert np.allclose(one[0, 0], want[0].sum(axis=0), rtol=1e-6)
    assert (one[0, 1] == 0).all()


def test_a_uci_site_without_the_package_names_the_meter_and_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(cache.importlib.metadata, "distribution", missing)
    site = _site(tmp_path, "")
    with pytest.raises(InputError) as err:
        site_leg_power_w(site, 10, 300, 1_773_619_200)
    assert err.value.where == "meters.M-1.load"
    assert "pip install 'openamr[loads]'" in err.value.message
    result = CliRunner().invoke(main, ["sim", "run", str(tmp_path / "site.toml"), "--days",
                                       "0.1", "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 2
    assert "pip install 'openamr[loads]'" in result.output


def _check_store_against_profile(site_file: Path, db: Path) -> int:
    """Every stored interval of every meter holds its profile's energy, within a pulse."""
    from openamr.headend.store import open_store

    site = load_site(site_file)
    assert site.start_s is not None
    n = 2 * 96                                           # the run's day and its drain
    legs = site_leg_power_w(site, n * 3, 300, site.start_s, dtype=np.float64)
    want_wh = legs.sum(axis=1).reshape(len(site.meters), n, 3).sum(axis=2) * (300 / 3600)
    store = open_store(str(db))
    checked = 0
    try:
        for i, m in enumerate(site.meters):
            got = store.get_intervals(m.id, site_id=site.site_id)
            assert len(got) >= 90                         # all but those before power-up
            k = (got.start_s - site.start_s) // 900
            assert np.array_equal(k, np.arange(k[0], k[0] + len(k)))
            assert k[0] <= 6
            assert k[-1] >= 95
            # from the first whole interval on (the first is cut by the MDT's power-up)
            cum_got = np.cumsum(got.energy_wh[1:])
            cum_want = np.cumsum(want_wh[i, k[1:]])
            # pulses of 10 Wh: the register lags the energy by less than one pulse
            assert np.all(np.abs(cum_got - cum_want) <= 10.0 + 0.005 * cum_want), m.id
            checked += 1
    finally:
        store.close()
    return checked


def test_sim_run_of_a_uci_site_stores_its_measured_energy(on_fixture: Path,
                                                          tmp_path: Path) -> None:
    site = generate_site(3, 1, 1, seed=5, household_load="uci", commercial_ratio=0.0,
                         start_utc=START, time_zone="Europe/Paris")
    meters = tuple(dataclasses.replace(m, load=dataclasses.replace(
        m.load, uci_year=2007, uci_shift_weeks=k)) for k, m in enumerate(site.meters))
    site_file = tmp_path / "site.toml"
    write_site(dataclasses.replace(site, meters=meters), site_file)
    db = tmp_path / "store.db"
    result = CliRunner().invoke(main, ["sim", "run", str(site_file), "--days", "1", "--db",
                                       str(db), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["intervals_stored"] == summary["intervals_expected"] > 3 * 90
    assert _check_store_against_profile(site_file, db) == 3


def test_sim_run_of_a_generated_uci_site_on_the_real_data(real_csv: Path,
                                                          tmp_path: Path) -> None:
    site_file = tmp_path / "site.toml"
    runner = CliRunner()
    made = runner.invoke(main, ["site", "generate", "--meters", "4", "--floors", "1",
                                "--household-load", "uci", "--commercial-ratio", "0",
                                "--start-utc", "2026-07-06T07:00:00Z", "-o", str(site_file)])
    assert made.exit_code == 0, made.output
    assert site_file.read_text().count('load = "uci"') == 4
    db = tmp_path / "store.db"
    result = runner.invoke(main, ["sim", "run", str(site_file), "--days", "1", "--db", str(db),
                                  "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["intervals_stored"] == summary["intervals_expected"] > 4 * 90
    assert _check_store_against_profile(site_file, db) == 4


def test_site_generate_writes_uci_households_without_the_package(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(cache.importlib.metadata, "distribution", missing)
    out = tmp_path / "site.toml"
    result = CliRunner().invoke(main, ["site", "generate", "--meters", "10", "--floors", "1",
                                       "--household-load", "uci", "-o", str(out)])
    assert result.exit_code == 0, result.output
    kinds = [m.load.kind for m in load_site(out).meters]
    assert kinds.count(LoadKind.UCI) == 9
    assert kinds.count(LoadKind.COMMERCIAL) == 1
    bad = CliRunner().invoke(main, ["site", "generate", "--meters", "2", "--floors", "1",
                                    "--household-load", "measured"])
    assert bad.exit_code == 2
