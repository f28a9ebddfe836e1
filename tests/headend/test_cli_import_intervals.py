"""``openamr import intervals``: whole-file refusal with line numbers, idempotent loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openamr.cli import main
from openamr.headend.store import Meter, Site, open_store

T0 = "2026-01-01T00:00:00Z"


def _write(path: Path, rows: list[str], header: str = "meter_id,start,energy_wh") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["import", "intervals", *args])
    return result.exit_code, result.output


def test_import_creates_meters_and_counts(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    f = _write(tmp_path / "a.csv", ["m1,2026-01-01T00:00:00Z,10", "m1,2026-01-01T00:15:00Z,11.5",
                                    "m2,2026-01-01T01:00:00+01:00,3", "m2,2026-01-01T00:00:00Z,3"])
    code, out = _run(str(f), "--db", db, "--site-tz", "Europe/Berlin", "--json")
    assert code == 0, out
    assert json.loads(out) == {"file": str(f), "rows_read": 4, "inserted": 3, "duplicates": 1,
                               "conflicts": 0, "meters_created": 2}
    code, out = _run(str(f), "--db", db)
    assert code == 0
    assert "4 rows read, 0 inserted, 4 duplicates, 0 conflicts" in out
    with open_store(db) as store:
        meter = store.get_meter("m1")
        assert meter is not None
        site = store.get_site(meter.site_id)
        assert site is not None
        assert site.timezone == "Europe/Berlin"
        assert store.interval_total_wh() == 24.5


def test_conflicts_never_overwrite(tmp_path: Path) -> None:
    db = str(tmp_path / "b.db")
    _run(str(_write(tmp_path / "1.csv", ["m1,2026-01-01T00:00:00Z,10"])), "--db", db)
    code, out = _run(str(_write(tmp_path / "2.csv", ["m1,2026-01-01T00:00:00Z,12",
                                                       "m1,2026-01-01T00:15:00Z,1"])),
                     "--db", db, "--json")
    assert code == 0
    assert json.loads(out)["conflicts"] == 1
    with open_store(db) as store:
        assert store.get_intervals("m1").energy_wh.tolist() == [10.0, 1.0]
        assert store.rejection_counts() == {"conflict": 1}


@pytest.mark.parametrize(("rows", "header", "line", "why"), [
    ([], "meter,start,energy", 1, "header"),
    (["m1,2026-01-01T00:00:00Z,10", "m1,2026-01-01T00:15:00Z,abc"], None, 3, "not a number"),
    (["m1,2026-01-01T00:00:00Z,-1"], None, 2, ">= 0"),
    (["m1,2026-01-01T00:00:00Z,nan"], None, 2, "finite"),
    (["m1,2026-01-01T00:05:00Z,1"], None, 2, "15-minute grid"),
    (["m1,2026-01-01T00:00:00,1"], None, 2, "no UTC offset"),
    (["m1,yesterday,1"], None, 2, "ISO 8601"),
    (["m1,2026-01-01T00:00:00Z"], None, 2, "3 fields"),
    (["m1,2026-01-01T00:00:00Z,1", "m2,2026-01-01T00:00:00Z,1", "m1,2026-01-01T00:00:00Z,2"],
     None, 4, "on line 3"),
])
def test_malformed_file_is_refused_whole(tmp_path: Path, rows: list[str], header: str | None,
                                         line: int, why: str) -> None:
    db = tmp_path / "c.db"
    good = ["m0,2026-01-01T00:00:00Z,5"]
    f = _write(tmp_path / "bad.csv", good + rows if header is None else rows,
               header or "meter_id,start,energy_wh")
    if header is None:
        line += 1
    code, out = _run(str(f), "--db", str(db))
    assert code == 2, out
    assert f"{f}:{line}" in out
    assert why in out
    with open_store(str(db)) as store:
        assert store.interval_count() == 0


def test_strict_refuses_unknown_meters(tmp_path: Path) -> None:
    db = str(tmp_path / "d.db")
    with open_store(db) as store:
        store.upsert_site(Site("s", "S", "UTC"))
        store.upsert_meter(Meter("known", "s"))
    f = _write(tmp_path / "d.csv", ["known,2026-01-01T00:00:00Z,1", "new,2026-01-01T00:00:00Z,1"])
    code, out = _run(str(f), "--db", db, "--strict")
    assert code == 2
    assert f"{f}:3" in out
    assert "unknown meter 'new'" in out
    code, out = _run(str(f), "--db", db, "--site-tz", "Mars/Olympus")
    assert code == 2
    assert "unknown time zone" in out


_rows = st.lists(st.tuples(st.sampled_from(["m1", "m2", "m3"]), st.integers(0, 20),
                           st.integers(0, 5000)), min_size=1, max_size=40)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(_rows, min_size=1, max_size=4), data=st.data())
def test_overlapping_files_store_one_row_per_interval(tmp_path_factory: pytest.TempPathFactory,
                                                      files: list[list[tuple[str, int, int]]],
                                                      data: st.DataObject) -> None:
    """Overlapping files in any order: one row per interval, the first value seen wins, totals
    conserved, every row accounted for as inserted, duplicate or conflict."""
    tmp = tmp_path_factory.mktemp("prop")
    db = str(tmp / "p.db")
    truth: dict[tuple[str, int], int] = {}
    counted = 0
    order = data.draw(st.permutations(range(len(files))))
    for n, k in enumerate(order):
        rows: dict[tuple[str, int], int] = {}
        for mid, slot, e in files[k]:
            rows.setdefault((mid, slot), e)  # a file never contradicts itself
        lines = [f"{m},2026-01-01T{slot // 4:02d}:{15 * (slot % 4):02d}:00Z,{e}"
                 for (m, slot), e in rows.items()]
        lines += lines[: len(lines) // 2]  # same-value repeats inside the file
        code, out = _run(str(_write(tmp / f"{n}.csv", lines)), "--db", db, "--json")
        assert code == 0, out
        s = json.loads(out)
        assert s["inserted"] + s["duplicates"] + s["conflicts"] == s["rows_read"] == len(lines)
        counted += s["inserted"]
        for key, e in rows.items():
            truth.setdefault(key, e)
    with open_store(db) as store:
        assert store.interval_count() == len(truth) == counted
        assert store.interval_total_wh() == sum(truth.values())


def test_progress_is_reported_for_big_files(tmp_path: Path) -> None:
    from openamr.cli.importing import read_intervals_csv

    rows = [f"m{i % 100},2026-01-{1 + i // 9600:02d}T{(i // 400) % 24:02d}:"
            f"{15 * ((i // 100) % 4):02d}:00Z,1" for i in range(60_000)]
    f = _write(tmp_path / "big.csv", rows)
    seen: list[int] = []
    parsed = read_intervals_csv(f, seen.append)
    assert len(parsed.start_s) == 60_000
    assert seen
    assert 0 < seen[0] <= f.stat().st_size
