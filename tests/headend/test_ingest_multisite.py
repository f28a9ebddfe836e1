"""The ingest with two sites that use the same meter ids: each frame lands at its own site's
meter; a device removed and registered again starts afresh (counters, seqs)."""

from __future__ import annotations

from pathlib import Path

from test_ingest_fakes import T0, FakeDevice

from openamr.frames import (
    Ack,
    DeviceRole,
    Frame,
    FrameCounter,
    JoinRequest,
    JoinResponse,
    KeyId,
)
from openamr.headend.ingest import Ingest
from openamr.headend.store import Device, Meter, Site, Store, StoredBatch, open_store


def _register(store: Store, site: str, dev: FakeDevice) -> None:
    store.upsert_site(Site(site, site, "UTC"))
    store.upsert_meter(Meter(dev.meter_id, site, dev.device_id))
    store.upsert_device(Device(dev.device_id, "mdt", site, dev.meter_id, "", dev.install_code,
                               T0 - 86_400, local_id=dev.meter_id))


def _join(ingest: Ingest, dev: FakeDevice, now_s: int) -> bytes:
    (reply,) = ingest.handle(dev.seal(JoinRequest(DeviceRole.MDT), dev.install_key,
                                      KeyId.INSTALL_CODE), now_s)
    response = Frame.from_bytes(reply, dev.install_key).payload
    assert isinstance(response, JoinResponse)
    return bytes(response.network_key)


def test_the_same_meter_id_at_two_sites_gets_each_its_own_frames(tmp_path: Path) -> None:
    a, b = FakeDevice(0xA1, "01" * 16, "M-01"), FakeDevice(0xB1, "02" * 16, "M-01")
    with open_store(str(tmp_path / "h.db")) as store:
        _register(store, "site-a", a)
        _register(store, "site-b", b)
        ingest = Ingest(store)
        seen: list[StoredBatch] = []
        ingest.subscribe(seen.append)
        now = T0 + 3600
        key = _join(ingest, a, now)
        assert _join(ingest, b, now) == key
        ingest.handle_batch([a.intervals(key, 0, [T0], [10]), b.intervals(key, 0, [T0], [20])],
                            now)
        assert store.get_intervals("M-01", site_id="site-a").energy_wh.tolist() == [10.0]
        assert store.get_intervals("M-01", site_id="site-b").energy_wh.tolist() == [20.0]
        table = seen[-1].intervals
        assert table.site_id is not None
        assert sorted(zip(table.site_id, table.energy_wh, strict=True)) == [
            ("site-a", 10.0), ("site-b", 20.0)]

        # A's MDT is replaced (counters and seqs from 0): remove and register it again
        ingest.handle(a.intervals(key, 1, [T0 + 900], [30]), now)
        assert store.remove_device(a.device_id)
        ingest.refresh()
        _register(store, "site-a", a)
        a.counter = FrameCounter()
        key = _join(ingest, a, now + 60)
        (ack,) = ingest.handle(a.intervals(key, 0, [T0 + 1800], [40]), now + 60)
        assert store.rejection_counts() == {}
        assert store.get_intervals("M-01", site_id="site-a").energy_wh.tolist() == [
            10.0, 30.0, 40.0]
        assert store.get_intervals("M-01", site_id="site-b").energy_wh.tolist() == [20.0]
        payload = Frame.from_bytes(ack, key).payload
        assert isinstance(payload, Ack)
        assert payload.acked_seq == 0
