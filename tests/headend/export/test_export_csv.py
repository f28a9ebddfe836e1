"""Daily CSV report: golden file, DST days with 92 and 100 interval columns, bad input."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from export_seed import DAY, FALL, SPRING, seed_store
from hypothesis import example, given
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.headend.export.csv_daily import (
    FIXED_COLUMNS,
    daily_report,
    export_daily_csv,
    interval_labels,
)
from openamr.headend.store import Site, Store, open_store
from openamr.headend.store.base import StatusReport
from openamr.timeutil import intervals_in_local_day, local_day_bounds_s, site_zone

GOLDEN = Path(__file__).parent / "golden" / "daily_s1_2026-09-21.csv"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(str(tmp_path / "export.db"))
    seed_store(s, (SPRING, DAY, FALL))
    yield s
    s.close()


def test_the_daily_report_matches_the_golden_file(store: Store) -> None:
    text = export_daily_csv(store, DAY, "s1")
    if os.environ.get("OPENAMR_REGOLD"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_the_report_carries_register_intervals_and_health(store: Store) -> None:
    rows = list(csv.DictReader(io.StringIO(export_daily_csv(store, DAY, "s1"))))
    m1, m2 = rows
    assert (m1["meter_id"], m2["meter_id"]) == ("m1", "m2")
    assert m1["intervals_present"] == "96"
    assert m1["intervals_not_measured"] == "1"
    assert m2["intervals_present"] == "93"
    assert m1["rssi_dbm"] == "-78"
    assert m1["link_quality_pct"] == "80"
    assert m1["parent_id"] == "00000000000000aa"
    assert m1["battery_mv"] == "3310"
    assert m2["rssi_dbm"] == m2["register_kwh"] == ""
    labels = [c for c in rows[0] if c not in FIXED_COLUMNS]
    assert labels[0] == "00:00-07:00"
    assert labels[-1] == "23:45-07:00"
    assert m2[labels[0]] == ""
    assert m2[labels[2]] != ""
    day_wh = sum(float(m1[c]) for c in labels)
    assert float(m1["day_energy_kwh"]) == pytest.approx(day_wh / 1000, abs=5e-4)
    assert float(m1["register_kwh"]) == pytest.approx((1_234_567 + day_wh) / 1000, abs=5e-4)
    assert m1["register_read"] == "2026-09-22T07:00:00Z"


@pytest.mark.parametrize(("day", "count", "repeated"), [(SPRING, 92, None),
                                                        (FALL, 100, "01:00")])
def test_dst_days_have_92_or_100_interval_columns(store: Store, day: object, count: int,
                                                  repeated: str | None) -> None:
    report = daily_report(store, day, "s1")  # type: ignore[arg-type]
    labels = report.header[len(FIXED_COLUMNS):]
    assert len(labels) == count
    assert len(set(labels)) == count  # unique even when the wall clock repeats
    assert all(len(row) == len(report.header) for row in report.rows)
    m1 = dict(zip(report.header, report.rows[0], strict=True))
    assert m1["intervals_expected"] == m1["intervals_present"] == str(count)
    hours = [label[:2] for label in labels]
    if repeated is None:
        assert "02" not in hours
    else:
        assert f"{repeated}-07:00" in labels
        assert f"{repeated}-08:00" in labels


def test_the_site_must_be_known_or_unique(store: Store) -> None:
    with pytest.raises(InputError, match="unknown site 'nope'"):
        export_daily_csv(store, DAY, "nope")
    assert export_daily_csv(store, DAY) == export_daily_csv(store, DAY, "s1")
    store.upsert_site(Site("s2", "Annex", "UTC"))
    with pytest.raises(InputError, match="2 sites"):
        export_daily_csv(store, DAY)
    utc = daily_report(store, DAY, "s2")
    assert utc.rows == ()
    assert utc.header[len(FIXED_COLUMNS)] == "00:00+00:00"


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2037, 12, 31)),
       zone=st.sampled_from(["America/Los_Angeles", "Europe/Berlin", "Australia/Sydney",
                             "America/St_Johns", "UTC", "Asia/Kolkata"]))
@example(day=date(2006, 10, 29), zone="America/St_Johns")  # fell back at 00:01 until 2011
def test_interval_labels_match_the_local_day(day: date, zone: str) -> None:
    labels = interval_labels(day, zone)
    assert len(labels) == intervals_in_local_day(day, site_zone(zone))
    assert len(labels) in (92, 96, 100)
    assert len(set(labels)) == len(labels)
    assert labels[0].startswith("00:00")


def test_health_columns_are_the_state_at_the_end_of_the_day(store: Store) -> None:
    """From the status history: the last STATUS before the day's end, not today's status."""
    lo_s, hi_s = local_day_bounds_s(SPRING, site_zone("America/Los_Angeles"))

    def report(counter: int, t_s: int, rssi_dbm: int, battery_mv: int) -> StatusReport:
        return StatusReport("0000000000000001", counter, t_s, "00000000000000aa", rssi_dbm,
                            float(rssi_dbm + 110), 1.5, 2, battery_mv, 2000, False, 10, 1, 0, 0,
                            0, 3600 * counter, 0)

    store.put_status_reports([report(1, lo_s + 3600, -95, 3000),
                              report(2, hi_s - 900, -88, 2990),
                              report(3, hi_s + 60, -70, 2980)])  # the next day: not this one's
    rows = {r["meter_id"]: r for r in csv.DictReader(io.StringIO(
        export_daily_csv(store, SPRING, "s1")))}
    m1 = rows["m1"]
    assert (m1["rssi_dbm"], m1["link_margin_db"], m1["battery_mv"], m1["etx"],
            m1["link_quality_pct"]) == ("-88", "22", "2990", "1.5", "67")
    # a day with no STATUS in the week before it: the latest status row
    day_rows = {r["meter_id"]: r for r in csv.DictReader(io.StringIO(
        export_daily_csv(store, DAY, "s1")))}
    assert (day_rows["m1"]["rssi_dbm"], day_rows["m1"]["battery_mv"]) == ("-78", "3310")
    assert rows["m2"]["rssi_dbm"] == ""  # never heard
