"""Low-battery and weak-link alarms raised AND cleared end to end: STATUS frames -> real ingest
-> stored status -> alarm rules -> stored alarms (and their push items)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_ingest_fakes import DCAP, T0, make_site

from openamr.frames import Status
from openamr.headend.alarms import ALARM_BATTERY_LOW, ALARM_WEAK_LINK, AlarmConfig, AlarmRules
from openamr.headend.ingest import Ingest
from openamr.headend.push import PushConfig
from openamr.headend.settings import IngestSettings
from openamr.headend.store import Store, open_store

NOW = T0 + 86_400


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(str(tmp_path / "alarms.db"))
    yield s
    s.close()


def _states(store: Store, code: str) -> list[str]:
    return [a.state for a in reversed(store.list_alarms()) if a.code == code]


def test_weak_link_and_low_battery_rise_and_clear_from_status_frames(store: Store) -> None:
    (dev,) = make_site(store, 1)
    ingest = Ingest(store, settings=IngestSettings(), dcap_id=DCAP)
    config = AlarmConfig(low_battery_mv=2500, weak_link_margin_db=10.0)
    rules = AlarmRules(store, config=config, push_config=PushConfig(webhook_enabled=True,
                                                                    webhook_url="http://x"),
                       clock=lambda: float(NOW))
    ingest.subscribe(rules.on_stored)
    key = ingest.network_key

    def status(t_s: int, battery_mv: int, margin_db: float) -> None:
        ingest.handle(dev.seal(Status(DCAP, -90, battery_mv=battery_mv,
                                      link_margin_db=margin_db), key), t_s)

    status(NOW, 2950, 25.0)
    assert store.list_alarms() == []
    status(NOW + 3600, 2400, 6.5)  # the battery is low, the link weak
    assert _states(store, ALARM_BATTERY_LOW) == ["open"]
    assert _states(store, ALARM_WEAK_LINK) == ["open"]
    (weak,) = [a for a in store.list_alarms() if a.code == ALARM_WEAK_LINK]
    assert (weak.device_id, weak.meter_id, weak.raised_s) == (dev.device_id, "m0", NOW + 3600)
    assert "6.5 dB" in weak.detail
    status(NOW + 7200, 2550, 11.0)  # inside the hystereses: nothing clears, nothing new
    assert _states(store, ALARM_BATTERY_LOW) == ["open"]
    assert _states(store, ALARM_WEAK_LINK) == ["open"]
    status(NOW + 10_800, 3050, 14.0)  # new cells; a better parent
    assert _states(store, ALARM_BATTERY_LOW) == ["cleared"]
    assert _states(store, ALARM_WEAK_LINK) == ["cleared"]
    (cleared,) = [a for a in store.list_alarms() if a.code == ALARM_WEAK_LINK]
    assert cleared.cleared_s == NOW + 10_800
    status(NOW + 14_400, 2300, 4.0)  # and again: a new alarm each
    assert _states(store, ALARM_WEAK_LINK) == ["cleared", "open"]
    # every transition was queued for push (raised, cleared, raised) per alarm code
    assert store.outbox_depth() == 6


def test_a_software_mdt_on_ip_has_no_radio_link_and_no_weak_link_alarm(store: Store,
                                                                       tmp_path: Path) -> None:
    """``openamr mdt run``'s device reports ``hops`` 0 (it is not on the radio mesh): the
    head-end shows no RSSI or margin for it and raises no weak-link alarm, end to end from the
    software MDT's own frames."""
    from openamr.field.mdt.software import SoftwareMdt

    (fake,) = make_site(store, 1)
    ingest = Ingest(store, settings=IngestSettings(), dcap_id=DCAP)
    rules = AlarmRules(store, push_config=PushConfig(), clock=lambda: float(NOW))
    ingest.subscribe(rules.on_stored)
    mdt = SoftwareMdt(tmp_path / "mdt", meter_id="m0", eui=fake.eui,
                      install_code=bytes.fromhex(fake.install_code))
    mdt.boot(NOW)
    (answer,) = ingest.handle(mdt.join_request(), NOW)
    assert mdt.downlink(answer, NOW) == "join"
    (status_frame,) = mdt.uplinks()  # the STATUS after joining
    ingest.handle(status_frame, NOW + 1)
    status = store.get_device_status(fake.device_id)
    assert status is not None
    assert status.hops == 0
    assert (status.rssi_dbm, status.link_margin_db) == (None, None)
    assert store.list_alarms() == []
