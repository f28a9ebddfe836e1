"""``openamr sim run`` raises the head-end's alarms from what the simulated building does, as
``openamr serve`` would: a removed and refitted cover, a meter that goes dark and comes back."""

from __future__ import annotations

from openamr.headend.store import open_store

START_S = 1_767_225_600  # 2026-01-01T00:00:00Z


def test_a_tamper_and_a_meter_outage_leave_their_alarms_raised_and_cleared(
        sim_run_cli) -> None:
    summary, db = sim_run_cli(8, 1, 5, '\n[[tampers]]\nmeter = "M-2"\nstart_s = 20000\n'
                              'duration_s = 7200\n\n[[outages]]\ndevice = "M-3"\n'
                              'start_s = 30000\nduration_s = 10800\n')
    assert summary["alarms"] == {"raised": {"alarm.power_lost": 1, "alarm.tamper": 1},
                                 "open": {}}
    with open_store(str(db)) as store:
        alarms = store.list_alarms(limit=1000)
    by_key = {(a.code, a.meter_id): a for a in alarms}
    tamper = by_key[("alarm.tamper", "M-2")]
    power = by_key[("alarm.power_lost", "M-3")]
    for alarm, start_s, length_s in ((tamper, 20000, 7200), (power, 30000, 10800)):
        assert alarm.state == "cleared", alarm
        # raised and cleared at the device's event times (simulated UTC), not the wall clock
        assert START_S + start_s <= alarm.raised_s < START_S + start_s + 900, alarm
        assert alarm.cleared_s is not None
        assert START_S + start_s + length_s <= alarm.cleared_s < START_S + start_s + length_s + 900
    # nothing else happened to the building: no other meter has an alarm
    assert {a.meter_id for a in alarms} <= {"M-2", "M-3"}, alarms


def test_a_later_site_in_the_same_store_raises_nothing_on_an_earlier_one(sim_run_cli) -> None:
    """The simulated head-end's silence sweep looks at its own site: a site simulated a month
    later in the same store does not call the first site's meters silent."""
    sim_run_cli(6, 1, 5)
    summary, db = sim_run_cli(8, 1, 5, start_utc="2026-02-01T00:00:00Z")
    assert summary["alarms"] == {"raised": {}, "open": {}}
    with open_store(str(db)) as store:
        assert store.list_alarms(limit=1000) == []
