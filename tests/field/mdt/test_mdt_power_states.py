"""The power/LED transition table of manual §5.2, row by row, and the manual's timings."""

from __future__ import annotations

import pytest

from openamr.errors import InputError
from openamr.field.mdt import (
    LED_PATTERNS,
    TIMER_EVENTS,
    TRANSITIONS,
    Action,
    MdtEvent,
    PowerParams,
    PowerState,
    PowerStateMachine,
)

S, E = PowerState, MdtEvent

#: (state, event) -> (next state, action kinds in order, timers running afterwards, LED after)
EXPECTED = {
    (S.OFF, E.BUTTON_HOLD): (S.SEARCHING, ["start_search", "start_timer"], {"search"},
                             "slow_flash"),
    (S.OFF, E.PULSE): (S.SEARCHING, ["start_search", "start_timer"], {"search"}, "slow_flash"),
    (S.OFF, E.BUTTON_TAP): (S.OFF, ["led"], set(), "double_flash"),
    (S.SEARCHING, E.BEACON_HEARD): (S.JOINING, ["cancel_timer", "send_join", "start_timer"],
                                    {"join"}, "rapid_flash"),
    (S.SEARCHING, E.SEARCH_TIMEOUT): (S.LIGHT_SLEEP, ["stop_radio", "start_timer"], {"sleep"},
                                      "off"),
    (S.SEARCHING, E.BUTTON_HOLD): (S.OFF, ["cancel_timer", "stop_radio", "led"], set(),
                                   "double_flash"),
    (S.LIGHT_SLEEP, E.SLEEP_EXPIRED): (S.SEARCHING, ["start_search", "start_timer"],
                                       {"search"}, "slow_flash"),
    (S.LIGHT_SLEEP, E.BUTTON_TAP): (S.LIGHT_SLEEP, ["led"], {"sleep"}, "single_flash"),
    (S.LIGHT_SLEEP, E.BUTTON_HOLD): (S.OFF, ["cancel_timer", "led"], set(), "double_flash"),
    (S.JOINING, E.JOIN_OK): (S.JOINED_LED,
                             ["cancel_timer", "reset_backoff", "start_timer", "start_reporting"],
                             {"led"}, "solid"),
    (S.JOINING, E.JOIN_FAILED): (S.LIGHT_SLEEP, ["cancel_timer", "stop_radio", "start_timer"],
                                 {"sleep"}, "off"),
    (S.JOINING, E.BUTTON_HOLD): (S.OFF, ["cancel_timer", "stop_radio", "led"], set(),
                                 "double_flash"),
    (S.JOINED_LED, E.LED_TIMEOUT): (S.JOINED, [], set(), "off"),
    (S.JOINED_LED, E.BUTTON_TAP): (S.JOINED_LED, ["send_data"], {"led"}, "solid"),
    (S.JOINED_LED, E.PARENT_LOST): (S.SEARCHING,
                                    ["cancel_timer", "stop_reporting", "start_search",
                                     "start_timer"], {"search"}, "slow_flash"),
    (S.JOINED_LED, E.BUTTON_HOLD): (S.OFF,
                                    ["cancel_timer", "stop_reporting", "stop_radio", "led"],
                                    set(), "double_flash"),
    (S.JOINED, E.BUTTON_TAP): (S.JOINED, ["led", "send_data"], set(), "on_10s"),
    (S.JOINED, E.PARENT_LOST): (S.SEARCHING, ["stop_reporting", "start_search", "start_timer"],
                                {"search"}, "slow_flash"),
    (S.JOINED, E.BUTTON_HOLD): (S.OFF, ["stop_reporting", "stop_radio", "led"], set(),
                                "double_flash"),
}

#: the timers each state runs when it is entered normally
STATE_TIMERS = {S.OFF: set(), S.SEARCHING: {"search"}, S.LIGHT_SLEEP: {"sleep"},
                S.JOINING: {"join"}, S.JOINED_LED: {"led"}, S.JOINED: set()}


def machine_in(state: PowerState, t_s: float = 0.0) -> PowerStateMachine:
    """A machine in ``state`` with the timers that state normally runs."""
    m = PowerStateMachine(state=state)
    for name in STATE_TIMERS[state]:
        m.timers[name] = t_s + 50.0
    return m


def test_the_table_is_exactly_the_expected_rows() -> None:
    assert set(TRANSITIONS) == set(EXPECTED)


@pytest.mark.parametrize(("state", "event"), sorted(EXPECTED), ids=lambda v: str(v))
def test_each_row(state: PowerState, event: MdtEvent) -> None:
    next_state, kinds, timers, led = EXPECTED[(state, event)]
    m = machine_in(state)
    actions = m.handle(event, 100.0)
    assert m.state is next_state
    assert [a.kind for a in actions] == kinds
    assert set(m.timers) == timers
    assert m.led_pattern(100.5) == led
    for action in actions:
        if action.kind in ("start_timer", "led"):
            assert action.duration_s is not None
            assert action.duration_s > 0
            assert action.name
        if action.kind == "start_timer":
            assert m.timers[action.name or ""] == pytest.approx(100.0 + (action.duration_s or 0))


@pytest.mark.parametrize("state", list(PowerState))
@pytest.mark.parametrize("event", list(MdtEvent))
def test_pairs_not_in_the_table_are_ignored(state: PowerState, event: MdtEvent) -> None:
    if (state, event) in TRANSITIONS:
        return
    m = machine_in(state)
    timers = dict(m.timers)
    assert m.handle(event, 10.0) == ()
    assert m.state is state
    assert m.timers == timers


def test_every_state_has_a_led_pattern_and_every_timer_an_event() -> None:
    assert set(LED_PATTERNS) == set(PowerState)
    started = {spec.name for row in TRANSITIONS.values() for spec in row.actions
               if spec.kind == "start_timer"}
    assert started == set(TIMER_EVENTS)


def test_manual_power_up_timing_with_a_network() -> None:
    """'After about 30 s the LED flash frequency changes from slow to fast. After another 30 s,
    the LED stays solid for 10 s then turns off' (beacon at 30 s, join done 30 s later)."""
    m = PowerStateMachine()
    m.on_button(held_s=4.0, sim_t_s=0.0)
    assert [m.led_pattern(t) for t in (0.1, 15.0, 29.9)] == ["slow_flash"] * 3
    m.handle(MdtEvent.BEACON_HEARD, 30.0)
    assert [m.led_pattern(t) for t in (30.0, 45.0, 59.9)] == ["rapid_flash"] * 3
    m.handle(MdtEvent.JOIN_OK, 60.0)
    assert m.next_timer() == ("led", 70.0)
    assert m.fire_due_timers(69.9) == ()
    assert m.led_pattern(69.9) == "solid"
    m.fire_due_timers(70.0)
    assert m.state is PowerState.JOINED
    assert m.led_pattern(70.0) == "off"


def test_no_network_searches_90_s_then_backs_off_and_resets_on_success() -> None:
    m = PowerStateMachine()
    m.on_button(held_s=4.2, sim_t_s=0.0)
    sleeps = []
    t = 0.0
    for _ in range(6):
        name, due = m.next_timer() or ("", 0.0)
        assert name == "search"
        assert due - t == pytest.approx(90.0)
        t = due
        actions = m.fire_due_timers(t)
        assert m.state is PowerState.LIGHT_SLEEP
        sleep = next(a for a in actions if a.kind == "start_timer")
        sleeps.append(sleep.duration_s)
        t += sleep.duration_s or 0.0
        m.fire_due_timers(t)
        assert m.state is PowerState.SEARCHING
    assert sleeps == [300.0, 900.0, 3600.0, 14400.0, 14400.0, 14400.0]
    m.handle(MdtEvent.BEACON_HEARD, t + 1)
    m.handle(MdtEvent.JOIN_OK, t + 2)
    assert m.backoff_index == 0
    m.handle(MdtEvent.PARENT_LOST, t + 100)
    actions = m.fire_due_timers(t + 100 + 90)
    assert next(a for a in actions if a.kind == "start_timer").duration_s == 300.0


def test_configurable_backoff_and_long_press() -> None:
    m = PowerStateMachine(PowerParams(retry_sleep_s=(60.0,), long_press_s=3.0))
    assert m.on_button(held_s=2.9, sim_t_s=0.0)[0].name == "double_flash"  # a tap while OFF
    m.on_button(held_s=3.0, sim_t_s=5.0)
    assert m.state is PowerState.SEARCHING
    actions = m.fire_due_timers(95.0)
    assert Action("start_timer", "sleep", 60.0) in actions


def test_turning_off_shows_two_flashes_then_off() -> None:
    m = PowerStateMachine(state=PowerState.JOINED)
    m.on_button(held_s=4.0, sim_t_s=10.0)
    assert m.state is PowerState.OFF
    assert m.led_pattern(11.0) == "double_flash"
    assert m.led_pattern(12.0) == "off"


def test_quick_press_feedback_per_state() -> None:
    for state, pattern, duration_s in ((S.LIGHT_SLEEP, "single_flash", 1.0),
                                       (S.OFF, "double_flash", 2.0),
                                       (S.JOINED, "on_10s", 10.0)):
        m = machine_in(state)
        m.on_button(held_s=0.2, sim_t_s=0.0)
        assert m.led_pattern(0.0) == pattern
        assert m.led_pattern(duration_s - 0.01) == pattern
        assert m.led_pattern(duration_s) == LED_PATTERNS[state]


def test_a_stale_timer_is_ignored_and_bad_input_refused() -> None:
    m = PowerStateMachine()
    assert m.on_timer("search", 1.0) == ()
    with pytest.raises(InputError):
        m.on_button(held_s=-1.0, sim_t_s=0.0)
    with pytest.raises(InputError):
        PowerParams(retry_sleep_s=())
    with pytest.raises(ValueError, match="not_an_event"):
        m.handle("not_an_event", 0.0)
