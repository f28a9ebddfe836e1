"""Response models of the pull API (pydantic): what ``/openapi.json`` documents.

Times are ISO 8601 strings in UTC with ``Z`` (whole seconds); energy is Wh; names carry units
(``energy_wh``, ``register_wh``, ``rssi_dbm``, ``link_margin_db``, ``battery_mv``).  Lists carry
``next``: the URL of the next page, or null on the last page.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AlarmOut",
    "AlarmsPage",
    "DeviceOut",
    "DevicesPage",
    "ErrorBody",
    "ErrorDetail",
    "EventOut",
    "EventsPage",
    "Health",
    "IntervalOut",
    "IntervalsPage",
    "MeterOut",
    "MetersPage",
    "RegisterReadOut",
    "RegistersPage",
    "RejectionOut",
    "RejectionsOut",
    "RollupBucketOut",
    "RollupOut",
    "SiteOut",
    "SitesPage",
    "TokenCreate",
    "TokenCreated",
    "TokenOut",
    "TokensPage",
]

UtcTime = str  # ISO 8601 UTC with Z: documented per field


def _t(description: str) -> Any:
    return Field(description=f"{description} (ISO 8601, UTC, 'Z')",
                 json_schema_extra={"format": "date-time"})


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(_Out):
    code: str = Field(description="stable dotted code, e.g. 'auth.missing', 'not_found.meter'")
    message: str = Field(description="what is wrong, naming the parameter at fault")


class ErrorBody(_Out):
    """Every 4xx/5xx answer has this body."""

    error: ErrorDetail


class SiteOut(_Out):
    site_id: str
    name: str
    timezone: str = Field(description="IANA time zone of the site's calendars (roll-ups)")


class SitesPage(_Out):
    sites: list[SiteOut]
    next: str | None = None


class DeviceOut(_Out):
    """A radio device and its latest status (status fields are null until it is heard)."""

    device_id: str = Field(description="EUI-64, 16 hex digits")
    role: Literal["dcap", "repeater", "mdt"]
    site_id: str
    meter_id: str | None
    model: str
    installed: str | None = _t("when it was installed")
    last_heard: str | None = _t("receive time of its last verified frame")
    parent_id: str | None = None
    rssi_dbm: int | None = None
    link_margin_db: float | None = None
    etx: float | None = None
    hops: int | None = None
    battery_mv: int | None = None
    battery_remaining_mah: int | None = None
    on_battery: bool | None = None
    joined: str | None = _t("its last accepted join")


class DevicesPage(_Out):
    devices: list[DeviceOut]
    next: str | None = None


class MeterOut(_Out):
    meter_id: str
    site_id: str
    device_id: str | None = Field(description="EUI-64 of the MDT reading this meter")
    model: str
    kh_wh: float = Field(description="meter constant [Wh per pulse]")
    max_power_w: float = Field(description="physical maximum power [W]")


class MetersPage(_Out):
    meters: list[MeterOut]
    next: str | None = None


class IntervalOut(_Out):
    start: UtcTime = _t("start of the 15-minute interval")
    energy_wh: float | None = Field(description="energy of the interval [Wh]")
    quality: str = Field(description="measured | partial | clock_unsynced | estimated | "
                         "estimated_linear | estimated_like_day | edited | failed_validation | "
                         "derived (docs/vee.md)")


class IntervalsPage(_Out):
    """One meter's intervals in ``[start, end)``, oldest first."""

    meter_id: str
    site_timezone: str
    intervals: list[IntervalOut]
    next: str | None = Field(default=None, description="URL of the next page, null when done")


class RollupBucketOut(_Out):
    start: UtcTime = _t("start of the local period")
    end: UtcTime = _t("end of the local period (exclusive)")
    local_start: str = Field(description="start in the site's civil time, with its UTC offset")
    energy_wh: float | None = Field(description="sum of the intervals present [Wh]; null when "
                                    "no interval is present (a gap is not zero use)")
    intervals_expected: int = Field(description="quarter-hours in the period (92/96/100 a day)")
    intervals_present: int = Field(description="quarter-hours stored")


class RollupOut(_Out):
    meter_id: str
    period: Literal["hourly", "daily", "monthly"]
    site_timezone: str
    buckets: list[RollupBucketOut]


class RegisterReadOut(_Out):
    t: UtcTime = _t("when the total was read")
    register_wh: float = Field(description="cumulative energy register [Wh]")


class RegistersPage(_Out):
    meter_id: str
    reads: list[RegisterReadOut]
    next: str | None = None


class EventOut(_Out):
    event_id: int | None
    device_id: str
    meter_id: str | None
    code: str = Field(description="dotted code, e.g. 'tamper.cover_removed'")
    t: UtcTime = _t("when it happened (device clock)")
    value: int
    received: UtcTime = _t("when the head-end received it")


class EventsPage(_Out):
    events: list[EventOut]
    next: str | None = None


class AlarmOut(_Out):
    alarm_id: int | None
    code: str
    device_id: str | None
    meter_id: str | None
    state: Literal["open", "acknowledged", "cleared"]
    raised: UtcTime = _t("when it was raised")
    detail: str
    acked_by: str | None
    acked: str | None = _t("when it was acknowledged")
    cleared: str | None = _t("when it was cleared")


class AlarmsPage(_Out):
    alarms: list[AlarmOut]
    next: str | None = None


class RejectionOut(_Out):
    rejection_id: int
    reason: str
    source: str
    received: UtcTime = _t("when it was received")
    detail: str
    raw_bytes: int = Field(description="length of the refused input kept [bytes]")


class RejectionsOut(_Out):
    counts: dict[str, int] = Field(description="rejections by reason, since the store was made")
    recent: list[RejectionOut]


class Health(_Out):
    status: Literal["ok"]
    schema_version: int


class TokenOut(_Out):
    token_id: str
    role: str = Field(description="admin | installer | billing | read-only")
    label: str
    created: UtcTime = _t("when it was created")
    revoked: str | None = _t("when it was revoked")


class TokensPage(_Out):
    tokens: list[TokenOut]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["admin", "installer", "billing", "read-only"]
    label: str = Field(default="", max_length=200)


class TokenCreated(_Out):
    token: str = Field(description="the secret, shown only once")
    token_id: str
    role: str
    label: str
