"""``openamr export csv|greenbutton``: files written, bad input exits with status 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from export_seed import DAY, FALL, SPRING, seed_store

from openamr.cli import main
from openamr.headend.store import open_store

GOLDEN = Path(__file__).parent / "golden" / "daily_s1_2026-09-21.csv"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "cli.db"
    with open_store(str(path)) as store:
        seed_store(store, (SPRING, DAY, FALL))  # as the golden file
    return str(path)


def test_export_csv_writes_the_daily_report(db: str, tmp_path: Path) -> None:
    out = tmp_path / "daily.csv"
    result = CliRunner().invoke(main, ["export", "csv", "--db", db, "--date", DAY.isoformat(),
                                       "--site", "s1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")


def test_export_greenbutton_writes_xml(db: str, tmp_path: Path) -> None:
    out = tmp_path / "m1.xml"
    result = CliRunner().invoke(main, ["export", "greenbutton", "--db", db, "--meter", "m1",
                                       "--from", DAY.isoformat(), "--to", DAY.isoformat(),
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().count(b"<espi:IntervalReading>") == 96


@pytest.mark.parametrize(("args", "message"), [
    (["csv", "--date", "2026-13-01", "-o", "x.csv"], "--date: not a date"),
    (["csv", "--date", "2026-09-21", "--site", "zz", "-o", "x.csv"], "unknown site 'zz'"),
    (["greenbutton", "--meter", "nope", "--from", "2026-09-21", "--to", "2026-09-21",
      "-o", "x.xml"], "unknown meter 'nope'"),
    (["greenbutton", "--meter", "m1", "--from", "2026-09-22", "--to", "2026-09-21",
      "-o", "x.xml"], "--to:"),
    (["greenbutton", "--meter", "m1", "--from", "21/09/2026", "--to", "2026-09-21",
      "-o", "x.xml"], "--from: not a date"),
])
def test_bad_input_exits_2_and_writes_nothing(db: str, tmp_path: Path, args: list[str],
                                              message: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["export", args[0], "--db", db, *args[1:]])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / args[-1]).exists()


def test_a_missing_store_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    result = CliRunner().invoke(main, ["export", "csv", "--db", str(missing), "--date",
                                       "2026-09-21", "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert "no such store" in result.output
    assert not missing.exists()
