"""Narrow views of the store, one per consumer (typing Protocols).

:class:`~openamr.headend.store.base.Store` has every method of both backends; a consumer that
names only what it calls is easier to read, to fake in a test and to keep from reaching for more.
Each Protocol lists the methods one room uses, with the signatures of ``Store`` (which satisfies
all of them structurally; a backend may add optional keyword arguments).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from openamr.headend.store.base import (
    AlarmRow,
    Device,
    DeviceStatus,
    IntervalTable,
    Meter,
    OutboxItem,
    RegisterArrays,
    Site,
    SiteScope,
    StatusReport,
)

__all__ = ["AlarmStore", "DailyReportStore", "MetricsStore", "OutboxStore", "PublisherStore",
           "PushStore", "RetentionStore"]


class OutboxStore(Protocol):
    """The store as the push outboxes see it (:mod:`openamr.headend.push.outbox`)."""

    def outbox_put(self, channel: str, idempotency_key: str, payload: bytes,
                   created_s: int) -> bool: ...

    def outbox_due(self, channel: str, now_s: int, limit: int = 100) -> list[OutboxItem]: ...

    def outbox_done(self, item_ids: Sequence[int]) -> None: ...

    def outbox_retry(self, item_id: int, next_attempt_s: int, last_error: str) -> None: ...

    def outbox_depth(self, channel: str | None = None) -> int: ...


class PublisherStore(OutboxStore, Protocol):
    """What the push publisher reads and queues (:mod:`openamr.headend.push.publisher`)."""

    def transaction(self) -> AbstractContextManager[None]: ...

    def get_meter(self, meter_id: str, *, site_id: str | None = None) -> Meter | None: ...

    def get_device(self, device_id: str, *, site_id: str | None = None) -> Device | None: ...

    def get_device_status(self, device_id: str) -> DeviceStatus | None: ...

    def get_register_reads(self, meter_id: str, start_s: int | None = None,
                           end_s: int | None = None, *,
                           site_id: str | None = None) -> RegisterArrays: ...

    def last_interval_s(self, meter_id: str, *, site_id: str | None = None) -> int | None: ...

    def list_meters(self, site_id: str | None = None) -> list[Meter]: ...


PushStore = PublisherStore
"""The push service (:mod:`openamr.headend.push`): the publisher's view."""


class AlarmStore(PublisherStore, Protocol):
    """The alarm rules (:mod:`openamr.headend.alarms`; they publish through the push too)."""

    def raise_alarm(self, alarm: AlarmRow) -> int: ...

    def clear_alarm(self, code: str, device_id: str | None, cleared_s: int,
                    meter_id: str | None = None, *, site_id: str | None = None) -> bool: ...

    def ack_alarm(self, alarm_id: int, user: str, t_s: int) -> bool: ...

    def get_alarm(self, alarm_id: int) -> AlarmRow | None: ...

    def list_alarms(self, state: str | None = None, limit: int = 1000,
                    site_id: str | None = None) -> list[AlarmRow]: ...

    def list_devices(self, site_id: str | None = None,
                     role: str | None = None) -> list[Device]: ...


class DailyReportStore(Protocol):
    """The daily CSV report (:mod:`openamr.headend.export.csv_daily`)."""

    def get_site(self, site_id: str) -> Site | None: ...

    def list_sites(self) -> list[Site]: ...

    def list_meters(self, site_id: str | None = None) -> list[Meter]: ...

    def get_intervals_bulk(self, meter_ids: Sequence[str] | None, start_s: int | None = None,
                           end_s: int | None = None, *,
                           site_id: SiteScope = None) -> IntervalTable: ...

    def get_register_reads(self, meter_id: str, start_s: int | None = None,
                           end_s: int | None = None, *,
                           site_id: str | None = None) -> RegisterArrays: ...

    def get_device_status(self, device_id: str) -> DeviceStatus | None: ...

    def list_status_reports(self, device_id: str, start_s: int | None = None,
                            end_s: int | None = None, limit: int = 1000) -> list[StatusReport]: ...


class MetricsStore(Protocol):
    """The Prometheus gauges (:mod:`openamr.headend.metrics`)."""

    def outbox_depth(self, channel: str | None = None) -> int: ...

    def list_alarms(self, state: str | None = None, limit: int = 1000,
                    site_id: str | None = None) -> list[AlarmRow]: ...

    def list_devices(self, site_id: str | None = None,
                     role: str | None = None) -> list[Device]: ...

    def list_device_status(self, site_id: str | None = None) -> list[DeviceStatus]: ...


class RetentionStore(Protocol):
    """The retention (:mod:`openamr.headend.retention`)."""

    def prune(self, rejections_before_s: int | None,
              delivered_before_s: int | None) -> tuple[int, int]: ...
