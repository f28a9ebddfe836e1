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
    "DeviceCreate",
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
    "SiteCreate",
    "SiteOut",
    "SiteTouOut",
    "SitesPage",
    "StatusReportOut",
    "StatusReportsPage",
    "TokenCreate",
    "TokenCreated",
    "TokenOut",
    "TokensPage",
    "TouPeriodOut",
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
    candidates: list[str] | None = Field(
        default=None, description="409 conflict.ambiguous_id: the sites that have the id")


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
    local_id: str | None = Field(default=None, description="the device's id within its site "
                                 "(an MDT's is its meter id)")
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
    last_status: str | None = _t("receive time of its latest STATUS frame")
    tx_frames: int | None = Field(default=None, description="frames sent in the window of the "
                                  "latest status (since the status before)")
    retries: int | None = Field(default=None, description="retransmissions in that window")
    drops: int | None = Field(default=None, description="frames given up in that window")
    queue_frames: int | None = Field(default=None, description="transmit queue at the status")
    parent_changes: int | None = Field(default=None, description="since its last restart")
    uptime_s: int | None = Field(default=None, description="time since its last restart [s]")
    clock_offset_ms: int | None = Field(default=None, description="device clock minus network "
                                        "time at its last TIME_SYNC [ms]")


class StatusReportOut(_Out):
    """One STATUS frame of a device's history."""

    received: UtcTime = _t("when the head-end received it")
    frame_counter: int
    parent_id: str | None
    rssi_dbm: int
    link_margin_db: float = Field(description="margin of the parent link [dB]")
    etx: float
    hops: int
    battery_mv: int | None = Field(description="null: mains powered")
    battery_remaining_mah: int
    on_battery: bool
    tx_frames: int = Field(description="since the previous status")
    retries: int = Field(description="since the previous status")
    drops: int = Field(description="since the previous status")
    queue_frames: int
    parent_changes: int = Field(description="since the device's last restart")
    uptime_s: int
    clock_offset_ms: int


class StatusReportsPage(_Out):
    device_id: str
    reports: list[StatusReportOut]
    next: str | None = None


class TouPeriodOut(_Out):
    name: str = Field(description="the register this window accrues to")
    start: str = Field(description="local wall time HH:MM (quarter-hour)")
    end: str = Field(description="local wall time HH:MM, exclusive; at or before start: wraps")
    days: list[str] = Field(description="weekdays it starts on: mon..sun")


class SiteTouOut(_Out):
    """A site's time-of-use configuration (local time) and its registers."""

    site_id: str
    timezone: str
    configured: bool
    default: str | None = Field(default=None, description="register of time no period claims")
    periods: list[TouPeriodOut] = Field(default_factory=list)
    registers: list[str] = Field(default_factory=list,
                                 description="register names by index (0 = default)")
    updated: str | None = _t("when it was last set")


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
    unit: str | None = Field(default=None, description="the unit (apartment, suite) it bills")


class MetersPage(_Out):
    meters: list[MeterOut]
    next: str | None = None


class IntervalOut(_Out):
    start: UtcTime = _t("start of the 15-minute interval")
    energy_wh: float | None = Field(description="energy of the interval [Wh]")
    quality: str = Field(description="measured | partial | clock_unsynced | estimated | "
                         "estimated_linear | estimated_like_day | edited | failed_validation | "
                         "derived (docs/vee.md)")
    temperature_c: float | None = Field(default=None, description="temperature the MDT "
                                        "recorded for the interval [degC]; only on meters of "
                                        "the temperature variants (MMSMT-D02, MMSMT-E02)")


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
    tou_wh: dict[str, float] | None = Field(
        default=None, description="TOU register totals [Wh] by period name, read with the "
        "total; only on meters of the TOU variants (null when the read carried none)")


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
    site_id: str | None = None


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
    sites: list[str] | None = Field(default=None,
                                    description="the sites it may see (null: every site)")


class TokensPage(_Out):
    tokens: list[TokenOut]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["admin", "installer", "billing", "read-only"]
    label: str = Field(default="", max_length=200)
    sites: list[str] | None = Field(default=None, max_length=1000,
                                    description="scope the token to these sites (default: "
                                    "every site the creating token sees)")


class TokenCreated(_Out):
    token: str = Field(description="the secret, shown only once")
    token_id: str
    role: str
    label: str
    sites: list[str] | None = None


class SiteCreate(BaseModel):
    """A site to register (``openamr site add``)."""

    model_config = ConfigDict(extra="forbid")

    site_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(min_length=1, max_length=64, description="IANA time zone")


class DeviceCreate(BaseModel):
    """A device to register at a site (``openamr device add``)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64,
                    description="the device's id within its site (an MDT's is its meter id)")
    role: Literal["dcap", "repeater", "mdt"]
    eui: str = Field(description="EUI-64 from the label: 16 hex digits")
    install_code: str = Field(description="install code from the label: 32 hex digits")
    meter_model: str | None = Field(default=None, max_length=64,
                                    description="the meter's catalogue number (MDTs)")
    unit: str | None = Field(default=None, max_length=200,
                             description="the unit the meter bills (MDTs)")
