"""TOU periods in local time -> UTC switch times (DST weeks in a real zone), and their checks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.headend.tou import DAY_NAMES, TouPlan, TouSender, register_names
from openamr.timeutil import from_epoch_s, parse_utc, site_zone

LA = "America/Los_Angeles"
PLAN = TouPlan.from_mapping({
    "default": "off_peak",
    "periods": [{"name": "on_peak", "start": "16:00", "end": "21:00", "days": "weekdays"},
                {"name": "mid_peak", "start": "07:00", "end": "16:00", "days": "weekdays"}],
})


def _s(text: str) -> int:
    return int(parse_utc(text).timestamp())


def test_registers_are_default_then_periods_in_order() -> None:
    assert PLAN.registers == ("off_peak", "on_peak", "mid_peak")
    assert register_names(PLAN, 4) == ["off_peak", "on_peak", "mid_peak", "register_3"]
    assert register_names(None, 2) == ["register_0", "register_1"]
    assert TouPlan.from_json(PLAN.to_json()) == PLAN
    assert PLAN.to_mapping()["periods"][0]["days"] == list(DAY_NAMES[:5])


def test_spring_forward_week_keeps_local_times_and_moves_utc() -> None:
    # Friday 2026-03-06 noon PST; DST starts Sunday 2026-03-08 02:00
    payload, until_s = PLAN.schedule(_s("2026-03-06T20:00:00Z"), LA, days=7)
    assert payload.registers == 3
    switches = dict(payload.switches)
    first_s = _s("2026-03-06T08:00:00Z")  # Friday 00:00 PST
    assert payload.switches[0] == (first_s, 0)
    assert switches[_s("2026-03-06T15:00:00Z")] == 2  # Fri 07:00 PST mid-peak
    assert switches[_s("2026-03-07T00:00:00Z")] == 1  # Fri 16:00 PST on-peak
    assert switches[_s("2026-03-07T05:00:00Z")] == 0  # Fri 21:00 PST off-peak
    assert switches[_s("2026-03-09T14:00:00Z")] == 2  # Mon 07:00 PDT: an hour earlier in UTC
    assert switches[_s("2026-03-09T23:00:00Z")] == 1  # Mon 16:00 PDT
    assert switches[_s("2026-03-10T04:00:00Z")] == 0  # Mon 21:00 PDT
    assert not [t for t in switches if _s("2026-03-07T05:00:01Z") <= t
                < _s("2026-03-09T14:00:00Z")]  # the weekend is off-peak throughout
    assert until_s == _s("2026-03-13T07:00:00Z")  # Friday 00:00 PDT: 7 days, one of 23 h
    assert until_s - first_s == 7 * 86_400 - 3600
    assert len(payload.switches) == 1 + 5 * 3 + 1
    assert payload.switches[-1] == (until_s, 0)  # the end of the span, marked


def test_fall_back_repeats_the_hour_and_spring_forward_skips_it() -> None:
    plan = TouPlan.from_mapping({"default": "base", "periods": [
        {"name": "night", "start": "01:00", "end": "02:00", "days": ["sun"]},
        {"name": "early", "start": "02:00", "end": "03:00", "days": "sun"}]})
    fall = plan.switches(_s("2026-11-01T07:00:00Z"), _s("2026-11-02T08:00:00Z"), LA)
    assert fall == ((_s("2026-11-01T07:00:00Z"), 0), (_s("2026-11-01T08:00:00Z"), 1),
                    (_s("2026-11-01T10:00:00Z"), 2), (_s("2026-11-01T11:00:00Z"), 0))
    # 01:00-02:00 happens twice (PDT then PST): two UTC hours of "night"
    spring = plan.switches(_s("2026-03-08T08:00:00Z"), _s("2026-03-09T07:00:00Z"), LA)
    assert spring == ((_s("2026-03-08T08:00:00Z"), 0), (_s("2026-03-08T09:00:00Z"), 1),
                      (_s("2026-03-08T10:00:00Z"), 0))
    # 02:00-03:00 does not exist that day: "early" never starts


def test_a_period_that_wraps_midnight_belongs_to_its_start_day() -> None:
    plan = TouPlan.from_mapping({"default": "day", "periods": [
        {"name": "night", "start": "22:00", "end": "06:00", "days": ["fri"]}]})
    # Friday 2026-01-02 22:00 UTC to Saturday 06:00
    assert plan.switches(_s("2026-01-02T00:00:00Z"), _s("2026-01-04T00:00:00Z"), "UTC") == (
        (_s("2026-01-02T00:00:00Z"), 0), (_s("2026-01-02T22:00:00Z"), 1),
        (_s("2026-01-03T06:00:00Z"), 0))
    whole = TouPlan.from_mapping({"default": "a", "periods": [
        {"name": "b", "start": "00:00", "end": "24:00", "days": "weekends"}]})
    assert whole.to_mapping()["periods"][0]["end"] == "24:00"
    assert whole.switches(_s("2026-01-02T00:00:00Z"), _s("2026-01-05T01:00:00Z"), "UTC") == (
        (_s("2026-01-02T00:00:00Z"), 0), (_s("2026-01-03T00:00:00Z"), 1),
        (_s("2026-01-05T00:00:00Z"), 0))


@pytest.mark.parametrize(("table", "where", "message"), [
    ([], "[tou]", "must be a table"),
    ({"default": "Off Peak"}, "[tou] default", "period name"),
    ({"default": "a", "extra": 1}, "[tou]", "unknown key"),
    ({"default": "a", "periods": [{"name": "b", "start": "16:10", "end": "17:00"}]},
     "[tou] periods[0] start", "quarter-hour"),
    ({"default": "a", "periods": [{"name": "b", "start": "25:00", "end": "17:00"}]},
     "[tou] periods[0] start", "HH:MM"),
    ({"default": "a", "periods": [{"name": "b", "start": "16:00"}]},
     "[tou] periods[0] end", "missing"),
    ({"default": "a", "periods": [{"name": "b", "start": "16:00", "end": "17:00",
                                   "days": ["funday"]}]}, "[tou] periods[0] days", "funday"),
    ({"default": "a", "periods": [{"name": "b", "start": "16:00", "end": "18:00"},
                                  {"name": "c", "start": "17:00", "end": "19:00",
                                   "days": "weekends"}]},
     "[tou] periods[1]", "overlaps period 'b' on sat at 17:00"),
    ({"default": "a", "periods": [{"name": n, "start": f"{h:02d}:00", "end": f"{h + 1:02d}:00"}
                                  for h, n in enumerate("bcde")]}, "[tou]", "at most 4"),
])
def test_bad_tables_name_the_key(table: object, where: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        TouPlan.from_mapping(table)
    assert err.value.where == where


def _reference_register(plan: TouPlan, t_s: int, zone_name: str) -> int:
    """Scalar reference: the local wall time of ``t_s`` through the zone, looked up by hand."""
    local = from_epoch_s(t_s).astimezone(site_zone(zone_name))
    minute = local.hour * 60 + local.minute
    for p in plan.periods:
        length = (p.end_min - p.start_min) % 1440 or 1440
        for day in p.days:
            for shift in (0, 1):  # the window of its start day, or of the day before (wrap)
                if (local.weekday() - shift) % 7 == day:
                    offset = minute + 1440 * shift - p.start_min
                    if 0 <= offset < length:
                        return plan.registers.index(p.name)
    return 0


@settings(max_examples=60, deadline=None)
@given(start_q=st.integers(0, 95), length_q=st.integers(1, 95), days=st.sets(
    st.sampled_from(DAY_NAMES), min_size=1), zone=st.sampled_from(
    [LA, "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]),
    t_q=st.integers(0, 4 * 365 * 96))
def test_vectorised_register_matches_a_scalar_reference(start_q: int, length_q: int,
                                                        days: set[str], zone: str,
                                                        t_q: int) -> None:
    end_q = (start_q + length_q) % 96
    plan = TouPlan.from_mapping({"default": "base", "periods": [
        {"name": "peak", "start": f"{start_q // 4:02d}:{start_q % 4 * 15:02d}",
         "end": f"{end_q // 4:02d}:{end_q % 4 * 15:02d}", "days": sorted(days)}]})
    t_s = _s("2025-01-01T00:00:00Z") + 900 * t_q
    assert int(plan.register_at([t_s], zone)[0]) == _reference_register(plan, t_s, zone)


def test_sender_resends_on_change_expiry_restart_and_stale() -> None:
    sender = TouSender(days=7, resend_before_s=2 * 86_400)
    config = PLAN.to_json()
    lookup = {"s1": (config, LA)}.get
    now = _s("2026-03-06T20:00:00Z")
    first = sender.due(1, "s1", now, stale_since_s=None, lookup=lookup)
    assert first is not None
    assert first.registers == 3
    assert sender.due(1, "s1", now + 60, stale_since_s=None, lookup=lookup) is None
    assert sender.due(2, "nowhere", now, stale_since_s=None, lookup=lookup) is None
    # intervals flagged stale that started before the schedule went out: nothing new
    assert sender.due(1, "s1", now + 3600, stale_since_s=now - 900, lookup=lookup) is None
    # stale after it went out: it did not arrive; sent again
    assert sender.due(1, "s1", now + 3600, stale_since_s=now + 900, lookup=lookup) is not None
    sender.forget(1)  # restarted
    assert sender.due(1, "s1", now + 7200, stale_since_s=None, lookup=lookup) is not None
    # five days on (less than two left of seven): a new one
    later = now + 5 * 86_400
    sender.begin_batch()
    assert sender.due(1, "s1", later - 86_400, stale_since_s=None, lookup=lookup) is None
    sender.begin_batch()
    assert sender.due(1, "s1", later, stale_since_s=None, lookup=lookup) is not None
    # a new configuration: sent again at once
    other = {"s1": (TouPlan.from_mapping({"default": "flat"}).to_json(), LA)}.get
    sender.begin_batch()
    new = sender.due(1, "s1", later + 60, stale_since_s=None, lookup=other)
    assert new is not None
    assert new.registers == 1
    assert sender.sent_s(1) == later + 60


def test_sender_refuses_a_bad_stored_configuration_once_per_batch() -> None:
    sender = TouSender(days=7, resend_before_s=2 * 86_400)
    lookup = {"s1": ('{"default": "x", "periods": [{"name": "y"}]}', LA)}.get
    with pytest.raises(InputError, match="site s1 tou periods"):
        sender.due(1, "s1", 0, stale_since_s=None, lookup=lookup)
    assert sender.due(2, "s1", 0, stale_since_s=None, lookup=lookup) is None
