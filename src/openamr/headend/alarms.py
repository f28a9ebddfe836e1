"""Events become alarms: raised, cleared, acknowledged, stored and pushed.

``AlarmRules(store, settings)`` is composed by ``openamr serve``: ``on_stored(batch)`` listens to
ingest commits (events and device statuses), ``sweep(now_s)`` runs periodically for the silence
rule, ``acknowledge(alarm_id, user, t_s)`` is what the API calls when a user acknowledges.

======================  ===========================================  ==========================
code                    raised when                                  cleared when
======================  ===========================================  ==========================
``alarm.tamper``        event ``tamper.cover_removed``               event
                                                                     ``tamper.cover_replaced``
``alarm.reverse_phase`` event ``meter.reverse_phase``, value != 0    the same event, value 0
                        (the element)
``alarm.no_data``       ``sweep``: a meter's last interval ended     new intervals of the meter
                        (a repeater was last heard) more than        (a status of the repeater)
                        ``no_data_report_periods`` periods ago
``alarm.battery_low``   event ``battery.low``, or a status with      a status with
                        0 < ``battery_mv`` < ``low_battery_mv``      ``battery_mv`` >= threshold
                                                                     + hysteresis
``alarm.power_lost``    event ``power.lost``, or a repeater/DCAP     event ``power.restored``,
                        status with ``on_battery``                   or a status off battery
``alarm.weak_link``     a status with ``link_margin_db`` (as the     a status with margin >=
                        device reports it) below                     threshold + hysteresis
                        ``weak_link_margin_db``
``alarm.join_failed``   event ``join.failed``                        a status whose
                                                                     ``joined_s`` is later
======================  ===========================================  ==========================

Acknowledging (a user saw it) does not clear: the condition must go away.  Each transition
(``raised``, ``cleared``, ``acknowledged``) is queued in the push outboxes once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from openamr.headend.push.config import PushConfig
from openamr.headend.push.publisher import Publisher
from openamr.headend.settings import AlarmsSettings, Settings
from openamr.headend.store.base import AlarmRow, AmbiguousIdError
from openamr.headend.store.protocols import AlarmStore
from openamr.timeutil import format_utc
from openamr.units import INTERVAL_LENGTH_S

__all__ = [
    "ALARM_BATTERY_LOW",
    "ALARM_CODES",
    "ALARM_JOIN_FAILED",
    "ALARM_NO_DATA",
    "ALARM_POWER_LOST",
    "ALARM_REVERSE_PHASE",
    "ALARM_TAMPER",
    "ALARM_WEAK_LINK",
    "AlarmConfig",
    "AlarmRules",
]

log = logging.getLogger(__name__)

ALARM_TAMPER = "alarm.tamper"
ALARM_REVERSE_PHASE = "alarm.reverse_phase"
ALARM_NO_DATA = "alarm.no_data"
ALARM_BATTERY_LOW = "alarm.battery_low"
ALARM_POWER_LOST = "alarm.power_lost"
ALARM_WEAK_LINK = "alarm.weak_link"
ALARM_JOIN_FAILED = "alarm.join_failed"
ALARM_CODES = (ALARM_TAMPER, ALARM_REVERSE_PHASE, ALARM_NO_DATA, ALARM_BATTERY_LOW,
               ALARM_POWER_LOST, ALARM_WEAK_LINK, ALARM_JOIN_FAILED)

#: event code -> (alarm code, True to raise / False to clear)
_EVENT_RULES: dict[str, tuple[str, bool]] = {
    "tamper.cover_removed": (ALARM_TAMPER, True),
    "tamper.cover_replaced": (ALARM_TAMPER, False),
    "battery.low": (ALARM_BATTERY_LOW, True),
    "power.lost": (ALARM_POWER_LOST, True),
    "power.restored": (ALARM_POWER_LOST, False),
    "join.failed": (ALARM_JOIN_FAILED, True),
}
_REVERSE_PHASE_EVENT = "meter.reverse_phase"
_ELEMENTS = {1: "element 1", 2: "element 2", 3: "elements 1 and 2"}
"""The ``meter.reverse_phase`` event's value: which element's indicator is on (0: none)."""


AlarmConfig = AlarmsSettings
"""The thresholds of the rules: the ``[alarms]`` section of the one ``Settings`` (same class)."""


class AlarmRules:
    """Raise and clear alarms from what ingest stores; push each transition."""

    def __init__(self, store: AlarmStore, settings: Settings | None = None, *,
                 config: AlarmsSettings | None = None, push_config: PushConfig | None = None,
                 clock: Callable[[], float] = time.time, quiet: bool = False) -> None:
        self.store = store
        self._raised_level = logging.DEBUG if quiet else logging.WARNING
        """``quiet``: transitions are logged at DEBUG (a simulation that counts them itself),
        else a raise at WARNING and a clear at INFO."""
        self._cleared_level = logging.DEBUG if quiet else logging.INFO
        self.config = config or (settings or Settings()).alarms
        self.clock = clock
        self.publisher = Publisher(store, push_config or PushConfig.from_settings(settings))
        self._listeners: list[Callable[[AlarmRow, str, int], None]] = []
        self._active: dict[tuple[str, str | None, str | None], int] | None = None
        self._lock = threading.RLock()  # on_stored (ingest thread) and sweep (timer) both run
        self._devices: dict[str, Any] = {}  # device rows, refreshed at each sweep

    def subscribe(self, callback: Callable[[AlarmRow, str, int], None]) -> None:
        """``callback(alarm, transition, t_s)`` after each transition (e.g. ``PushService.on_alarm``
        to wake the delivery threads at once)."""
        self._listeners.append(callback)

    # -- bookkeeping ---------------------------------------------------------------------
    def _active_alarms(self) -> dict[tuple[str, str | None, str | None], int]:
        if self._active is None:
            self._active = {}
            for state in ("open", "acknowledged"):
                for row in self.store.list_alarms(state=state, limit=1_000_000):
                    if row.alarm_id is not None:
                        self._active[(row.code, row.device_id, row.meter_id)] = row.alarm_id
        return self._active

    def is_active(self, code: str, device_id: str | None, meter_id: str | None = None) -> bool:
        """Whether an alarm of ``code`` is open or acknowledged (not cleared) for the device."""
        return (code, device_id, meter_id) in self._active_alarms()

    def _notify(self, alarm: AlarmRow, transition: str, t_s: int) -> None:
        try:
            self.publisher.publish_alarm(alarm, transition, t_s, self.clock())
        except Exception:
            log.exception("alarms: could not queue %s %s", alarm.code, transition)
        for callback in self._listeners:
            callback(alarm, transition, t_s)

    def raise_(self, code: str, device_id: str | None, meter_id: str | None, t_s: int,
               detail: str = "") -> bool:
        """Raise ``code`` unless it is active already; True if it was raised now."""
        with self._lock:
            return self._raise(code, device_id, meter_id, t_s, detail)

    def _raise(self, code: str, device_id: str | None, meter_id: str | None, t_s: int,
               detail: str) -> bool:
        active = self._active_alarms()
        key = (code, device_id, meter_id)
        if key in active:
            return False
        alarm_id = self.store.raise_alarm(AlarmRow(code, device_id, meter_id, int(t_s), detail))
        active[key] = alarm_id
        log.log(self._raised_level, "alarm raised: %s (id %d) device=%s meter=%s at %s%s",
                code, alarm_id, device_id or "-", meter_id or "-", format_utc(int(t_s)),
                f": {detail}" if detail else "")
        row = self.store.get_alarm(alarm_id) or AlarmRow(code, device_id, meter_id, int(t_s),
                                                         detail, alarm_id=alarm_id)
        self._notify(row, "raised", int(t_s))
        return True

    def clear(self, code: str, device_id: str | None, meter_id: str | None, t_s: int) -> bool:
        """Clear ``code`` if active; True if it was cleared now."""
        with self._lock:
            return self._clear(code, device_id, meter_id, t_s)

    def _clear(self, code: str, device_id: str | None, meter_id: str | None, t_s: int) -> bool:
        active = self._active_alarms()
        key = (code, device_id, meter_id)
        alarm_id = active.pop(key, None)
        if alarm_id is None:
            return False
        if not self.store.clear_alarm(code, device_id, int(t_s), meter_id=meter_id):
            return False
        log.log(self._cleared_level, "alarm cleared: %s (id %d) device=%s meter=%s at %s",
                code, alarm_id, device_id or "-", meter_id or "-", format_utc(int(t_s)))
        row = self.store.get_alarm(alarm_id)
        if row is not None:
            self._notify(row, "cleared", int(t_s))
        return True

    def acknowledge(self, alarm_id: int, user: str, t_s: int) -> bool:
        """A user acknowledges an open alarm; True if it was open.

        The API may also call ``store.ack_alarm`` directly: :meth:`sweep` then pushes the
        acknowledgement (the outbox key of a transition is deterministic, so it goes out once).
        """
        with self._lock:
            if not self.store.ack_alarm(alarm_id, user, int(t_s)):
                return False
            row = self.store.get_alarm(alarm_id)
            if row is not None:
                self._notify(row, "acknowledged", int(t_s))
            return True

    # -- rules ---------------------------------------------------------------------------
    def _device(self, device_id: str) -> Any:
        if device_id not in self._devices:
            self._devices[device_id] = self.store.get_device(device_id)
        return self._devices[device_id]

    def _meter_of(self, device_id: str | None) -> str | None:
        if device_id is None:
            return None
        device = self._device(device_id)
        return device.meter_id if device is not None else None

    def _role_of(self, device_id: str) -> str | None:
        device = self._device(device_id)
        return device.role if device is not None else None

    def on_events(self, events: Iterable[Any]) -> None:
        """Apply the event rules to events stored outside the ingest (an installer's
        observation recorded by ``openamr cit register --reverse-phase``)."""
        with self._lock:
            self._on_events(events)

    def on_stored(self, batch: Any) -> None:
        """Ingest listener: apply the event and status rules to one commit."""
        try:
            with self._lock:
                self._on_events(batch.events)
                self._on_statuses(batch.statuses)
                self._on_intervals(batch.intervals, int(batch.received_s or self.clock()))
        except Exception:  # never break the ingest; the rules run again on the next commit
            log.exception("alarms: rules failed on a stored batch")

    def _on_events(self, events: Iterable[Any]) -> None:
        for event in sorted(events, key=lambda e: e.t_s):
            meter_id = event.meter_id if event.meter_id is not None else \
                self._meter_of(event.device_id)
            if event.code == _REVERSE_PHASE_EVENT:
                if event.value:
                    self.raise_("alarm.reverse_phase", event.device_id, meter_id, event.t_s,
                                f"reverse phase on {_ELEMENTS.get(event.value, 'the meter')}")
                else:
                    self.clear("alarm.reverse_phase", event.device_id, meter_id, event.t_s)
                continue
            rule = _EVENT_RULES.get(event.code)
            if rule is None:
                continue
            code, up = rule
            if up:
                self.raise_(code, event.device_id, meter_id, event.t_s,
                            f"event {event.code} value {event.value}")
            else:
                self.clear(code, event.device_id, meter_id, event.t_s)

    def _on_statuses(self, statuses: Iterable[Any]) -> None:
        cfg = self.config
        active_devices = {key[1] for key in self._active_alarms()}
        for status in statuses:
            device_id = status.device_id
            mv = status.battery_mv
            margin = status.link_margin_db
            if (device_id not in active_devices and not status.on_battery
                    and (mv is None or not 0 < mv < cfg.low_battery_mv)
                    and (margin is None or margin >= cfg.weak_link_margin_db)):
                continue  # nothing to raise, and no alarm of this device to clear
            active_devices.add(device_id)  # it may have one now (a later status clears it)
            meter_id = self._meter_of(device_id)
            t_s = int(status.last_heard_s)
            if mv is not None and mv > 0:
                if mv < cfg.low_battery_mv:
                    self.raise_(ALARM_BATTERY_LOW, device_id, meter_id, t_s,
                                f"battery {mv} mV < {cfg.low_battery_mv} mV")
                elif mv >= cfg.low_battery_mv + cfg.battery_hysteresis_mv:
                    self.clear(ALARM_BATTERY_LOW, device_id, meter_id, t_s)
            if margin is not None:
                if margin < cfg.weak_link_margin_db:
                    self.raise_(ALARM_WEAK_LINK, device_id, meter_id, t_s,
                                f"link margin {margin:g} dB < {cfg.weak_link_margin_db:g} dB")
                elif margin >= cfg.weak_link_margin_db + cfg.link_hysteresis_db:
                    self.clear(ALARM_WEAK_LINK, device_id, meter_id, t_s)
            if self._role_of(device_id) in ("repeater", "dcap"):
                if status.on_battery:
                    self.raise_(ALARM_POWER_LOST, device_id, meter_id, t_s,
                                "running on its backup battery")
                else:
                    self.clear(ALARM_POWER_LOST, device_id, meter_id, t_s)
                self.clear(ALARM_NO_DATA, device_id, None, t_s)
            joined_s = status.joined_s
            key = (ALARM_JOIN_FAILED, device_id, meter_id)
            if joined_s is not None and key in self._active_alarms():
                row = self.store.get_alarm(self._active_alarms()[key])
                if row is not None and joined_s > row.raised_s:
                    self.clear(ALARM_JOIN_FAILED, device_id, meter_id, int(joined_s))

    def _on_intervals(self, table: Any, t_s: int) -> None:
        if not len(table):
            return
        # only meters with an active silence alarm have anything to clear (no store lookups
        # for the usual batch)
        silent = {key[2] for key in self._active_alarms()
                  if key[0] == ALARM_NO_DATA and key[2] is not None}
        if not silent:
            return
        meter_ids = np.asarray(table.meter_id, dtype=object).tolist()
        site_ids = (np.asarray(table.site_id, dtype=object).tolist()
                    if getattr(table, "site_id", None) is not None else [None] * len(meter_ids))
        for site_id, meter_id in sorted(set(zip(site_ids, meter_ids, strict=True)),
                                        key=lambda p: (str(p[0]), str(p[1]))):
            if str(meter_id) not in silent:
                continue
            try:
                meter = self.store.get_meter(str(meter_id), site_id=site_id)
            except AmbiguousIdError:
                meter = None
            device_id = meter.device_id if meter is not None else None
            self.clear(ALARM_NO_DATA, device_id, str(meter_id), t_s)

    def sweep(self, now_s: int, site_id: str | None = None) -> int:
        """The silence rule: raise ``alarm.no_data`` for meters whose last interval ended more
        than ``no_data_after_s`` before ``now_s``, and repeaters last heard more than
        ``repeater_no_data_after_s`` before it; clear it for those heard again.  Returns how
        many alarms were raised.  Meters never heard are skipped.  ``site_id``: only that
        site's meters and repeaters (a simulated site's clock says nothing of the others).

        It also pushes acknowledgements made elsewhere (the API's route).
        """
        with self._lock:
            self._devices.clear()  # pick up devices added or re-bound since the last sweep
            raised = self._sweep_silence(int(now_s), site_id)
            self._push_acknowledged()
            return raised

    def _push_acknowledged(self) -> None:
        for row in self.store.list_alarms(state="acknowledged", limit=10_000):
            if row.acked_s is not None:
                # the outbox keeps delivered keys: a transition already queued is not again
                self.publisher.publish_alarm(row, "acknowledged", int(row.acked_s),
                                             self.clock())

    def _sweep_silence(self, now_s: int, site_id: str | None) -> int:
        limit_s = self.config.no_data_after_s
        raised = 0
        for meter in self.store.list_meters(site_id=site_id):
            last_s = self.store.last_interval_s(meter.meter_id, site_id=meter.site_id)
            if last_s is None:
                continue
            silent_s = int(now_s) - (int(last_s) + INTERVAL_LENGTH_S)
            if silent_s > limit_s:
                raised += self.raise_(ALARM_NO_DATA, meter.device_id, meter.meter_id,
                                      int(now_s), f"no interval for {silent_s} s")
            else:
                self.clear(ALARM_NO_DATA, meter.device_id, meter.meter_id, int(now_s))
        limit_s = self.config.repeater_no_data_after_s
        for device in self.store.list_devices(site_id=site_id, role="repeater"):
            status = self.store.get_device_status(device.device_id)
            if status is None:
                continue
            silent_s = int(now_s) - int(status.last_heard_s)
            if silent_s > limit_s:
                raised += self.raise_(ALARM_NO_DATA, device.device_id, None, int(now_s),
                                      f"repeater not heard for {silent_s} s")
            else:
                self.clear(ALARM_NO_DATA, device.device_id, None, int(now_s))
        return raised
