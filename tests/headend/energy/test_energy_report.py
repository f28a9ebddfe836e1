"""The energy report of a meter, a unit and a site over a small deterministic building:
golden text and JSON, previous period, similar units, site totals, and the CLI."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from energy_seed import SHAPES, seed_energy

from openamr.cli import main
from openamr.errors import InputError
from openamr.headend.energy import energy_report, previous_range, report_json, report_table
from openamr.headend.store import Store, open_store

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "energy.db"
    with open_store(str(path)) as store:
        seed_energy(store)
    return path


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    with open_store(str(db)) as opened:
        yield opened


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OPENAMR_REGOLD"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_unit_report_table_golden(store: Store) -> None:
    report = energy_report(store, date(2026, 3, 7), date(2026, 3, 10), unit_id="101")
    _golden("unit_101_2026-03-07_10.txt", report_table(report))


def test_meter_report_json_golden(store: Store) -> None:
    report = energy_report(store, date(2026, 3, 8), date(2026, 3, 10), meter_id="m-102")
    text = json.dumps(report_json(report), indent=1, ensure_ascii=False) + "\n"
    _golden("meter_m-102_2026-03-08_10.json", text)


def test_dst_day_and_gap(store: Store) -> None:
    report = energy_report(store, date(2026, 3, 8), date(2026, 3, 10), meter_id="m-102")
    assert report.daily.intervals_expected.tolist() == [92, 96, 96]
    assert report.daily.intervals_present.tolist() == [92, 96, 84]
    # m-102 draws 30 + hour Wh per interval: a 92-interval day lacks the 02:00 hour
    day = sum(4 * (30 + h) for h in range(24) if h != 2)
    assert report.daily.energy_wh[0] == day
    assert report.total_energy_wh == float(np.nansum(report.daily.energy_wh))
    assert report.peak is not None
    assert report.peak.demand_w == 4 * (30 + 23)


def test_unit_sums_its_meters_and_compares(store: Store) -> None:
    report = energy_report(store, date(2026, 3, 1), date(2026, 3, 31), unit_id="101")
    a = energy_report(store, date(2026, 3, 1), date(2026, 3, 31), meter_id="m-101a")
    b = energy_report(store, date(2026, 3, 1), date(2026, 3, 31), meter_id="m-101b")
    assert report.total_energy_wh == a.total_energy_wh + b.total_energy_wh
    # the previous period of a whole month is the month before
    assert (report.previous.first_day, report.previous.last_day) == (date(2026, 2, 1),
                                                                      date(2026, 2, 28))
    feb = energy_report(store, date(2026, 2, 1), date(2026, 2, 28), unit_id="101")
    assert report.previous.change.reference_wh == feb.total_energy_wh
    # similar units: apartments of 50-100 m2 -> 102 only (201 has 120 m2, pv is not one)
    assert report.similar is not None
    assert report.similar.peer_ids == ("102",)
    assert report.similar.floor_area_band_m2 == (50.0, 100.0)
    unit_102 = energy_report(store, date(2026, 3, 1), date(2026, 3, 31), unit_id="102")
    assert report.similar.peer_median_wh == unit_102.total_energy_wh
    assert report.similar.rank == (1 if report.total_energy_wh < unit_102.total_energy_wh
                                   else 2)
    assert report.similar.energy_per_m2_wh == pytest.approx(report.total_energy_wh / 55.0)


def test_site_total_leaves_out_pv_and_lists_every_meter(store: Store) -> None:
    report = energy_report(store, date(2026, 3, 1), date(2026, 3, 2), site_id="s-1")
    included = {m.meter_id for m in report.meters if m.included}
    assert included == {"m-101a", "m-101b", "m-102", "m-201"}
    assert {m.meter_id for m in report.meters} == set(SHAPES)
    assert report.total_energy_wh == sum(m.energy_wh for m in report.meters if m.included)
    assert report.similar is None
    assert report.grid.meters == 4


def test_previous_range() -> None:
    assert previous_range(date(2026, 3, 1), date(2026, 5, 1)) == (date(2026, 1, 1),
                                                                  date(2026, 3, 1))
    assert previous_range(date(2026, 1, 1), date(2026, 2, 1)) == (date(2025, 12, 1),
                                                                  date(2026, 1, 1))
    assert previous_range(date(2026, 3, 5), date(2026, 3, 12)) == (date(2026, 2, 26),
                                                                   date(2026, 3, 5))


def test_refusals(store: Store) -> None:
    with pytest.raises(InputError, match="unknown meter"):
        energy_report(store, date(2026, 3, 1), date(2026, 3, 2), meter_id="nope")
    with pytest.raises(InputError, match="before the first day"):
        energy_report(store, date(2026, 3, 2), date(2026, 3, 1), meter_id="m-102")
    with pytest.raises(InputError, match="at most"):
        energy_report(store, date(2020, 3, 2), date(2026, 3, 1), meter_id="m-102")
    with pytest.raises(InputError, match="outside"):
        energy_report(store, date(1, 1, 1), date(2026, 3, 1), meter_id="m-102")


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["report", "energy", *args])
    return result.exit_code, result.output


def test_cli_formats_and_plot(db: Path, tmp_path: Path, store: Store) -> None:
    code, out = _run("--db", str(db), "--unit", "101", "--from", "2026-03-07",
                     "--to", "2026-03-10")
    assert code == 0, out
    report = energy_report(store, date(2026, 3, 7), date(2026, 3, 10), unit_id="101")
    assert out == report_table(report)
    code, out = _run("--db", str(db), "--meter", "m-102", "--from", "2026-03-08",
                     "--to", "2026-03-10", "--format", "json")
    assert code == 0
    assert json.loads(out)["total"]["intervals_present"] == 92 + 96 + 84
    plot = tmp_path / "usage.svg"
    code, out = _run("--db", str(db), "--site", "s-1", "--from", "2026-03-01",
                     "--to", "2026-03-31", "--format", "csv", "--plot", str(plot),
                     "--plot-kind", "heatmap")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("period,label,start,end,energy_wh")
    assert len(lines) == 1 + 31 + 1
    assert plot.read_bytes().startswith(b"<?xml")


@pytest.mark.parametrize(("args", "message"), [
    (["--meter", "nope", "--from", "2026-03-01", "--to", "2026-03-02"], "unknown meter 'nope'"),
    (["--from", "2026-03-01", "--to", "2026-03-02"], "give --meter, --unit or --site"),
    (["--site", "s-1", "--from", "2026-03-01", "--to", "2026-02-02"], "is before --from"),
    (["--site", "s-1", "--from", "2026-3-1x", "--to", "2026-03-02"], "not a date"),
    (["--site", "s-1", "--from", "2026-03-01", "--to", "2026-03-02", "--plot", "x.gif"],
     ".png or .svg"),
])
def test_cli_bad_input_exits_2(db: Path, args: list[str], message: str) -> None:
    code, out = _run("--db", str(db), *args)
    assert code == 2
    assert message in out


def test_site_meter_totals_equal_each_meters_own_report(store: Store) -> None:
    """The site report maps rows to meters per run of rows (a fast path): each meter's total
    and peak equal those of the meter's own report (the reference)."""
    site = energy_report(store, date(2026, 3, 8), date(2026, 3, 12), site_id="s-1")
    for total in site.meters:
        own = energy_report(store, date(2026, 3, 8), date(2026, 3, 12),
                            meter_id=total.meter_id)
        assert total.energy_wh == own.total_energy_wh
        assert total.intervals_present == own.intervals_present
        assert own.peak is not None
        assert total.peak_demand_w == own.peak.demand_w


def test_validated_view_fills_the_gap_with_vees_estimates(store: Store) -> None:
    """m-102 misses 12 intervals on 10 March; VEE rows filling them show in the validated view
    only, and the raw report is unchanged."""
    from energy_seed import GAP_S

    from openamr.headend.store.base import QUALITIES
    from openamr.headend.store.vee_rows import VEE_METHODS, VeeRows

    key = int(store.meter_keys(["m-102"])[0])
    starts = GAP_S + 900 * np.arange(12)
    store.put_vee_rows(VeeRows(np.full(12, key), starts, np.full(12, 7.0),
                               np.full(12, QUALITIES.index("estimated_linear")),
                               np.full(12, VEE_METHODS.index("linear")),
                               np.ones(12, dtype=np.int64)))
    raw = energy_report(store, date(2026, 3, 10), date(2026, 3, 10), meter_id="m-102")
    validated = energy_report(store, date(2026, 3, 10), date(2026, 3, 10), meter_id="m-102",
                              view="validated")
    assert raw.intervals_present == 84
    assert validated.intervals_present == 96
    assert validated.total_energy_wh == raw.total_energy_wh + 12 * 7.0
    with pytest.raises(InputError, match="unknown view"):
        energy_report(store, date(2026, 3, 10), date(2026, 3, 10), meter_id="m-102",
                      view="cooked")
    code, out = _run("--db", str(store.url.removeprefix("sqlite:///")), "--meter", "m-102",
                     "--from", "2026-03-10", "--to", "2026-03-10", "--format", "json",
                     "--view", "validated")
    assert code == 0, out
    assert json.loads(out)["total"]["intervals_present"] == 96


def test_the_same_meter_id_at_two_sites(store: Store) -> None:
    """Meter ids are per site: the report reads the meter of the site asked for."""
    from openamr.headend.store import IntervalBatch, Meter, Site

    store.upsert_site(Site("s-2", "Annex", "America/Los_Angeles"))
    store.upsert_meter(Meter("m-102", "s-2"))
    lo = energy_report(store, date(2026, 3, 9), date(2026, 3, 9), meter_id="m-102",
                       site_id="s-1").grid.calendar.day_edges_s[0]
    store.put_intervals(IntervalBatch("m-102", np.arange(lo, lo + 96 * 900, 900), np.ones(96),
                                      site_id="s-2"))
    annex = energy_report(store, date(2026, 3, 9), date(2026, 3, 9), meter_id="m-102",
                          site_id="s-2")
    main = energy_report(store, date(2026, 3, 9), date(2026, 3, 9), meter_id="m-102",
                         site_id="s-1")
    assert annex.total_energy_wh == 96.0
    assert main.total_energy_wh == sum(4 * (30 + h) for h in range(24))
    assert annex.subject.site_id == "s-2"
