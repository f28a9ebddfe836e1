"""Green Button export: valid against the GBA schema, read back by greenbutton-objects."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from export_seed import DAY, FALL, SPRING, ZONE, seed_store

from openamr.errors import InputError
from openamr.headend.export.greenbutton import (
    export_greenbutton,
    greenbutton_feed,
    local_time_rules,
)
from openamr.headend.store import Store, open_store
from openamr.timeutil import local_day_bounds_s, site_zone

SHARED = Path(os.environ.get("OPENAMR_SHARED_DIR",
                            Path(__file__).resolve().parents[3] / ".." / "shared"))
"""The shared data beside the repository (``OPENAMR_SHARED_DIR`` overrides, e.g. in a
worktree)."""
SCHEMA_DIR = SHARED / "data" / "greenbutton"
UPDATED_S = 1_800_000_000


@pytest.fixture(scope="module")
def schema() -> Any:
    xsd = SCHEMA_DIR / "espiDerived.xsd"
    if not xsd.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the Green Button schema is missing at {xsd}")
        pytest.skip(f"the Green Button schema is not at {xsd} (shared/ beside the repository)")
    import xmlschema

    return xmlschema.XMLSchema(str(xsd))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(str(tmp_path / "gb.db"))
    seed_store(s, (SPRING, DAY, FALL))
    yield s
    s.close()


def _read_back(path: Path) -> list[tuple[datetime, int, float, set[int]]]:
    from greenbutton_objects import parse

    usage_points = parse.parse_feed(str(path))
    assert len(usage_points) == 1
    readings = []
    (meter_reading,) = usage_points[0].meterReadings
    assert meter_reading.readingType.uom.value == 72
    assert meter_reading.readingType.intervalLength == 900
    assert meter_reading.readingType.accumulationBehaviour.value == 4
    assert meter_reading.readingType.flowDirection.value == 1
    for ir in meter_reading.intervalReadings:
        readings.append((ir.timePeriod.start, int(ir.timePeriod.duration.total_seconds()),
                         ir.value, {q.quality.value for q in ir.readingQualities}))
    return readings


@pytest.mark.parametrize(("meter_id", "first", "last"), [("m1", DAY, DAY), ("m2", DAY, DAY),
                                                         ("m1", SPRING, FALL)])
def test_the_feed_validates_and_reads_back_exactly(store: Store, schema: Any, tmp_path: Path,
                                                   meter_id: str, first: Any, last: Any) -> None:
    xml = export_greenbutton(store, meter_id, first, last, updated_s=UPDATED_S)
    path = tmp_path / "feed.xml"
    path.write_bytes(xml)
    errors = list(schema.iter_errors(str(path)))
    assert not errors, errors[:3]
    zone = site_zone(ZONE)
    lo_s, hi_s = local_day_bounds_s(first, zone)[0], local_day_bounds_s(last, zone)[1]
    stored = store.get_intervals(meter_id, lo_s, hi_s)
    back = _read_back(path)
    assert len(back) == len(stored)
    assert [b[0] for b in back] == [datetime.fromtimestamp(int(t), UTC) for t in stored.start_s]
    assert {b[1] for b in back} == {900}
    assert np.allclose([b[2] for b in back], stored.energy_wh, atol=1e-9)
    qualities = [b[3] for b in back]
    assert qualities == [set() if q == "measured" else {10} for q in stored.quality]


def test_dst_days_make_23_and_25_hour_blocks(store: Store, schema: Any) -> None:
    xml = export_greenbutton(store, "m1", SPRING, FALL, updated_s=UPDATED_S).decode()
    assert xml.count("<espi:IntervalBlock>") == 3
    assert "<espi:duration>82800</espi:duration>" in xml
    assert "<espi:duration>90000</espi:duration>" in xml
    assert xml.count("<espi:IntervalReading>") == 92 + 96 + 100
    assert "<espi:dstStartRule>360E2000</espi:dstStartRule>" in xml


def test_local_time_rules_of_some_zones() -> None:
    la = local_time_rules("America/Los_Angeles", 2026)
    assert (la.tz_offset_s, la.dst_offset_s) == (-28800, 3600)
    assert (la.dst_start_rule, la.dst_end_rule) == ("360E2000", "B40E2000")
    berlin = local_time_rules("Europe/Berlin", 2026)  # last Sundays of March and October
    assert (berlin.dst_start_rule, berlin.dst_end_rule) == ("3E0E2000", "AE0E3000")
    phoenix = local_time_rules("America/Phoenix", 2026)
    assert (phoenix.dst_offset_s, phoenix.dst_start_rule) == (0, "FFFFFFFF")


def test_fractional_energies_get_a_power_of_ten_multiplier(schema: Any, tmp_path: Path) -> None:
    lo_s = local_day_bounds_s(DAY, site_zone("UTC"))[0]
    starts = lo_s + 900 * np.arange(4)
    energy = np.array([1.25, 0.5, 12.0, 3.75])
    xml = greenbutton_feed(meter_id="x", timezone="UTC", start_s=starts, energy_wh=energy,
                           quality=["measured", "estimated", "clock_unsynced", "measured"],
                           first_day=DAY, last_day=DAY, updated_s=UPDATED_S)
    assert b"<espi:powerOfTenMultiplier>-2</espi:powerOfTenMultiplier>" in xml
    path = tmp_path / "frac.xml"
    path.write_bytes(xml)
    assert not list(schema.iter_errors(str(path)))
    back = _read_back(path)
    assert np.allclose([b[2] for b in back], energy)
    assert [b[3] for b in back] == [set(), {16}, {10}, set()]
    assert back[0][0] == datetime(2026, 9, 21, tzinfo=UTC)
    assert back[1][0] - back[0][0] == timedelta(seconds=900)


def test_bad_input_is_refused(store: Store) -> None:
    with pytest.raises(InputError, match="unknown meter 'nope'"):
        export_greenbutton(store, "nope", DAY, DAY, updated_s=UPDATED_S)
    with pytest.raises(InputError, match="before"):
        export_greenbutton(store, "m1", FALL, DAY, updated_s=UPDATED_S)
    with pytest.raises(InputError, match="quality"):
        greenbutton_feed(meter_id="x", timezone="UTC", start_s=[0], energy_wh=[1.0],
                         quality=["weird"], first_day=DAY, last_day=DAY, updated_s=0)


def test_read_back_is_right_under_a_dst_local_zone(store: Store, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """greenbutton-objects converts with ``fromtimestamp`` (local time): the repeated fall-back
    hour must still come back as 100 distinct UTC instants."""
    import time as time_module

    if not hasattr(time_module, "tzset"):
        pytest.skip("time.tzset is not available on this platform")
    path = tmp_path / "fall.xml"
    path.write_bytes(export_greenbutton(store, "m1", FALL, FALL, updated_s=UPDATED_S))
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time_module.tzset()
    try:
        back = _read_back(path)
    finally:
        monkeypatch.undo()
        time_module.tzset()
    lo_s, hi_s = local_day_bounds_s(FALL, site_zone(ZONE))
    assert [b[0] for b in back] == [datetime.fromtimestamp(t, UTC) for t in range(lo_s, hi_s, 900)]


def test_the_validated_view_carries_vee_quality_codes(store: Store, schema: Any,
                                                      tmp_path: Path) -> None:
    """m2 misses intervals 0, 1 and 40 of DAY: VEE fills 40 by a straight line (9); 0 and 1
    have no interval before them and no like days, so they stay missing.  An edit of m1 is 7,
    its partial interval questionable (10), the rest validated (the default, 17)."""
    from openamr.headend.vee import edit_interval, run_vee

    zone = site_zone(ZONE)
    lo_s, hi_s = local_day_bounds_s(DAY, zone)
    run_vee(store, meter_ids=["m1", "m2"], start_s=lo_s, end_s=hi_s, now_s=UPDATED_S)
    edit_interval(store, "m1", lo_s + 900 * 10, 7.0, user="clerk", reason="test",
                  now_s=UPDATED_S)
    raw_xml = export_greenbutton(store, "m2", DAY, DAY, updated_s=UPDATED_S)
    xml = export_greenbutton(store, "m2", DAY, DAY, updated_s=UPDATED_S, view="validated")
    assert b"<espi:defaultQuality>14</espi:defaultQuality>" in raw_xml
    assert b"<espi:defaultQuality>17</espi:defaultQuality>" in xml
    path = tmp_path / "validated.xml"
    path.write_bytes(xml)
    assert not list(schema.iter_errors(str(path)))
    back = _read_back(path)
    assert len(back) == 96 - 2  # 40 estimated; 0 and 1 have no interval before them
    by_start = {b[0]: b for b in back}
    t40 = datetime.fromtimestamp(lo_s + 900 * 40, UTC)
    assert by_start[t40][3] == {9}
    path_m1 = tmp_path / "m1.xml"
    path_m1.write_bytes(export_greenbutton(store, "m1", DAY, DAY, updated_s=UPDATED_S,
                                           view="validated"))
    assert not list(schema.iter_errors(str(path_m1)))
    back_m1 = _read_back(path_m1)
    assert back_m1[10][2] == 7.0
    assert back_m1[10][3] == {7}
    assert back_m1[5][3] == {10}  # partial: questionable
    assert back_m1[0][3] == set()  # validated (the default 17)


def test_the_validated_view_marks_intervals_vee_has_not_seen_as_raw(store: Store) -> None:
    xml = export_greenbutton(store, "m1", DAY, DAY, updated_s=UPDATED_S, view="validated")
    assert xml.count(b"<espi:quality>14</espi:quality>") == 95  # all but the partial one
    with pytest.raises(InputError, match="view"):
        export_greenbutton(store, "m1", DAY, DAY, updated_s=UPDATED_S, view="cooked")
