"""``openamr site generate | show | check``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from openamr.cli import main
from openamr.field.site import load_site

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "small-building.toml"


def test_generate_writes_a_loadable_file(tmp_path: Path) -> None:
    out = tmp_path / "site.toml"
    result = CliRunner().invoke(main, ["site", "generate", "--meters", "60", "--floors", "3",
                                       "--seed", "2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    site = load_site(out)
    assert len(site.meters) == 60
    assert len(site.repeaters) == 3
    assert site.seed == 2


def test_generate_to_stdout_and_options() -> None:
    result = CliRunner().invoke(main, ["site", "generate", "--meters", "5", "--floors", "1",
                                       "--repeaters", "1", "--order", "reverse",
                                       "--time-zone", "Europe/Paris",
                                       "--start-utc", "2026-01-05T00:00:00Z"])
    assert result.exit_code == 0, result.output
    assert 'time_zone = "Europe/Paris"' in result.output
    assert 'start_utc = "2026-01-05T00:00:00Z"' in result.output


def test_generate_bad_input_exits_2() -> None:
    runner = CliRunner()
    for args in (["--meters", "0", "--floors", "1"], ["--meters", "x", "--floors", "1"],
                 ["--meters", "3", "--floors", "1", "--order", "sideways"],
                 ["--meters", "3", "--floors", "1", "--time-zone", "Nowhere/Land"],
                 ["--meters", "3", "--floors", "1", "--near-metal-ratio", "2"],
                 ["--floors", "1"]):
        result = runner.invoke(main, ["site", "generate", *args])
        assert result.exit_code == 2, (args, result.output)


def test_show_summarises() -> None:
    result = CliRunner().invoke(main, ["site", "show", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "Small building" in result.output
    result = CliRunner().invoke(main, ["site", "show", "--json", str(EXAMPLE)])
    summary = json.loads(result.output)
    assert summary["meters"] == 8
    assert summary["placements"] == {"metal_box": 1, "near_metal": 2, "open": 8}


def test_check_reports_and_sets_the_exit_status(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["site", "check", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "site.placement.metal_box" in result.output
    report = json.loads(CliRunner().invoke(main, ["site", "check", "--json",
                                                  str(EXAMPLE)]).output)
    assert report["mdts_with_usable_link"] == 8
    # an MDT 2 km away from everything: an error finding, exit status 1
    far = EXAMPLE.read_text(encoding="utf-8").replace("x_m = 28.0\ny_m = 11.0",
                                                     "x_m = 2000.0\ny_m = 11.0")
    path = tmp_path / "far.toml"
    path.write_text(far, encoding="utf-8")
    result = CliRunner().invoke(main, ["site", "check", str(path)])
    assert result.exit_code == 1
    assert "site.mdt_no_usable_link" in result.output
    assert "M-0008" in result.output


def test_a_malformed_file_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    path.write_text(text.replace('x_m = 15.0\ny_m = 6.0\nfloor = 1',
                                 'x_m = "ten"\ny_m = 6.0\nfloor = 1'), encoding="utf-8")
    for command in ("show", "check"):
        result = CliRunner().invoke(main, ["site", command, str(path)])
        assert result.exit_code == 2
        assert 'repeaters[0].x_m: expected a number, got "ten"' in result.output
