"""Event times are bounded like interval times.

Regression: a tamper event dated t = 0 (a device clock reset) was stored and raised an alarm
dated 1970.  Now an event outside [install or join - buffer horizon, now + tolerance] is refused
(``time_out_of_range``): not stored, no alarm.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_ingest_fakes import T0, make_site

from openamr.frames import Event, EventKind
from openamr.headend.alarms import AlarmRules
from openamr.headend.ingest import Ingest
from openamr.headend.settings import Settings
from openamr.headend.store import Store, open_store

NOW = T0 + 3600


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(str(tmp_path / "h.db")) as opened:
        yield opened


@pytest.mark.parametrize("t_s", [0, T0 - 400 * 86_400, NOW + 86_400, 2**32 - 1])
def test_an_event_at_an_impossible_time_is_refused_without_an_alarm(store: Store,
                                                                   t_s: int) -> None:
    dev = make_site(store, 1)[0]
    ingest = Ingest(store, dcap_id=0xD1)
    alarms = AlarmRules(store, Settings())
    ingest.subscribe(alarms.on_stored)
    ingest.handle(dev.seal(Event(EventKind.TAMPER_COVER_REMOVED, t_s, 0), ingest.network_key),
                  NOW)
    assert store.list_events() == []
    assert store.list_alarms() == []
    assert store.rejection_counts() == {"time_out_of_range": 1}


def test_an_event_in_range_still_raises_its_alarm(store: Store) -> None:
    dev = make_site(store, 1)[0]
    ingest = Ingest(store, dcap_id=0xD1)
    alarms = AlarmRules(store, Settings())
    ingest.subscribe(alarms.on_stored)
    ingest.handle(dev.seal(Event(EventKind.TAMPER_COVER_REMOVED, NOW - 60, 0),
                           ingest.network_key), NOW)
    assert [e.t_s for e in store.list_events()] == [NOW - 60]
    assert [a.raised_s for a in store.list_alarms()] == [NOW - 60]
