"""STATUS, TOU and temperature through the real ingest, with crafted frames, on both backends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from test_ingest_fakes import DCAP, FakeDevice, make_site

from openamr.frames import (
    Ack,
    DeviceRole,
    Event,
    EventKind,
    Frame,
    IntervalFlag,
    IntervalRecord,
    Intervals,
    JoinRequest,
    KeyId,
    Status,
    TimeSync,
    TouSchedule,
)
from openamr.headend.ingest import Ingest
from openamr.headend.settings import IngestSettings
from openamr.headend.store import Device, Meter, Site, Store, StoredBatch, open_store
from openamr.headend.tou import TouPlan, set_site_tou
from openamr.timeutil import parse_utc

LA = "America/Los_Angeles"
NOW = int(parse_utc("2026-03-06T20:00:00Z").timestamp())  # Friday noon PST; DST on Sunday
FIRST = NOW - 4 * 3600  # first interval start of the tests
TOU_TABLE = {"default": "off_peak", "periods": [
    {"name": "on_peak", "start": "16:00", "end": "21:00", "days": "weekdays"},
    {"name": "mid_peak", "start": "07:00", "end": "16:00", "days": "weekdays"}]}


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store on each backend (PostgreSQL in a schema of its own)."""
    if request.param == "sqlite":
        s = open_store(str(tmp_path / "status.db"))
        try:
            yield s
        finally:
            s.close()
        return
    dsn: str = request.getfixturevalue("postgres_dsn")
    schema = f"openamr_status_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    s = open_store(dsn, options=f"-c search_path={schema}")
    try:
        yield s
    finally:
        s.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _site(store: Store, n: int = 1, model: str = "MMSMT-C02") -> list[FakeDevice]:
    devices = make_site(store, n, installed_s=NOW - 86_400)
    store.upsert_site(Site("s1", "Test site", LA))
    for dev in devices:
        store.upsert_meter(Meter(dev.meter_id, "s1", dev.device_id, model))
        store.upsert_device(Device(dev.device_id, "mdt", "s1", dev.meter_id, model,
                                   dev.install_code, NOW - 86_400))
    return devices


def _ingest(store: Store) -> Ingest:
    return Ingest(store, settings=IngestSettings(), dcap_id=DCAP)


def _payloads(ingest: Ingest, replies: list[bytes]) -> list[object]:
    return [Frame.from_bytes(r, ingest.network_key).payload for r in replies]


def _intervals(dev: FakeDevice, ingest: Ingest, first_seq: int, n: int, *,
               flags: IntervalFlag = IntervalFlag.NONE, tou: tuple[int, ...] = (),
               temperature_c: float | None = None, register_wh: int = 10_000) -> bytes:
    records = tuple(IntervalRecord(first_seq + k, FIRST + 900 * (first_seq + k), 20, flags,
                                   None if temperature_c is None else temperature_c + k)
                    for k in range(n))
    return dev.seal(Intervals(register_wh, records, tou), ingest.network_key)


def test_status_frames_fill_the_latest_status_and_the_history(store: Store) -> None:
    (dev,) = _site(store)
    ingest = _ingest(store)
    seen: list[StoredBatch] = []
    ingest.subscribe(seen.append)
    first = dev.seal(Status(DCAP, -92, 1.6, 1, 2900, 1850, False, 40, 3, 1, 0, 18.5, 1, 3600,
                            25), ingest.network_key)
    ack, *_ = ingest.handle(first, NOW)
    assert isinstance(Frame.from_bytes(ack, ingest.network_key).payload, Ack)
    second = dev.seal(Status(0x3A, -101, 2.4, 2, 2880, 1849, False, 38, 9, 0, 1, 7.0, 4, 7200,
                             -10), ingest.network_key)
    ingest.handle(second, NOW + 3600)
    latest = store.get_device_status(dev.device_id)
    assert latest is not None
    assert (latest.parent_id, latest.rssi_dbm, latest.link_margin_db, latest.etx, latest.hops,
            latest.battery_mv, latest.battery_remaining_mah, latest.retries, latest.drops,
            latest.uptime_s, latest.clock_offset_ms, latest.parent_changes,
            latest.status_received_s) == (
        f"{0x3A:016x}", -101, 7.0, 2.4, 2, 2880, 1849, 9, 4, 7200, -10, 1, NOW + 3600)
    history = store.list_status_reports(dev.device_id)
    assert [(r.received_s, r.link_margin_db, r.tx_frames, r.drops) for r in history] == [
        (NOW, 18.5, 40, 1), (NOW + 3600, 7.0, 38, 4)]
    assert sum(r.retries for r in history) == 12
    assert [b.statuses[0].link_margin_db for b in seen] == [18.5, 7.0]
    # the same frame again is a replay: refused, the history unchanged
    assert ingest.handle(second, NOW + 3700) == []
    assert store.rejection_counts() == {"replay": 1}
    assert len(store.list_status_reports(dev.device_id)) == 2
    # an intervals frame only moves last_heard: the status fields stay
    ingest.handle(_intervals(dev, ingest, 0, 2), NOW + 3800)
    again = store.get_device_status(dev.device_id)
    assert again is not None
    assert (again.last_heard_s, again.rssi_dbm, again.status_received_s) == (
        NOW + 3800, -101, NOW + 3600)


def test_a_device_on_battery_stays_so_until_a_status_says_otherwise(store: Store) -> None:
    (dev,) = _site(store)
    ingest = _ingest(store)
    ingest.handle(dev.seal(Status(DCAP, -80, on_battery=True), ingest.network_key), NOW)
    ingest.handle(_intervals(dev, ingest, 0, 2), NOW + 600)  # heard, no STATUS
    heard = store.get_device_status(dev.device_id)
    assert heard is not None
    assert (heard.last_heard_s, heard.on_battery) == (NOW + 600, True)
    ingest.handle(dev.seal(Status(DCAP, -80, on_battery=False), ingest.network_key), NOW + 900)
    back = store.get_device_status(dev.device_id)
    assert back is not None
    assert back.on_battery is False


def test_tou_mdts_get_the_site_schedule_and_it_is_re_sent_when_due(store: Store) -> None:
    (dev,) = _site(store)
    set_site_tou(store, "s1", TOU_TABLE, where="site.toml: tou", updated_s=NOW)
    ingest = _ingest(store)
    expected, _ = TouPlan.from_mapping(TOU_TABLE).schedule(NOW, LA, 7)

    got = _payloads(ingest, ingest.handle(_intervals(dev, ingest, 0, 4), NOW))
    assert [type(p) for p in got] == [Ack, TimeSync, TouSchedule]
    schedule = got[2]
    assert schedule == expected
    assert isinstance(schedule, TouSchedule)
    switches = dict(schedule.switches)
    # Friday 16:00 PST is 00:00Z; Monday 16:00 PDT (after the DST change) is 23:00Z
    assert switches[int(parse_utc("2026-03-07T00:00:00Z").timestamp())] == 1
    assert switches[int(parse_utc("2026-03-09T23:00:00Z").timestamp())] == 1

    def tou_after(data: bytes, t_s: int) -> bool:
        return any(isinstance(p, TouSchedule) for p in _payloads(ingest, ingest.handle(data, t_s)))

    assert not tou_after(_intervals(dev, ingest, 4, 4), NOW + 3600)  # it has one
    # stale intervals that began after the schedule went out (seq 16 starts at NOW): it did
    # not arrive
    assert tou_after(_intervals(dev, ingest, 16, 4, flags=IntervalFlag.TOU_STALE), NOW + 7200)
    assert not tou_after(_intervals(dev, ingest, 20, 4), NOW + 9000)
    # the MDT restarted (event, or a STATUS whose uptime went down): its schedule is gone
    assert tou_after(dev.seal(Event(EventKind.DEVICE_RESTARTED, NOW + 9100), ingest.network_key),
                     NOW + 9200)
    up = dev.seal(Status(DCAP, -80, uptime_s=50_000), ingest.network_key)
    assert not tou_after(up, NOW + 9300)
    assert tou_after(dev.seal(Status(DCAP, -80, uptime_s=60), ingest.network_key), NOW + 9400)
    # a join: the schedule goes with its next uplink after the JOIN_RESPONSE
    join = dev.seal(JoinRequest(DeviceRole.MDT, "MMSMT-C02"), dev.install_key,
                    KeyId.INSTALL_CODE)
    assert len(ingest.handle(join, NOW + 9500)) == 1
    assert tou_after(_intervals(dev, ingest, 24, 1), NOW + 9600)
    # a new configuration: sent again with the next uplink
    set_site_tou(store, "s1", {"default": "flat"}, where="api", updated_s=NOW + 9700)
    got = _payloads(ingest, ingest.handle(_intervals(dev, ingest, 25, 1), NOW + 9800))
    assert [p for p in got if isinstance(p, TouSchedule)] == [TouSchedule(1, (
        (int(parse_utc("2026-03-06T08:00:00Z").timestamp()), 0),
        (int(parse_utc("2026-03-13T07:00:00Z").timestamp()), 0)))]  # Friday 00:00 PDT
    # five days on, two days before it runs out: a fresh one
    assert tou_after(_intervals(dev, ingest, 26, 1), NOW + 5 * 86_400)


def test_no_schedule_without_configuration_or_for_other_devices(store: Store) -> None:
    (dev,) = _site(store)
    ingest = _ingest(store)
    got = _payloads(ingest, ingest.handle(_intervals(dev, ingest, 0, 1), NOW))
    assert not [p for p in got if isinstance(p, TouSchedule)]
    repeater = FakeDevice(0x3A, "ab" * 16, "")
    store.upsert_device(Device(repeater.device_id, "repeater", "s1", None, "", None, NOW))
    set_site_tou(store, "s1", TOU_TABLE, where="api", updated_s=NOW)
    ingest.refresh()
    got = _payloads(ingest, ingest.handle(repeater.seal(Status(DCAP, -70), ingest.network_key),
                                          NOW + 60))
    assert not [p for p in got if isinstance(p, TouSchedule)]


def test_tou_registers_and_temperatures_are_stored_once(store: Store) -> None:
    (dev,) = _site(store, model="MMSMT-D02")
    ingest = _ingest(store)
    data = _intervals(dev, ingest, 0, 4, tou=(7_000, 2_500, 500), temperature_c=21.25,
                      register_wh=10_000)
    ingest.handle(data, NOW)
    t_s = FIRST + 4 * 900
    reads = store.get_tou_register_reads("m0")
    assert (reads.t_s.tolist(), reads.register_index.tolist(), reads.register_wh.tolist()) == (
        [t_s] * 3, [0, 1, 2], [7_000.0, 2_500.0, 500.0])
    assert store.get_register_reads("m0").register_wh.tolist() == [10_000.0]
    temps = store.get_temperatures("m0")
    assert temps.start_s.tolist() == [FIRST + 900 * k for k in range(4)]
    assert temps.temperature_c.tolist() == [21.25, 22.25, 23.25, 24.25]
    # the same records again (a resend in a new frame), with other values: nothing changes
    ingest.handle(_intervals(dev, ingest, 0, 4, tou=(1, 1, 1), temperature_c=-5.0), NOW + 60)
    assert store.get_tou_register_reads("m0").register_wh.tolist() == [7_000.0, 2_500.0, 500.0]
    assert store.get_temperatures("m0").temperature_c.tolist()[0] == 21.25
    # records without a temperature store none; refused records store none either
    ingest.handle(_intervals(dev, ingest, 4, 2), NOW + 120)
    assert len(store.get_temperatures("m0")) == 4


def test_a_stored_configuration_the_ingest_refuses_never_breaks_a_batch(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    (dev,) = _site(store)
    store.put_site_tou("s1", '{"default": "x", "periods": "none"}', NOW)  # bypassing checks
    ingest = _ingest(store)
    got = _payloads(ingest, ingest.handle(_intervals(dev, ingest, 0, 2), NOW))
    assert [type(p) for p in got] == [Ack, TimeSync]
    assert store.interval_count() == 2
    assert "TOU schedule of site s1 not sent" in caplog.text
