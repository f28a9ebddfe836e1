"""Turn stored rows into messages and queue them in every enabled channel's durable outbox.

Used by :class:`~openamr.headend.push.PushService` (after each ingest commit) and by
:class:`~openamr.headend.alarms.AlarmRules` (alarm transitions); it needs only the store, so an
alarm raised while no push thread runs is still delivered when one starts.

What goes where::

    kind           mqtt                                  webhook
    intervals      <prefix>/<site>/meters/<m>/intervals  yes
    meter_state    <prefix>/<site>/meters/<m>/state (R)  -
    device_state   <prefix>/<site>/devices/<d>/state (R) yes
    events         <prefix>/<site>/events                yes
    alarm          <prefix>/<site>/alarms                yes
    discovery      homeassistant/sensor/.../config (R)   -
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from openamr.headend.push import topics
from openamr.headend.push.config import PushConfig
from openamr.headend.push.homeassistant import discovery_message
from openamr.headend.push.outbox import Outbox, RetryPolicy
from openamr.headend.push.payloads import (
    Message,
    alarm_message,
    device_state_message,
    events_message,
    interval_messages,
    meter_state_message,
)
from openamr.headend.store.base import AmbiguousIdError
from openamr.headend.store.protocols import PublisherStore

__all__ = ["MQTT", "UNKNOWN_SITE", "WEBHOOK", "Publisher"]

MQTT = "mqtt"
WEBHOOK = "webhook"
UNKNOWN_SITE = "_"
"""Topic level used for a device or meter the store does not know (yet)."""


class Publisher:
    """Builds the messages of each enabled channel and puts them in its outbox."""

    def __init__(self, store: PublisherStore, config: PushConfig, *, session_s: int = 0,
                 rng: random.Random | None = None) -> None:
        self.store = store
        self.config = config
        self.session_s = session_s
        policy = RetryPolicy(config.retry_initial_s, config.retry_max_s)
        rng = rng or random.Random()
        self.outboxes: dict[str, Outbox] = {}
        if config.mqtt_enabled:
            self.outboxes[MQTT] = Outbox(store, MQTT, policy, rng=rng)
        if config.webhook_enabled:
            self.outboxes[WEBHOOK] = Outbox(store, WEBHOOK, policy, rng=rng)
        self._meter_site: dict[str, str] = {}
        self._announced: set[tuple[str, str]] = set()
        """``(site_id, meter_id)`` of the meters announced in this session."""
        self._device_site: dict[str, str] = {}

    # -- lookups ---------------------------------------------------------------------------
    def site_of_meter(self, meter_id: str) -> str:
        """The site of a meter id named without its site (``UNKNOWN_SITE`` when none or
        several sites have it)."""
        site = self._meter_site.get(meter_id)
        if site is None:
            try:
                meter = self.store.get_meter(meter_id)
            except AmbiguousIdError:
                return UNKNOWN_SITE
            site = meter.site_id if meter is not None else UNKNOWN_SITE
            if meter is not None:
                self._meter_site[meter_id] = site
        return site

    def site_of_device(self, device_id: str | None, meter_id: str | None = None) -> str:
        if device_id is None:
            return self.site_of_meter(meter_id) if meter_id else UNKNOWN_SITE
        site = self._device_site.get(device_id)
        if site is None:
            try:
                device = self.store.get_device(device_id)
            except AmbiguousIdError:
                device = None
            if device is not None:
                site = self._device_site[device_id] = device.site_id
            elif meter_id:
                site = self.site_of_meter(meter_id)
            else:
                site = UNKNOWN_SITE
        return site

    # -- building --------------------------------------------------------------------------
    def _enqueue(self, per_channel: dict[str, list[Message]], now_s: float) -> int:
        count = 0
        with self.store.transaction():
            for channel, messages in per_channel.items():
                self.outboxes[channel].enqueue(messages, now_s)
                count += len(messages)
        return count

    def stored_messages(self, batch: Any) -> dict[str, list[Message]]:
        """The messages of one ingest commit (``StoredBatch``), per enabled channel."""
        cfg = self.config
        out: dict[str, list[Message]] = {c: [] for c in self.outboxes}
        table = batch.intervals
        if len(table):
            # group rows by (site, meter) once (sort), not one mask per meter
            meter_ids = np.asarray(table.meter_id, dtype=object).astype(str)
            site_ids = (np.asarray(table.site_id, dtype=object).astype(str)
                        if table.site_id is not None else None)
            pairs = meter_ids if site_ids is None else np.char.add(
                np.char.add(site_ids, "\x1f"), meter_ids)
            names, inverse = np.unique(pairs, return_inverse=True)
            order = np.argsort(inverse, kind="stable")
            bounds = np.searchsorted(inverse[order], np.arange(len(names) + 1))
            all_starts = np.asarray(table.start_s, dtype=np.int64)[order]
            all_energy = np.asarray(table.energy_wh, dtype=np.float64)[order]
            all_quality = np.asarray(table.quality).astype(str)[order]
            for k, name in enumerate(names.tolist()):
                lo, hi = int(bounds[k]), int(bounds[k + 1])
                if site_ids is None:
                    meter_id = str(name)
                    site = self.site_of_meter(meter_id)
                else:
                    site, meter_id = str(name).split("\x1f", 1)
                starts = all_starts[lo:hi]
                topic = topics.intervals_topic(cfg.topic_prefix, site, meter_id)
                for channel in out:
                    out[channel].extend(interval_messages(
                        channel, topic, site_id=site, meter_id=meter_id, start_s=starts,
                        energy_wh=all_energy[lo:hi], quality=all_quality[lo:hi].tolist(),
                        batch_readings=cfg.batch_readings))
                if MQTT in out:
                    state = self._meter_state(meter_id, site, int(starts.min()))
                    if state is not None:
                        out[MQTT].append(state)
        by_site: dict[str, list[Any]] = {}
        for event in batch.events:
            by_site.setdefault(self.site_of_device(event.device_id, event.meter_id),
                               []).append(event)
        for site, events in sorted(by_site.items()):
            for channel in out:
                msg = events_message(channel, topics.events_topic(cfg.topic_prefix, site),
                                     site_id=site, events=events)
                if msg is not None:
                    out[channel].append(msg)
        for status in batch.statuses:
            site = self.site_of_device(status.device_id)
            topic = topics.device_state_topic(cfg.topic_prefix, site, status.device_id)
            full = self.store.get_device_status(status.device_id) or status
            for channel in out:
                out[channel].append(device_state_message(channel, topic, site_id=site,
                                                         status=full))
        return out

    def _meter_state(self, meter_id: str, site: str, since_s: int) -> Message | None:
        reads = self.store.get_register_reads(
            meter_id, start_s=since_s, site_id=None if site == UNKNOWN_SITE else site)
        if not len(reads):
            return None
        return meter_state_message(
            MQTT, topics.meter_state_topic(self.config.topic_prefix, site, meter_id),
            site_id=site, meter_id=meter_id, register_wh=float(reads.register_wh[-1]),
            t_s=int(reads.t_s[-1]))

    # -- public ----------------------------------------------------------------------------
    def publish_stored(self, batch: Any, now_s: float) -> int:
        """Queue the messages of one ingest commit; returns how many were queued."""
        if not self.outboxes:
            return 0
        return self._enqueue(self.stored_messages(batch), now_s)

    def publish_alarm(self, alarm: Any, transition: str, t_s: int, now_s: float) -> int:
        """Queue an alarm transition (``raised``, ``cleared``, ``acknowledged``)."""
        if not self.outboxes:
            return 0
        site = getattr(alarm, "site_id", None) or self.site_of_device(alarm.device_id,
                                                                       alarm.meter_id)
        topic = topics.alarms_topic(self.config.topic_prefix, site)
        return self._enqueue({c: [alarm_message(c, topic, site_id=site, alarm=alarm,
                                                transition=transition, t_s=t_s)]
                              for c in self.outboxes}, now_s)

    def publish_discovery(self, meters: Iterable[Any], now_s: float) -> int:
        """Queue Home Assistant discovery configs (retained) for ``meters`` on MQTT.

        The key includes ``session_s`` so each start of the service publishes them again
        (a broker without persistence forgets retained messages when it restarts).
        """
        if MQTT not in self.outboxes or not self.config.discovery_prefix:
            return 0
        messages: list[Message] = []
        for meter in meters:
            self._announced.add((meter.site_id, meter.meter_id))
            msg = discovery_message(f"{MQTT}@{self.session_s}", self.config.discovery_prefix,
                                    self.config.topic_prefix, site_id=meter.site_id,
                                    meter_id=meter.meter_id, model=meter.model or None)
            messages.append(msg)
        return self._enqueue({MQTT: messages}, now_s)

    def announce_new_meters(self, meters: Iterable[tuple[str, str]], now_s: float) -> int:
        """Discovery for meters (``(site_id, meter_id)``) not announced yet in this session
        (created after the start)."""
        if MQTT not in self.outboxes or not self.config.discovery_prefix:
            return 0
        fresh = [m for m in (self.store.get_meter(mid, site_id=sid)
                             for sid, mid in sorted(set(meters))
                             if (sid, mid) not in self._announced) if m is not None]
        return self.publish_discovery(fresh, now_s) if fresh else 0

    def publish_meter_states(self, meters: Sequence[tuple[str, str]], now_s: float) -> int:
        """Queue the latest register of each meter (``(site_id, meter_id)``; retained state),
        e.g. at start-up."""
        if MQTT not in self.outboxes:
            return 0
        messages: list[Message] = []
        for site_id, meter_id in meters:
            last_s = self.store.last_interval_s(meter_id, site_id=site_id)
            if last_s is None:
                continue
            # the register read that closed the latest interval, not the whole history
            state = self._meter_state(meter_id, site_id, int(last_s) - 86_400)
            if state is not None:
                messages.append(state)
        return self._enqueue({MQTT: messages}, now_s)
