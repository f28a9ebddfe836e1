"""Reading site files: the example, frozen results, and every refusal with its key and reason."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from openamr.errors import InputError
from openamr.field.radio import Placement
from openamr.field.site import LoadKind, SiteError, load_site, site_from_text, site_to_toml
from openamr.field.site.check import check_site

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

MINIMAL = """\
[site]
name = "t"
time_zone = "America/New_York"

[building]
floors = 2

[dcap]
id = "D"
x_m = 0
y_m = 0
floor = 0

[[repeaters]]
id = "R1"
x_m = 10
y_m = 0
floor = 1

[[meters]]
id = "M1"
x_m = 5
y_m = 1
floor = 0
"""


def _write(tmp_path: Path, text: str, name: str = "site.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_loads_and_checks_clean() -> None:
    site = load_site(EXAMPLES / "small-building.toml")
    assert site.name == "Small building"
    assert [r.id for r in site.repeaters] == ["REP-01", "REP-02"]
    assert len(site.meters) == 8
    assert site.start_s == 1772438400
    assert site.meters[6].placement is Placement.METAL_BOX
    assert site.meters[2].load.kind is LoadKind.COMMERCIAL
    assert site.meters[2].load.scale_w == 2500.0
    assert site.walls[2].loss_db == 8.0
    assert site.outages[0].end_s == 28800 + 1800
    assert not [f for f in check_site(site) if f.severity == "error"]


def test_minimal_file_takes_the_defaults(tmp_path: Path) -> None:
    site = load_site(_write(tmp_path, MINIMAL))
    meter = site.meters[0]
    assert (meter.model, meter.rating_a, meter.service) == ("MMSMT-C02", 200, "split")
    assert meter.load.kind is LoadKind.HOUSEHOLD
    assert meter.load.scale_w == 800.0
    assert meter.placement is Placement.OPEN
    assert meter.power_on_s == 0.0
    assert site.building.floor_height_m == 3.0
    assert site.seed == 0
    assert site.start_s is None
    assert [d.id for d in site.devices] == ["D", "R1", "M1"]
    assert site.device("R1").floor == 1


def test_the_result_is_frozen(tmp_path: Path) -> None:
    site = load_site(_write(tmp_path, MINIMAL))
    with pytest.raises(dataclasses.FrozenInstanceError):
        site.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        site.meters[0].x_m = 3.0  # type: ignore[misc]
    assert isinstance(site.meters, tuple)


BAD = [
    # (replace this, with that, expected message)
    ('x_m = 10\n', 'x_m = "ten"\n',
     'site.toml: repeaters[0].x_m: expected a number, got "ten"'),
    ('[[meters]]\nid = "M1"', '[[meters]]\ncolour = "red"\nid = "M1"',
     "site.toml: meters[0].colour: unknown key; allowed: id, x_m, y_m, floor, placement"),
    ('id = "M1"', 'id = "R1"', "site.toml: meters[0].id: duplicate id 'R1' (already used by "
                               "repeaters[0])"),
    ('floor = 1\n', 'floor = 2\n', "site.toml: repeaters[0].floor: must be at most 1, got 2"),
    ('time_zone = "America/New_York"', 'time_zone = "Mars/Olympus"',
     "site.toml: site.time_zone: unknown time zone 'Mars/Olympus'"),
    ('[building]\nfloors = 2', '[building]\nfloors = 0',
     "site.toml: building.floors: must be at least 1, got 0"),
    ('[building]\nfloors = 2', '[building]\nfloors = 2.5',
     "site.toml: building.floors: expected an integer, got 2.5"),
    ('name = "t"\n', 'name = "t"\nstart_utc = "2026-01-01T00:00:00"\n',
     "site.toml: site.start_utc: '2026-01-01T00:00:00' must be an ISO 8601 time in UTC with a "
     "Z suffix"),
    ('name = "t"\n', 'name = "t"\nstart_utc = "2026-01-01T00:00:00+01:00"\n',
     "site.toml: site.start_utc: '2026-01-01T00:00:00+01:00' must be an ISO 8601 time in UTC"),
    ('name = "t"\n', 'name = "t"\nstart_utc = 2026-01-01T00:00:00\n',
     "site.toml: site.start_utc: 2026-01-01T00:00:00 must be in UTC"),
    ('name = "t"\n', 'name = "t"\nstart_utc = 2026-01-01T00:00:00-05:00\n',
     "site.toml: site.start_utc: 2026-01-01T00:00:00-05:00 must be in UTC"),
    ('name = "t"\n', 'name = "t"\nstart_utc = "yesterdayZ"\n',
     "site.toml: site.start_utc: not an ISO 8601 timestamp: 'yesterdayZ'"),
    ('y_m = 1\n', 'y_m = 1\nmodel = "6PSMT-C02"\n',
     "site.toml: meters[0].model: 6PSMT-C02 has no MDT"),
    ('y_m = 1\n', 'y_m = 1\nmodel = "MMSMT-X99"\n',
     "site.toml: meters[0].model: unknown meter model 'MMSMT-X99'"),
    ('y_m = 1\n', 'y_m = 1\nrating_a = 150\n',
     "site.toml: meters[0].rating_a: unknown current rating 150"),
    ('y_m = 1\n', 'y_m = 1\nservice = "delta"\n',
     "site.toml: meters[0].service: unknown service 'delta'"),
    ('y_m = 1\n', 'y_m = 1\nplacement = "in_the_fridge"\n',
     "site.toml: meters[0].placement: unknown placement 'in_the_fridge'; known: open, "
     "near_metal, metal_box_window, metal_box"),
    ('y_m = 1\n', 'y_m = 1\nload = "factory"\n',
     "site.toml: meters[0].load: unknown load 'factory'; known: household, commercial, csv"),
    ('y_m = 1\n', 'y_m = 1\nload = "csv"\n',
     'site.toml: meters[0].load_csv: missing: load = "csv" needs load_csv'),
    ('y_m = 1\n', 'y_m = 1\nload_scale_w = -5\n',
     "site.toml: meters[0].load_scale_w: must be at least 0, got -5"),
    ('y_m = 1\n', 'y_m = 1\npower_on_s = -1\n',
     "site.toml: meters[0].power_on_s: must be at least 0, got -1"),
    ('[[meters]]', '[[outages]]\ndevice = "R9"\nstart_s = 0\nduration_s = 60\n\n[[meters]]',
     "site.toml: outages[0].device: unknown device id 'R9'"),
    ('[[meters]]', '[[outages]]\ndevice = "R1"\nstart_s = 0\nduration_s = 0\n\n[[meters]]',
     "site.toml: outages[0].duration_s: must be positive, got 0"),
    ('[[meters]]', '[[tampers]]\nmeter = "R1"\nstart_s = 5\n\n[[meters]]',
     "site.toml: tampers[0].meter: unknown meter id 'R1' (tamper events are for meters)"),
    ('[[meters]]', '[[walls]]\nfloor = 0\nx1_m = 1\ny1_m = 1\nx2_m = 1\ny2_m = 1\n\n[[meters]]',
     "site.toml: walls[0].x2_m: a wall needs two distinct end points"),
    ('[[meters]]', '[radio]\npathloss = 3\n\n[[meters]]',
     "site.toml: radio: unknown key(s) pathloss; allowed: frequency_mhz"),
    ('[[meters]]', '[radio]\nwall_loss_db = "five"\n\n[[meters]]',
     'site.toml: radio.wall_loss_db: expected a number, got "five"'),
    ('[[meters]]', '[radio]\npath_loss_exponent = -1\n\n[[meters]]',
     "site.toml: radio.path_loss_exponent: must be positive"),
    ('[site]', 'schema_version = 7\n\n[site]',
     "site.toml: schema_version: unsupported schema version 7"),
    ('[site]', 'colour = 1\n[site]', "site.toml: colour: unknown key; allowed: schema_version"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD, ids=[m for _, _, m in BAD])
def test_malformed_files_are_refused_with_key_and_reason(tmp_path: Path, old: str, new: str,
                                                         message: str) -> None:
    assert old in MINIMAL
    path = _write(tmp_path, MINIMAL.replace(old, new, 1))
    with pytest.raises(SiteError) as info:
        load_site(path)
    text = str(info.value).replace(str(path), "site.toml")
    assert text.startswith(message), text
    assert isinstance(info.value, InputError)


def test_missing_tables_are_named(tmp_path: Path) -> None:
    text = MINIMAL.split("[dcap]")[0]
    with pytest.raises(SiteError, match=r"dcap: missing table \[dcap\]"):
        load_site(_write(tmp_path, text))
    with pytest.raises(SiteError, match=r"site: missing table \[site\]"):
        load_site(_write(tmp_path, MINIMAL.replace('[site]\nname = "t"\n'
                                                   'time_zone = "America/New_York"\n', "")))
    with pytest.raises(SiteError, match="sight: unknown key; allowed: schema_version, site"):
        load_site(_write(tmp_path, MINIMAL.replace("[site]", "[sight]")))


def test_toml_syntax_errors_give_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace('x_m = 10', 'x_m = = 10'))
    with pytest.raises(SiteError) as info:
        load_site(path)
    assert info.value.where == f"{path}:16:7"
    assert "TOML syntax error" in info.value.message


def test_a_site_files_text_reads_as_the_file(tmp_path: Path) -> None:
    """``site_from_text``: the text a Dask worker is handed gives the site ``load_site`` gives,
    and its errors name the file it came from."""
    path = _write(tmp_path, MINIMAL)
    assert site_from_text(MINIMAL, file=str(path), base_dir=tmp_path, source=path) \
        == load_site(path)
    with pytest.raises(SiteError) as info:
        site_from_text(MINIMAL.replace('x_m = 10', 'x_m = = 10'), file="sites/a.toml")
    assert info.value.where == "sites/a.toml:16:7"


def test_missing_file_and_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="no such file"):
        load_site(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"name = '\xff'\n")
    with pytest.raises(SiteError, match="not UTF-8"):
        load_site(bad)


def test_a_csv_load_is_relative_to_the_site_file(tmp_path: Path) -> None:
    (tmp_path / "loads").mkdir()
    (tmp_path / "loads" / "a.csv").write_text("t_s,l1_w,l2_w\n0,100,50\n3600,0,0\n")
    path = _write(tmp_path, MINIMAL.replace('y_m = 1\n', 'y_m = 1\nload_csv = "loads/a.csv"\n'))
    site = load_site(path)
    assert site.meters[0].load.kind is LoadKind.CSV
    assert site.meters[0].load.csv_path == (tmp_path / "loads" / "a.csv").resolve()
    # written elsewhere, the path follows the file
    (tmp_path / "out").mkdir()
    text = site_to_toml(site, tmp_path / "out")
    assert 'load_csv = "../loads/a.csv"' in text


def test_a_bad_csv_load_names_the_meter_and_the_csv_line(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("t_s,l1_w,l2_w\n0,100,50\n10,x,0\n")
    path = _write(tmp_path, MINIMAL.replace('y_m = 1\n', 'y_m = 1\nload_csv = "a.csv"\n'))
    with pytest.raises(SiteError, match=r"meters\[0\]\.load_csv: .*a\.csv:3.*not a number"):
        load_site(path)
    path = _write(tmp_path, MINIMAL.replace('y_m = 1\n', 'y_m = 1\nload_csv = "none.csv"\n'))
    with pytest.raises(SiteError, match=r"meters\[0\]\.load_csv: .*no such file"):
        load_site(path)


def test_start_utc_as_a_toml_date_time(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace('name = "t"\n',
                                            'name = "t"\nstart_utc = 2026-03-02T08:00:00Z\n'))
    assert load_site(path).start_s == 1772438400


def test_radio_overrides_apply(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "\n[radio]\npath_loss_exponent = 2.5\nwall_loss_db = 7\n")
    site = load_site(path)
    assert site.radio.path_loss_exponent == 2.5
    assert site.radio.wall_loss_db == 7.0
    assert dict(site.radio_overrides) == {"path_loss_exponent": 2.5, "wall_loss_db": 7.0}
