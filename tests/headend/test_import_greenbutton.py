"""``openamr import greenbutton``: a utility's feed for a master meter, on the 15-minute grid.

The Green Button Alliance's sample feeds (tests/headend/greenbutton_samples, Apache-2.0) are
cross-checked against ``greenbutton-objects`` as an independent reader; synthetic feeds cover
other interval lengths, multipliers and every refusal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from openamr.cli import main
from openamr.cli.importing import import_greenbutton
from openamr.errors import InputError
from openamr.headend.greenbutton_import import read_greenbutton
from openamr.headend.store import Store, open_store
from openamr.headend.vee import run_vee

SAMPLES = Path(__file__).parent / "greenbutton_samples"
SMALL = SAMPLES / "test_usage_data_01.xml"
LARGE = SAMPLES / "test_usage_data.xml"
T0 = 1_790_000_000 - 1_790_000_000 % 86_400


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(str(tmp_path / "gb.db")) as s:
        yield s


def _objects_reading(path: Path) -> list[tuple[int, int, float, set[int]]]:
    from greenbutton_objects import parse

    (usage_point,) = parse.parse_feed(str(path))
    out = []
    for meter_reading in usage_point.meterReadings:
        for ir in meter_reading.intervalReadings:
            out.append((int(ir.timePeriod.start.timestamp()),
                        int(ir.timePeriod.duration.total_seconds()), float(ir.value),
                        {int(q.quality.value) for q in ir.readingQualities}))
    return sorted(out)


@pytest.mark.parametrize("path", [SMALL, LARGE], ids=["one day", "1340 readings"])
def test_the_gba_samples_read_as_greenbutton_objects_reads_them(path: Path) -> None:
    ours = read_greenbutton(path)
    theirs = _objects_reading(path)
    assert ours.readings == len(theirs)
    assert ours.start_s.tolist() == [t for t, _, _, _ in theirs]
    assert {d for _, d, _, _ in theirs} == {900}
    assert ours.interval_length_s == (900,)
    assert ours.energy_wh.tolist() == [v for _, _, v, _ in theirs]
    mapped = {frozenset(): "measured", frozenset({7}): "edited",
              frozenset({8}): "estimated_like_day"}
    assert ours.quality.tolist() == [mapped[frozenset(q)] for _, _, _, q in theirs]


def test_import_is_idempotent_and_keeps_conflicts_as_rejections(store: Store,
                                                                tmp_path: Path) -> None:
    first = import_greenbutton(store, SMALL, site_id="bldg", meter_id="master",
                               site_tz="America/New_York", received_s=T0)
    assert (first.readings, first.intervals, first.inserted, first.meter_created,
            first.site_created) == (96, 96, 96, True, True)
    assert first.energy_wh == 93846.0
    stored = store.get_intervals("master")
    assert stored.energy_wh.sum() == 93846.0
    assert set(stored.quality.tolist()) == {"measured", "edited", "estimated_like_day"}
    assert store.get_site("bldg").timezone == "America/New_York"  # type: ignore[union-attr]
    again = import_greenbutton(store, SMALL, site_id="bldg", meter_id="master",
                               received_s=T0)
    assert (again.inserted, again.duplicates, again.conflicts, again.meter_created) == (
        0, 96, 0, False)
    changed = tmp_path / "changed.xml"
    changed.write_text(SMALL.read_text().replace("<value>282</value>", "<value>283</value>", 1))
    third = import_greenbutton(store, changed, site_id="bldg", meter_id="master")
    assert (third.inserted, third.duplicates, third.conflicts) == (0, 95, 1)
    assert store.rejection_counts() == {"conflict": 1}
    assert store.get_intervals("master").energy_wh.sum() == 93846.0
    summary = run_vee(store, site_id="bldg", now_s=T0)  # VEE runs on the master meter too
    assert summary.intervals_checked == 96


def _feed(readings: list[tuple[int, int, int]], *, multiplier: int = 0, uom: int = 72,
          interval_length: int = 900, qualities: dict[int, int] | None = None,
          extra_reading: str = "") -> str:
    """A minimal ESPI feed: readings ``(start_s, duration_s, value)``."""
    body = []
    for i, (start, duration, value) in enumerate(readings):
        quality = ("" if not qualities or i not in qualities else
                   f"<ReadingQuality><quality>{qualities[i]}</quality></ReadingQuality>")
        body.append(f"<IntervalReading>{quality}<timePeriod><duration>{duration}</duration>"
                    f"<start>{start}</start></timePeriod><value>{value}</value>"
                    f"</IntervalReading>")
    root = "/espi/1_1/resource/RetailCustomer/1/UsagePoint/1"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
 <entry><link rel="self" href="{root}/MeterReading/1"/>
  <link rel="related" href="{root}/MeterReading/1/IntervalBlock"/>
  <link rel="related" href="/espi/1_1/resource/ReadingType/1"/>
  <content><MeterReading xmlns="http://naesb.org/espi"/></content></entry>
 <entry><link rel="self" href="/espi/1_1/resource/ReadingType/1"/>
  <content><ReadingType xmlns="http://naesb.org/espi"><accumulationBehaviour>4
  </accumulationBehaviour><flowDirection>1</flowDirection><intervalLength>{interval_length}
  </intervalLength><kind>12</kind><powerOfTenMultiplier>{multiplier}</powerOfTenMultiplier>
  <uom>{uom}</uom></ReadingType></content></entry>
 <entry><link rel="self" href="{root}/MeterReading/1/IntervalBlock/1"/>
  <link rel="up" href="{root}/MeterReading/1/IntervalBlock"/>
  <content><IntervalBlock xmlns="http://naesb.org/espi">{''.join(body)}{extra_reading}
  </IntervalBlock></content></entry>
</feed>
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feed.xml"
    path.write_text(text)
    return path


def test_kwh_by_power_of_ten_multiplier(tmp_path: Path) -> None:
    path = _write(tmp_path, _feed([(T0, 900, 2), (T0 + 900, 900, 15)], multiplier=3))
    got = read_greenbutton(path)
    assert got.energy_wh.tolist() == [2000.0, 15000.0]
    assert got.power_of_ten_multiplier == 3
    milli = read_greenbutton(_write(tmp_path, _feed([(T0, 900, 1250)], multiplier=-3)))
    assert milli.energy_wh.tolist() == [1.25]


def test_hourly_readings_become_four_derived_quarter_hours(tmp_path: Path) -> None:
    path = _write(tmp_path, _feed([(T0, 3600, 1000), (T0 + 3600, 3600, 2000)],
                                  interval_length=3600, qualities={1: 8}))
    got = read_greenbutton(path)
    assert got.start_s.tolist() == [T0 + 900 * k for k in range(8)]
    assert got.energy_wh.tolist() == [250.0] * 4 + [500.0] * 4
    assert got.quality.tolist() == ["derived"] * 4 + ["estimated_like_day"] * 4
    daily = read_greenbutton(_write(tmp_path, _feed([(T0, 86_400, 9600)], multiplier=0)))
    assert daily.start_s.size == 96
    assert daily.energy_wh.sum() == 9600.0


def test_five_minute_readings_are_summed_and_incomplete_ones_are_partial(tmp_path: Path) -> None:
    readings = [(T0 + 300 * k, 300, 10 + k) for k in range(6)] + [(T0 + 1800, 300, 7)]
    got = read_greenbutton(_write(tmp_path, _feed(readings, interval_length=300)))
    assert got.start_s.tolist() == [T0, T0 + 900, T0 + 1800]
    assert got.energy_wh.tolist() == [33.0, 42.0, 7.0]
    assert got.quality.tolist() == ["measured", "measured", "partial"]
    assert got.interval_length_s == (300,)


@pytest.mark.parametrize(("feed", "message", "where"), [
    (_feed([(T0, 900, 1), (T0 + 900, 900, 2)], extra_reading="<IntervalReading><timePeriod>"
           "<duration>900</duration><start>1</start></timePeriod></IntervalReading>"),
     "missing <value>", "IntervalReading 3"),
    (_feed([(T0, 900, 1)]).replace("<value>1</value>", "<value>1.5</value>"),
     "<value> '1.5' is not an integer", "IntervalReading 1"),
    (_feed([(T0, 900, -4)]), "negative", "IntervalReading 1"),
    (_feed([(T0, 900, 1), (T0, 900, 2)]), "appears twice with different values",
     "IntervalReading 2"),
    (_feed([(T0, 600, 1)], interval_length=600), "cannot be put on the 15-minute grid",
     "IntervalReading 1 timePeriod"),
    (_feed([(T0 + 60, 900, 1)]), "cannot be put on the 15-minute grid", "IntervalReading 1"),
    (_feed([(T0, 900, 1), (T0, 300, 1)]), "overlap", "IntervalReading"),
    (_feed([(T0, 900, 1)], uom=38), "no MeterReading of delivered energy", "feed.xml"),
    (_feed([(T0, 900, 1)], multiplier=12), "out of range", "ReadingType"),
    ('<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "b">]><feed/>', "document type",
     "feed.xml"),
    ("<feed", "not well-formed XML", "feed.xml:1"),
    ('<rss version="2.0"/>', "not a Green Button feed", "feed.xml"),
])
def test_a_malformed_feed_is_refused_whole(store: Store, tmp_path: Path, feed: str,
                                           message: str, where: str) -> None:
    path = _write(tmp_path, feed)
    with pytest.raises(InputError, match=message) as info:
        import_greenbutton(store, path, site_id="bldg", meter_id="master")
    assert where in (info.value.where or "")
    assert store.list_meters() == []
    assert store.interval_count() == 0


def test_energy_above_the_meter_maximum_and_bad_ids_are_refused(store: Store,
                                                                 tmp_path: Path) -> None:
    big = _write(tmp_path, _feed([(T0, 900, 20)], multiplier=3))  # 20 kWh in 15 minutes
    with pytest.raises(InputError, match="above meter master's maximum of 15180 Wh"):
        import_greenbutton(store, big, site_id="bldg", meter_id="master")
    summary = import_greenbutton(store, big, site_id="bldg", meter_id="master",
                                 max_power_w=500_000.0)
    assert summary.inserted == 1
    with pytest.raises(InputError, match="not a valid id"):
        import_greenbutton(store, SMALL, site_id="bldg", meter_id="a/b")
    with pytest.raises(InputError, match="before 1970"):
        read_greenbutton(_write(tmp_path, _feed([(-900, 900, 1)])))


def test_a_meter_of_another_site_is_refused(store: Store) -> None:
    import_greenbutton(store, SMALL, site_id="a", meter_id="master")
    with pytest.raises(InputError, match="belongs to site 'a'"):
        import_greenbutton(store, SMALL, site_id="b", meter_id="master")


def test_the_command(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    r = runner.invoke(main, ["import", "greenbutton", str(LARGE), "--db", db, "--site", "bldg",
                             "--meter", "master", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert (out["readings"], out["intervals"], out["inserted"]) == (1340, 1340, 1340)
    r = runner.invoke(main, ["import", "greenbutton", str(LARGE), "--db", db, "--site", "bldg",
                             "--meter", "master"])
    assert r.exit_code == 0
    assert "1,340 readings of 900 s -> 1,340 quarter-hours" in r.output
    assert "0 inserted, 1,340 duplicates, 0 conflicts" in r.output
    bad = _write(tmp_path, _feed([(T0, 900, -1)]))
    r = runner.invoke(main, ["import", "greenbutton", str(bad), "--db", db, "--site", "bldg",
                             "--meter", "master"])
    assert r.exit_code == 2
    assert "IntervalReading 1" in r.output
    assert "negative" in r.output
    with open_store(db) as s:
        assert s.interval_count("master") == 1340
        assert np.isclose(s.interval_total_wh("master"), out["energy_wh"])
