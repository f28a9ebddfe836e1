"""Two sites with the same meter id: each site's readings, states, alarms and discovery go to
its own topics."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from openamr.headend.push import PushService
from openamr.headend.push.config import PushConfig
from openamr.headend.push.payloads import Message
from openamr.headend.store import (
    AlarmRow,
    Device,
    IntervalBatch,
    IntervalTable,
    Meter,
    Site,
    StoredBatch,
    open_store,
)

T0_S = 1_790_000_100 - (1_790_000_100 % 900)


def test_each_site_gets_its_own_topics(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "p.db")) as store:
        for site, eui in (("north", "00000000000000a1"), ("south", "00000000000000b1")):
            store.upsert_site(Site(site, site, "UTC"))
            store.upsert_meter(Meter("M-01", site, eui, "MMSMT-C02"))
            store.upsert_device(Device(eui, "mdt", site, "M-01", local_id="M-01"))
            store.put_intervals(IntervalBatch("M-01", [T0_S], [10.0], site_id=site))
            store.put_register_reads("M-01", [T0_S + 900], [5.0 if site == "north" else 7.0],
                                     site_id=site)
        service = PushService(store, config=PushConfig(mqtt_enabled=True),
                              clock=lambda: T0_S + 1000)
        table = IntervalTable(np.array(["M-01", "M-01"], dtype=object),
                              np.array([T0_S, T0_S], dtype=np.int64), np.array([10.0, 20.0]),
                              np.array(["measured", "measured"]), np.zeros(2, dtype=np.int64),
                              np.array(["north", "south"], dtype=object))
        service.on_stored(StoredBatch(table, received_s=T0_S + 1000))
        alarm_id = store.raise_alarm(AlarmRow("alarm.tamper", "00000000000000b1", "M-01", T0_S))
        alarm = store.get_alarm(alarm_id)
        assert alarm is not None
        service.publisher.publish_alarm(alarm, "raised", T0_S, T0_S + 1000)
        messages = [Message.from_envelope(i.payload)
                    for i in store.outbox_due("mqtt", 2**62, 100)]
        topics = {m.topic for m in messages}
        assert {"openamr/north/meters/M-01/intervals", "openamr/south/meters/M-01/intervals",
                "openamr/north/meters/M-01/state", "openamr/south/meters/M-01/state",
                "openamr/south/alarms",
                "homeassistant/sensor/openamr_north_M-01/energy/config",
                "homeassistant/sensor/openamr_south_M-01/energy/config"} <= topics
        assert "openamr/north/alarms" not in topics
        states = {m.topic: m.body for m in messages if m.topic.endswith("/state")}
        assert states["openamr/north/meters/M-01/state"]["register_wh"] == 5.0
        assert states["openamr/south/meters/M-01/state"]["register_wh"] == 7.0
