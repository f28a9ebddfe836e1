"""Power states and LED of the MDT (manual §5.2) as a transition table.

The table :data:`TRANSITIONS` maps ``(state, event)`` to ``(next_state, action specs)``.  It is
pure data: the :class:`PowerStateMachine` resolves durations from :class:`PowerParams` (and the
retry back-off), keeps the timers it asked for, and returns the concrete :class:`Action` list to
the driver (the mesh simulator).  A ``(state, event)`` pair that is not in the table is ignored:
no state change, no action.

The driver's contract:

* it delivers :class:`MdtEvent` values: button presses (``on_button`` classifies hold/tap), the
  first meter pulse, and the radio's ``beacon_heard``, ``join_ok``, ``join_failed``,
  ``parent_lost``; timer expiries come back as events too (:data:`TIMER_EVENTS`);
* it performs the returned actions: ``start_timer``/``cancel_timer`` (``name``, ``duration_s``;
  starting a timer that runs replaces it), ``start_search`` (radio receive, listen for beacons),
  ``send_join``, ``stop_radio``, ``start_reporting``/``stop_reporting`` (the periodic uplink of
  unacknowledged intervals), ``send_data`` (one immediate uplink); ``led`` (a transient LED
  pattern for ``duration_s``) and ``reset_backoff`` are informative, the machine applies them.

Times are simulation seconds [s] given by the caller: the machine has no clock of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from openamr.errors import InputError

__all__ = [
    "LED_PATTERNS",
    "TIMER_EVENTS",
    "TRANSITIONS",
    "Action",
    "ActionSpec",
    "MdtEvent",
    "PowerParams",
    "PowerState",
    "PowerStateMachine",
    "Transition",
]


class PowerState(StrEnum):
    """Power state of an MDT; the LED pattern of each is :data:`LED_PATTERNS`."""

    OFF = "off"
    SEARCHING = "searching"
    LIGHT_SLEEP = "light_sleep"
    JOINING = "joining"
    JOINED_LED = "joined_led"
    JOINED = "joined"


class MdtEvent(StrEnum):
    """What can happen to an MDT's power state machine."""

    BUTTON_HOLD = "button_hold"
    BUTTON_TAP = "button_tap"
    PULSE = "pulse"
    BEACON_HEARD = "beacon_heard"
    JOIN_OK = "join_ok"
    JOIN_FAILED = "join_failed"
    SEARCH_TIMEOUT = "search_timeout"
    SLEEP_EXPIRED = "sleep_expired"
    LED_TIMEOUT = "led_timeout"
    PARENT_LOST = "parent_lost"


#: Steady LED pattern of each state (a transient ``led`` action overrides it for a while).
LED_PATTERNS: Mapping[PowerState, str] = MappingProxyType({
    PowerState.OFF: "off",
    PowerState.SEARCHING: "slow_flash",
    PowerState.LIGHT_SLEEP: "off",
    PowerState.JOINING: "rapid_flash",
    PowerState.JOINED_LED: "solid",
    PowerState.JOINED: "off",
})

#: Timer name -> the event its expiry delivers.
TIMER_EVENTS: Mapping[str, MdtEvent] = MappingProxyType({
    "search": MdtEvent.SEARCH_TIMEOUT,
    "sleep": MdtEvent.SLEEP_EXPIRED,
    "join": MdtEvent.JOIN_FAILED,
    "led": MdtEvent.LED_TIMEOUT,
})
_TIMERS_OF: Mapping[MdtEvent, tuple[str, ...]] = MappingProxyType({
    event: tuple(name for name, e in TIMER_EVENTS.items() if e is event)
    for event in set(TIMER_EVENTS.values())})
"""The timers whose expiry each event is (the inverse of :data:`TIMER_EVENTS`)."""


@dataclass(frozen=True)
class ActionSpec:
    """One action of a table row: ``kind``, a ``name`` (timer or LED pattern) and the
    :class:`PowerParams` field (or ``"backoff"``) that gives its duration."""

    kind: str
    name: str | None = None
    duration_param: str | None = None


class Action(NamedTuple):
    """A concrete action for the driver: ``kind``, ``name`` and ``duration_s`` [s] (a named
    tuple: the simulator makes one per timer of every MDT)."""

    kind: str
    name: str | None = None
    duration_s: float | None = None


@dataclass(frozen=True)
class Transition:
    """A row's right-hand side: the next state and the actions, in order."""

    next_state: PowerState
    actions: tuple[ActionSpec, ...] = ()


def _timer(name: str, param: str) -> ActionSpec:
    return ActionSpec("start_timer", name, param)


def _cancel(name: str) -> ActionSpec:
    return ActionSpec("cancel_timer", name)


def _led(pattern: str, param: str) -> ActionSpec:
    return ActionSpec("led", pattern, param)


_SEARCH = (ActionSpec("start_search"), _timer("search", "search_window_s"))
_SLEEP = (ActionSpec("stop_radio"), _timer("sleep", "backoff"))
_OFF_LED = _led("double_flash", "double_flash_s")

S, E = PowerState, MdtEvent

#: The whole behaviour of manual §5.2: (state, event) -> (next state, actions).
TRANSITIONS: Mapping[tuple[PowerState, MdtEvent], Transition] = MappingProxyType({
    # OFF: a long press or the first meter pulse turns the MDT on; a tap shows two flashes.
    (S.OFF, E.BUTTON_HOLD): Transition(S.SEARCHING, _SEARCH),
    (S.OFF, E.PULSE): Transition(S.SEARCHING, _SEARCH),
    (S.OFF, E.BUTTON_TAP): Transition(S.OFF, (_OFF_LED,)),
    # SEARCHING (slow flash) for up to search_window_s.
    (S.SEARCHING, E.BEACON_HEARD): Transition(
        S.JOINING, (_cancel("search"), ActionSpec("send_join"), _timer("join", "join_timeout_s"))),
    (S.SEARCHING, E.SEARCH_TIMEOUT): Transition(S.LIGHT_SLEEP, _SLEEP),
    (S.SEARCHING, E.BUTTON_HOLD): Transition(
        S.OFF, (_cancel("search"), ActionSpec("stop_radio"), _OFF_LED)),
    # LIGHT_SLEEP (LED off): wakes after the back-off period and searches again.
    (S.LIGHT_SLEEP, E.SLEEP_EXPIRED): Transition(S.SEARCHING, _SEARCH),
    (S.LIGHT_SLEEP, E.BUTTON_TAP): Transition(
        S.LIGHT_SLEEP, (_led("single_flash", "single_flash_s"),)),
    (S.LIGHT_SLEEP, E.BUTTON_HOLD): Transition(S.OFF, (_cancel("sleep"), _OFF_LED)),
    # JOINING (rapid flash).
    (S.JOINING, E.JOIN_OK): Transition(
        S.JOINED_LED,
        (_cancel("join"), ActionSpec("reset_backoff"), _timer("led", "led_solid_s"),
         ActionSpec("start_reporting"))),
    (S.JOINING, E.JOIN_FAILED): Transition(S.LIGHT_SLEEP, (_cancel("join"), *_SLEEP)),
    (S.JOINING, E.BUTTON_HOLD): Transition(
        S.OFF, (_cancel("join"), ActionSpec("stop_radio"), _OFF_LED)),
    # JOINED_LED (solid for led_solid_s, then off).
    (S.JOINED_LED, E.LED_TIMEOUT): Transition(S.JOINED),
    (S.JOINED_LED, E.BUTTON_TAP): Transition(S.JOINED_LED, (ActionSpec("send_data"),)),
    (S.JOINED_LED, E.PARENT_LOST): Transition(
        S.SEARCHING, (_cancel("led"), ActionSpec("stop_reporting"), *_SEARCH)),
    (S.JOINED_LED, E.BUTTON_HOLD): Transition(
        S.OFF, (_cancel("led"), ActionSpec("stop_reporting"), ActionSpec("stop_radio"), _OFF_LED)),
    # JOINED (LED off, reporting).
    (S.JOINED, E.BUTTON_TAP): Transition(
        S.JOINED, (_led("on_10s", "on_10s_s"), ActionSpec("send_data"))),
    (S.JOINED, E.PARENT_LOST): Transition(S.SEARCHING, (ActionSpec("stop_reporting"), *_SEARCH)),
    (S.JOINED, E.BUTTON_HOLD): Transition(
        S.OFF, (ActionSpec("stop_reporting"), ActionSpec("stop_radio"), _OFF_LED)),
})
del S, E


@dataclass(frozen=True)
class PowerParams:
    """Timings of the power state machine [s]."""

    search_window_s: float = 90.0
    retry_sleep_s: tuple[float, ...] = (300.0, 900.0, 3600.0, 14400.0)
    join_timeout_s: float = 60.0
    led_solid_s: float = 10.0
    long_press_s: float = 4.0
    single_flash_s: float = 1.0
    double_flash_s: float = 2.0
    on_10s_s: float = 10.0

    def __post_init__(self) -> None:
        if not self.retry_sleep_s or any(s <= 0 for s in self.retry_sleep_s):
            raise InputError("retry_sleep_s must be a non-empty list of positive durations",
                             where="retry_sleep_s")
        for name in ("search_window_s", "join_timeout_s", "led_solid_s", "long_press_s"):
            if getattr(self, name) <= 0:
                raise InputError(f"{name} must be positive", where=name)


@dataclass
class PowerStateMachine:
    """The MDT's power state, its timers and LED; sans-IO (every call takes ``sim_t_s``)."""

    params: PowerParams = field(default_factory=PowerParams)
    state: PowerState = PowerState.OFF
    #: running timers: name -> due time [sim s]
    timers: dict[str, float] = field(default_factory=dict)
    #: index into ``params.retry_sleep_s`` of the next light-sleep period
    backoff_index: int = 0
    _overlay: tuple[str, float] | None = None

    def handle(self, event: MdtEvent | str, sim_t_s: float) -> tuple[Action, ...]:
        """Apply ``event`` at ``sim_t_s`` [s]; return the actions for the driver."""
        if type(event) is not MdtEvent:
            try:
                event = MdtEvent(event)
            except ValueError:
                raise InputError(f"unknown MDT event {event!r} (known: "
                                 f"{', '.join(e.value for e in MdtEvent)})",
                                 where="event") from None
        row = TRANSITIONS.get((self.state, event))
        if row is None:
            return ()
        for name in _TIMERS_OF.get(event, ()):
            self.timers.pop(name, None)  # a driver with its own timers reports the expiry
        if row.next_state != self.state:
            self._overlay = None  # a transient pattern belongs to the state that showed it
        actions = tuple([self._apply(spec, sim_t_s) for spec in row.actions])
        self.state = row.next_state
        return actions

    def on_button(self, held_s: float, sim_t_s: float) -> tuple[Action, ...]:
        """A press released at ``sim_t_s`` after ``held_s`` [s]: a hold if ≥ ``long_press_s``."""
        if held_s < 0:
            raise InputError(f"button held for a negative time ({held_s} s)", where="held_s")
        event = MdtEvent.BUTTON_HOLD if held_s >= self.params.long_press_s else MdtEvent.BUTTON_TAP
        return self.handle(event, sim_t_s)

    def on_timer(self, name: str, sim_t_s: float) -> tuple[Action, ...]:
        """The timer ``name`` expired: deliver its event (a timer no longer running is ignored)."""
        if name not in self.timers:
            return ()
        del self.timers[name]
        return self.handle(TIMER_EVENTS[name], sim_t_s)

    def next_timer(self) -> tuple[str, float] | None:
        """The timer that expires first, as ``(name, due_sim_t_s)``, or None."""
        if not self.timers:
            return None
        name = min(self.timers, key=lambda n: (self.timers[n], n))
        return name, self.timers[name]

    def fire_due_timers(self, sim_t_s: float) -> tuple[Action, ...]:
        """Deliver, in due order, every timer due at or before ``sim_t_s`` [s]."""
        out: list[Action] = []
        while (nxt := self.next_timer()) is not None and nxt[1] <= sim_t_s:
            out.extend(self.on_timer(nxt[0], nxt[1]))
        return tuple(out)

    def led_pattern(self, sim_t_s: float) -> str:
        """The LED pattern shown at ``sim_t_s`` [s]."""
        if self._overlay is not None and sim_t_s < self._overlay[1]:
            return self._overlay[0]
        return LED_PATTERNS[self.state]

    def _duration(self, param: str | None) -> float | None:
        if param is None:
            return None
        if param == "backoff":
            schedule = self.params.retry_sleep_s
            duration = schedule[min(self.backoff_index, len(schedule) - 1)]
            self.backoff_index = min(self.backoff_index + 1, len(schedule) - 1)
            return duration
        value: float = getattr(self.params, param)
        return value

    def _apply(self, spec: ActionSpec, sim_t_s: float) -> Action:
        duration_s = self._duration(spec.duration_param)
        if spec.kind == "start_timer":
            assert spec.name is not None
            assert duration_s is not None
            self.timers[spec.name] = sim_t_s + duration_s
        elif spec.kind == "cancel_timer":
            self.timers.pop(spec.name or "", None)
        elif spec.kind == "reset_backoff":
            self.backoff_index = 0
        elif spec.kind == "led":
            assert spec.name is not None
            assert duration_s is not None
            self._overlay = (spec.name, sim_t_s + duration_s)
        return Action(spec.kind, spec.name, duration_s)
