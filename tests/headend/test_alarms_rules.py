"""Alarm rules: each alarm raised, cleared and acknowledged; transitions queued for push."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from openamr.headend.alarms import (
    ALARM_BATTERY_LOW,
    ALARM_JOIN_FAILED,
    ALARM_NO_DATA,
    ALARM_POWER_LOST,
    ALARM_REVERSE_PHASE,
    ALARM_TAMPER,
    ALARM_WEAK_LINK,
    AlarmConfig,
    AlarmRules,
)
from openamr.headend.push import Message, PushConfig
from openamr.headend.settings import AlarmsSettings, load_settings
from openamr.headend.store import (
    Device,
    DeviceStatus,
    EventRow,
    IntervalBatch,
    IntervalTable,
    Meter,
    Site,
    Store,
    StoredBatch,
    open_store,
)

T_S = 1_790_000_100 - (1_790_000_100 % 900)
MDT = "0000000000000001"
REPEATER = "00000000000000aa"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(str(tmp_path / "alarms.db"))
    s.upsert_site(Site("s1", "Main St", "America/Los_Angeles"))
    s.upsert_device(Device(REPEATER, "repeater", "s1"))
    s.upsert_device(Device(MDT, "mdt", "s1", "m1"))
    s.upsert_meter(Meter("m1", "s1", MDT))
    yield s
    s.close()


@pytest.fixture
def rules(store: Store) -> AlarmRules:
    return AlarmRules(store, config=AlarmConfig(low_battery_mv=2500, weak_link_margin_db=10.0),
                      push_config=PushConfig(mqtt_enabled=True, topic_prefix="p"),
                      clock=lambda: float(T_S))


def _events(*events: tuple[str, str, int, int]) -> StoredBatch:
    return StoredBatch(IntervalTable.empty(), events=tuple(
        EventRow(device, "m1" if device == MDT else None, code, t_s, value, t_s)
        for device, code, t_s, value in events))


def _status(device: str, t_s: int, **fields: object) -> StoredBatch:
    return StoredBatch(IntervalTable.empty(),
                       statuses=(DeviceStatus(device, t_s, **fields),),  # type: ignore[arg-type]
                       received_s=t_s)


def _states(store: Store, code: str) -> list[str]:
    return [a.state for a in store.list_alarms() if a.code == code]


def _pushed(store: Store) -> list[tuple[str, str]]:
    out = []
    for item in store.outbox_due("mqtt", 2**62, 1000):
        body = Message.from_envelope(item.payload).body
        out.append((body["alarm"]["code"], body["transition"]))
    return out


def test_tamper_is_raised_once_cleared_and_pushed(store: Store, rules: AlarmRules) -> None:
    rules.on_stored(_events((MDT, "tamper.cover_removed", T_S, 0)))
    rules.on_stored(_events((MDT, "tamper.cover_removed", T_S + 60, 0)))  # still open: no new
    assert _states(store, ALARM_TAMPER) == ["open"]
    alarm = store.list_alarms(state="open")[0]
    assert (alarm.device_id, alarm.meter_id, alarm.raised_s) == (MDT, "m1", T_S)
    rules.on_stored(_events((MDT, "tamper.cover_replaced", T_S + 600, 0)))
    assert _states(store, ALARM_TAMPER) == ["cleared"]
    assert _pushed(store) == [(ALARM_TAMPER, "raised"), (ALARM_TAMPER, "cleared")]
    topics = {Message.from_envelope(i.payload).topic for i in store.outbox_due("mqtt", 2**62, 10)}
    assert topics == {"p/s1/alarms"}


def test_a_user_acknowledges_an_open_alarm(store: Store, rules: AlarmRules) -> None:
    rules.on_stored(_events((MDT, "tamper.cover_removed", T_S, 0)))
    alarm_id = store.list_alarms(state="open")[0].alarm_id
    assert alarm_id is not None
    assert rules.acknowledge(alarm_id, "alice", T_S + 30)
    assert not rules.acknowledge(alarm_id, "alice", T_S + 31)  # only an open one
    acked = store.get_alarm(alarm_id)
    assert acked is not None
    assert (acked.state, acked.acked_by, acked.acked_s) == ("acknowledged", "alice", T_S + 30)
    assert rules.is_active(ALARM_TAMPER, MDT, "m1")  # acknowledged is not cleared
    rules.on_stored(_events((MDT, "tamper.cover_replaced", T_S + 60, 0)))
    assert _states(store, ALARM_TAMPER) == ["cleared"]
    assert [t for _, t in _pushed(store)] == ["raised", "acknowledged", "cleared"]


def test_reverse_phase_follows_the_indicator(store: Store, rules: AlarmRules) -> None:
    rules.on_stored(_events((MDT, "meter.reverse_phase", T_S, 2)))
    assert _states(store, ALARM_REVERSE_PHASE) == ["open"]
    assert "element 2" in store.list_alarms(state="open")[0].detail
    rules.on_stored(_events((MDT, "meter.reverse_phase", T_S + 900, 0)))
    assert _states(store, ALARM_REVERSE_PHASE) == ["cleared"]


def test_low_battery_from_an_event_or_a_status_with_hysteresis(store: Store,
                                                                rules: AlarmRules) -> None:
    rules.on_stored(_events((MDT, "battery.low", T_S, 2450)))
    assert _states(store, ALARM_BATTERY_LOW) == ["open"]
    rules.on_stored(_status(MDT, T_S + 3600, battery_mv=2550))  # above, inside the hysteresis
    assert _states(store, ALARM_BATTERY_LOW) == ["open"]
    rules.on_stored(_status(MDT, T_S + 7200, battery_mv=3300))  # battery replaced
    assert _states(store, ALARM_BATTERY_LOW) == ["cleared"]
    rules.on_stored(_status(MDT, T_S + 9000, battery_mv=2400))
    assert sorted(_states(store, ALARM_BATTERY_LOW)) == ["cleared", "open"]
    rules.on_stored(_status(MDT, T_S + 9900, battery_mv=0))  # 0: mains powered / unknown
    assert sorted(_states(store, ALARM_BATTERY_LOW)) == ["cleared", "open"]


def test_repeater_power_lost_and_restored(store: Store, rules: AlarmRules) -> None:
    rules.on_stored(_events((REPEATER, "power.lost", T_S, 0)))
    assert _states(store, ALARM_POWER_LOST) == ["open"]
    rules.on_stored(_events((REPEATER, "power.restored", T_S + 120, 0)))
    assert _states(store, ALARM_POWER_LOST) == ["cleared"]
    rules.on_stored(_status(REPEATER, T_S + 600, on_battery=True))
    rules.on_stored(_status(REPEATER, T_S + 700, on_battery=True))
    assert sorted(_states(store, ALARM_POWER_LOST)) == ["cleared", "open"]
    rules.on_stored(_status(REPEATER, T_S + 800, on_battery=False))
    assert _states(store, ALARM_POWER_LOST) == ["cleared", "cleared"]
    rules.on_stored(_status(MDT, T_S + 900))  # an MDT is never "on battery backup"
    assert _states(store, ALARM_POWER_LOST) == ["cleared", "cleared"]


def test_weak_link_with_hysteresis(store: Store, rules: AlarmRules) -> None:
    rules.on_stored(_status(MDT, T_S, link_margin_db=6.5))
    assert _states(store, ALARM_WEAK_LINK) == ["open"]
    assert "6.5 dB" in store.list_alarms(state="open")[0].detail
    rules.on_stored(_status(MDT, T_S + 3600, link_margin_db=11.0))  # inside the hysteresis
    assert _states(store, ALARM_WEAK_LINK) == ["open"]
    rules.on_stored(_status(MDT, T_S + 7200, link_margin_db=18.0))
    assert _states(store, ALARM_WEAK_LINK) == ["cleared"]


def test_failed_join_clears_on_a_later_join(store: Store, rules: AlarmRules) -> None:
    rules.on_stored(_events((MDT, "join.failed", T_S, 3)))
    assert _states(store, ALARM_JOIN_FAILED) == ["open"]
    rules.on_stored(_status(MDT, T_S + 10, joined_s=T_S - 100))  # an older join: still open
    assert _states(store, ALARM_JOIN_FAILED) == ["open"]
    rules.on_stored(_status(MDT, T_S + 200, joined_s=T_S + 150))
    assert _states(store, ALARM_JOIN_FAILED) == ["cleared"]


def test_no_data_after_three_report_periods(store: Store, rules: AlarmRules) -> None:
    store.put_intervals(IntervalBatch("m1", [T_S], [12.0], received_s=T_S + 900))
    last_end_s = T_S + 900
    assert rules.sweep(last_end_s + 3 * 3600) == 0  # exactly 3 periods: not yet
    assert rules.sweep(last_end_s + 3 * 3600 + 1) == 1
    assert rules.sweep(last_end_s + 4 * 3600) == 0  # already open
    assert _states(store, ALARM_NO_DATA) == ["open"]
    alarm = store.list_alarms(state="open")[0]
    assert (alarm.device_id, alarm.meter_id) == (MDT, "m1")
    new_s = T_S + 5 * 3600
    store.put_intervals(IntervalBatch("m1", [new_s], [5.0], received_s=new_s + 900))
    table = IntervalTable(np.array(["m1"], dtype=object), np.array([new_s]), np.array([5.0]),
                          np.array(["measured"]), np.array([0]))
    rules.on_stored(StoredBatch(table, received_s=new_s + 900))
    assert _states(store, ALARM_NO_DATA) == ["cleared"]


def test_a_silent_repeater_raises_no_data(store: Store, rules: AlarmRules) -> None:
    store.put_device_status(DeviceStatus(REPEATER, T_S))
    # a repeater sends a frame of its own once a day: three hours without one is normal
    assert rules.sweep(T_S + 3 * 3600 + 1) == 0
    assert rules.sweep(T_S + 3 * 86_400 + 1) == 1
    rules.on_stored(_status(REPEATER, T_S + 4 * 86_400))
    assert _states(store, ALARM_NO_DATA) == ["cleared"]


def test_rules_survive_a_restart(store: Store, rules: AlarmRules) -> None:
    rules.on_stored(_events((MDT, "tamper.cover_removed", T_S, 0)))
    again = AlarmRules(store, push_config=PushConfig(), clock=lambda: float(T_S))
    assert again.is_active(ALARM_TAMPER, MDT, "m1")
    again.on_stored(_events((MDT, "tamper.cover_removed", T_S + 5, 0)))
    assert _states(store, ALARM_TAMPER) == ["open"]
    again.on_stored(_events((MDT, "tamper.cover_replaced", T_S + 50, 0)))
    assert _states(store, ALARM_TAMPER) == ["cleared"]


def test_thresholds_come_from_the_settings() -> None:
    settings = load_settings(env={}, overrides={"alarms": {"no_data_report_periods": 4,
                                                           "low_battery_mv": 2700}})
    assert AlarmRules(None, settings).config is settings.alarms  # one definition, passed down
    config = settings.alarms
    assert config.no_data_after_s == 4 * 3600
    assert config.low_battery_mv == 2700
    assert AlarmConfig is AlarmsSettings
    with pytest.raises(ValueError, match="no_data_report_periods"):
        load_settings(env={}, overrides={"alarms": {"no_data_report_periods": 0}})


def test_an_acknowledgement_made_through_the_store_is_pushed_once_by_the_sweep(
        store: Store, rules: AlarmRules) -> None:
    rules.on_stored(_events((MDT, "tamper.cover_removed", T_S, 0)))
    alarm_id = store.list_alarms(state="open")[0].alarm_id
    assert alarm_id is not None
    assert store.ack_alarm(alarm_id, "api:token-1", T_S + 20)  # what the API route does
    rules.sweep(T_S + 60)
    rules.sweep(T_S + 120)
    assert _pushed(store) == [(ALARM_TAMPER, "raised"), (ALARM_TAMPER, "acknowledged")]


def test_statuses_of_one_device_in_one_batch_apply_in_order(store: Store,
                                                            rules: AlarmRules) -> None:
    """A batch with a low-battery status and then a recovered one for the same MDT raises and
    clears (the rules skip statuses with nothing to raise or clear, not this second one)."""
    batch = StoredBatch(IntervalTable.empty(), statuses=(
        DeviceStatus(MDT, T_S, battery_mv=2400, link_margin_db=20.0),
        DeviceStatus(MDT, T_S + 3600, battery_mv=2900, link_margin_db=20.0)), received_s=T_S)
    rules.on_stored(batch)
    assert _states(store, ALARM_BATTERY_LOW) == ["cleared"]
    rules.on_stored(_status(MDT, T_S + 7200, battery_mv=2950, link_margin_db=20.0))
    assert _states(store, ALARM_BATTERY_LOW) == ["cleared"]  # healthy: nothing new
