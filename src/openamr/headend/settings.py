"""The head-end's settings: one :class:`Settings` from defaults, a TOML file and the environment.

Precedence, lowest first: the defaults below, the TOML file (``--config FILE``), environment
variables ``OPENAMR_<SECTION>_<NAME>`` (e.g. ``OPENAMR_INGEST_COMMIT_INTERVAL_MS=500``), then
command-line options.  Names carry their unit.  An unknown section or key, or a value of the
wrong type, is refused with an ``InputError`` naming the key and the reason.  Every setting is
listed in ``docs/configuration.md`` (a test checks it).

Access is by attribute: ``settings.ingest.commit_interval_ms``.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from openamr.errors import InputError

__all__ = [
    "REPEATER_REPORT_PERIOD_S",
    "AlarmsSettings",
    "ApiSettings",
    "IngestSettings",
    "ListenerSettings",
    "MqttSettings",
    "PushSettings",
    "RetentionSettings",
    "Settings",
    "StoreSettings",
    "WebhookSettings",
    "load_settings",
]

ENV_PREFIX = "OPENAMR_"


@dataclass(frozen=True, slots=True)
class StoreSettings:
    url: str = "openamr.db"
    """A SQLite path, ``sqlite:///path`` or ``postgresql://user@host/db``."""
    sqlite_synchronous: str = "FULL"
    """SQLite ``PRAGMA synchronous``: ``FULL`` (fsync per commit: a commit, hence an ACK, survives
    a power cut) or ``NORMAL`` (faster; the last commits may be lost in a power cut)."""


@dataclass(frozen=True, slots=True)
class ApiSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 65_536
    """Largest request body [bytes]; larger ones get 413, and a body is read only after its
    bearer token was verified."""


@dataclass(frozen=True, slots=True)
class ListenerSettings:
    host: str = "127.0.0.1"
    udp_port: int = 48_100
    """UDP port of the frame listener (0: no UDP listener)."""
    tcp_port: int = 48_100
    """TCP port of the frame listener, frames length-prefixed u16 (0: no TCP listener)."""
    idle_timeout_s: float = 300.0
    """A TCP connection silent for this long is closed [s] (devices reconnect to send)."""


@dataclass(frozen=True, slots=True)
class IngestSettings:
    commit_interval_ms: int = 200
    """Frames received within this time are committed together; ACKs wait for the commit."""
    max_batch_frames: int = 20_000
    """A batch is committed early when it holds this many frames."""
    dcap_id: str = "00000000000000d1"
    """The DCAP's own EUI-64 (16 hex digits): ``src`` of every downlink frame."""
    future_tolerance_s: int = 300
    """An interval may end at most this long after its receive time (clock skew) [s]."""
    buffer_horizon_s: int = 3_024_000
    """How far before its install/join an MDT's records may start (its 35-day buffer) [s]."""
    time_sync_period_s: int = 86_400
    """A device gets a TIME_SYNC at least this often (and at once when its clock is off) [s]."""
    clock_error_s: int = 60
    """A device clock further off than this (judged by its records) gets a TIME_SYNC [s]."""
    report_period_s: int = 3600
    """Report period given to devices in the JOIN_RESPONSE [s]."""
    max_gap_ranges: int = 16
    """At most this many missing-seq ranges are requested in one ACK."""
    seq_horizon_records: int = 3360
    """Seqs further than this below a device's newest are given up as lost (35 days)."""
    tou_schedule_days: int = 7
    """Local days a TOU_SCHEDULE covers, from today's local midnight (1..7) [days]."""
    tou_resend_before_s: int = 172_800
    """A TOU MDT gets a new schedule when its last one ends within this long [s]."""


@dataclass(frozen=True, slots=True)
class MqttSettings:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 1883
    topic_prefix: str = "openamr"
    qos: int = 1
    keepalive_s: int = 30
    discovery_prefix: str = "homeassistant"
    username: str = ""
    """Broker user name ('' connects anonymously)."""
    password_env: str = "OPENAMR_MQTT_PASSWORD"
    """Name of the environment variable holding the broker password (never the password)."""
    tls: bool = False
    """TLS to the broker (usually port 8883); its certificate and host name are verified."""
    tls_ca_file: str = ""
    """PEM file of the CA that signed the broker's certificate ('' : the system's CAs)."""


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    enabled: bool = False
    url: str = ""
    secret_env: str = "OPENAMR_WEBHOOK_SECRET"
    """Name of the environment variable holding the HMAC secret (never the secret itself)."""
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class PushSettings:
    retry_initial_s: float = 1.0
    retry_max_s: float = 300.0
    batch_readings: int = 96
    poll_s: float = 1.0
    ack_timeout_s: float = 10.0


REPEATER_REPORT_PERIOD_S = 86_400
"""How often a repeater sends a frame of its own, a STATUS [s]: the frames it relays do not say
it is alive (a frame names its originator only).  Assumption: daily, the field model's
``status_period_s``; the alarm rules' silence limit for repeaters and the commissioning tool's
expected report time both use it.  A repeater that loses mains says so at once (``power.lost``,
``alarm.power_lost``), so this only has to catch one that dies silently."""


@dataclass(frozen=True, slots=True)
class AlarmsSettings:
    no_data_report_periods: int = 3
    """Silence longer than this many report periods raises ``alarm.no_data``."""
    report_period_s: int = 3600
    """How often an MDT reports [s].  Assumption: the manual gives no report period; hourly is
    what public Tehama material describes (reference mesh.md, "hourly or 15-min reports" [S])
    and what the ingest gives devices in the JOIN_RESPONSE by default."""
    repeater_report_period_s: int = REPEATER_REPORT_PERIOD_S
    """How often a repeater sends a frame of its own, a STATUS [s] (see
    :data:`REPEATER_REPORT_PERIOD_S`)."""
    low_battery_mv: int = 2500
    """A battery below this voltage [mV] raises ``alarm.battery_low``.  Assumption: 1.25 V per
    cell of the MDT's two AA cells in series (reference mesh.md: 2xAA pre-installed [S]); an
    alkaline cell under a light load is below 1.25 V once most of its charge is used, while the
    radio still works down to 1.8 V (CC1310-class supply range), which leaves time to replace
    it."""
    battery_hysteresis_mv: int = 100
    """The battery must be this much above the threshold [mV] to clear (assumption: more than
    the voltage a cell recovers between reports, less than a fresh pair's 3.0 V)."""
    weak_link_margin_db: float = 10.0
    """A parent link margin below this [dB] raises ``alarm.weak_link``.  Assumption: the usual
    10 dB fade margin of indoor link budgets; with shadowing sigma of about 8 dB (reference
    REFERENCE.md) a link with less margin fails in a noticeable share of conditions."""
    link_hysteresis_db: float = 3.0
    """The margin must be this much above the threshold [dB] to clear (assumption: larger than
    the report-to-report RSSI jitter of a static link)."""
    sweep_interval_s: int = 60
    """How often ``openamr serve`` runs the alarm sweep [s]."""

    @property
    def no_data_after_s(self) -> int:
        """Silence [s] after which ``alarm.no_data`` is raised."""
        return self.no_data_report_periods * self.report_period_s

    @property
    def repeater_no_data_after_s(self) -> int:
        """Silence of a repeater [s] after which ``alarm.no_data`` is raised for it."""
        return self.no_data_report_periods * self.repeater_report_period_s


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    rejections_keep_days: int = 90
    """Rejection rows (with their raw frames) older than this are deleted [days]; 0 keeps them."""
    outbox_delivered_keep_days: int = 60
    """Delivered outbox items (their idempotency keys) older than this are deleted [days];
    0 keeps them.  Keep it above the MDT buffer (35 days) so no resend is pushed twice."""
    prune_interval_s: int = 3600
    """How often ``openamr serve`` applies the retention [s]."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every section; build with :func:`load_settings` (or ``Settings()`` for the defaults)."""

    store: StoreSettings = field(default_factory=StoreSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    listener: ListenerSettings = field(default_factory=ListenerSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    push: PushSettings = field(default_factory=PushSettings)
    alarms: AlarmsSettings = field(default_factory=AlarmsSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)

    def with_values(self, values: Mapping[str, Mapping[str, Any]], origin: str) -> Settings:
        """A copy with ``{section: {name: value}}`` applied (checked; ``origin`` names the
        source in messages)."""
        sections: dict[str, Any] = {}
        for section, items in values.items():
            current = getattr(self, section, None) if section in _SECTIONS else None
            if current is None:
                raise InputError(f"unknown section (known: {', '.join(_SECTIONS)})",
                                 where=f"{origin} [{section}]")
            if not isinstance(items, Mapping):
                raise InputError("must be a table of settings", where=f"{origin} [{section}]")
            types = {f.name: f.type for f in fields(current)}
            changes: dict[str, Any] = {}
            for name, value in items.items():
                if name not in types:
                    raise InputError(f"unknown setting (known in [{section}]: "
                                     f"{', '.join(types)})", where=f"{origin} [{section}] {name}")
                changes[name] = _coerce(value, str(types[name]), f"{origin} [{section}] {name}")
            sections[section] = replace(sections.get(section, current), **changes)
        result = replace(self, **sections)
        result.check()
        return result

    def check(self) -> None:
        """Refuse values that are well-typed but impossible: every duration (``*_s``, ``*_ms``)
        and count is finite and positive (``[ingest] future_tolerance_s`` may be 0)."""
        for section, name in (("api", "port"), ("listener", "udp_port"), ("listener", "tcp_port"),
                              ("mqtt", "port")):
            port = getattr(getattr(self, section), name)
            if not 0 <= port <= 65535:
                raise InputError(f"{port} is not a port number (0-65535)",
                                 where=f"[{section}] {name}")
        if self.store.sqlite_synchronous.upper() not in ("NORMAL", "FULL"):
            raise InputError(f"must be NORMAL or FULL, not {self.store.sqlite_synchronous!r}",
                             where="[store] sqlite_synchronous")
        for section in _SECTIONS:
            part = getattr(self, section)
            for f in fields(part):
                value = getattr(part, f.name)
                if f.name.endswith(_DURATION_SUFFIXES) or f.name in _COUNTS:
                    least = 0 if (section, f.name) in _MAY_BE_ZERO else None
                    if isinstance(value, bool) or not _positive(value, least):
                        need = ">= 0" if least == 0 else "> 0"
                        raise InputError(f"must be a finite number {need}, not {value!r} (a zero "
                                         "period would spin a core)", where=f"[{section}] "
                                         f"{f.name}")
        for name in ("report_period_s", "repeater_report_period_s"):
            if getattr(self.alarms, name) < 900:
                raise InputError("must be at least 900 (one 15-minute interval)",
                                 where=f"[alarms] {name}")
        if self.mqtt.qos not in (1, 2):
            raise InputError("must be 1 or 2 (QoS 0 has no acknowledgement to delete on)",
                             where="[mqtt] qos")
        for name in ("rejections_keep_days", "outbox_delivered_keep_days"):
            if getattr(self.retention, name) < 0:
                raise InputError("must be >= 0 (0 keeps for ever)", where=f"[retention] {name}")
        if self.api.max_body_bytes < 1:
            raise InputError("must be at least 1 byte", where="[api] max_body_bytes")
        ingest = self.ingest
        if ingest.commit_interval_ms < 1:
            raise InputError("must be at least 1 ms", where="[ingest] commit_interval_ms")
        if ingest.max_batch_frames < 1:
            raise InputError("must be at least 1", where="[ingest] max_batch_frames")
        try:
            dcap = int(ingest.dcap_id, 16)
        except ValueError:
            dcap = -1
        if len(ingest.dcap_id) != 16 or not 0 <= dcap < 2**64:
            raise InputError(f"{ingest.dcap_id!r} is not an EUI-64 (16 hex digits)",
                             where="[ingest] dcap_id")
        if not 1 <= ingest.max_gap_ranges <= 255:
            raise InputError("must be 1..255 (one ACK carries at most 255 ranges)",
                             where="[ingest] max_gap_ranges")
        if not 1 <= ingest.tou_schedule_days <= 7:
            raise InputError("must be 1..7 days (a schedule fits in one frame)",
                             where="[ingest] tou_schedule_days")
        if not 0 <= ingest.tou_resend_before_s < ingest.tou_schedule_days * 86_400:
            raise InputError("must be 0 or more and shorter than tou_schedule_days",
                             where="[ingest] tou_resend_before_s")
        if not 0 < ingest.report_period_s <= 65535:
            raise InputError("must be 1..65535 s (a u16 in the JOIN_RESPONSE)",
                             where="[ingest] report_period_s")

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """``{section: {name: value}}`` (for ``--show-config`` and docs)."""
        return {s: {f.name: getattr(getattr(self, s), f.name)
                    for f in fields(getattr(self, s))} for s in _SECTIONS}


_SECTIONS = tuple(f.name for f in fields(Settings))
_DURATION_SUFFIXES = ("_s", "_ms")
_COUNTS = frozenset({"max_batch_frames", "seq_horizon_records", "batch_readings",
                     "no_data_report_periods", "max_body_bytes"})
_MAY_BE_ZERO = frozenset({("ingest", "future_tolerance_s")})
"""Durations and counts that may be 0; every other one must be > 0."""


def _positive(value: Any, least: int | None) -> bool:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    return value >= 0 if least == 0 else value > 0


def _coerce(value: Any, type_name: str, where: str) -> Any:
    """Check a TOML value (or parse an environment string) against a field type."""
    if type_name == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise InputError(f"expected true or false, got {value!r}", where=where)
    if type_name == "int":
        if isinstance(value, bool):
            raise InputError(f"expected an integer, got {value!r}", where=where)
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise InputError(f"expected an integer, got {value!r}", where=where)
    if type_name == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise InputError(f"expected a number, got {value!r}", where=where)
    if not isinstance(value, str):
        raise InputError(f"expected a string, got {value!r}", where=where)
    return value


def _env_values(env: Mapping[str, str], secret_names: set[str]) -> dict[str, dict[str, str]]:
    values: dict[str, dict[str, str]] = {}
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX) or key in secret_names:
            continue
        rest = key[len(ENV_PREFIX):].lower()
        section = next((s for s in _SECTIONS if rest.startswith(s + "_")), None)
        if section is None:
            continue  # not ours (OPENAMR_TEST_..., another tool's variable)
        values.setdefault(section, {})[rest[len(section) + 1:]] = value
    return values


def load_settings(path: str | Path | None = None, *, env: Mapping[str, str] | None = None,
                  overrides: Mapping[str, Mapping[str, Any]] | None = None) -> Settings:
    """Defaults, then the TOML file at ``path``, then ``env`` (default ``os.environ``), then
    ``overrides`` ``{section: {name: value}}`` (command-line options; ``None`` values skipped).
    """
    settings = Settings()
    if path is not None:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text("utf-8"))
        except FileNotFoundError as exc:
            raise InputError("config file not found", where=str(p)) from exc
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"not valid TOML: {exc}", where=str(p)) from exc
        settings = settings.with_values(data, str(p))
    environ = os.environ if env is None else env
    secrets = {settings.webhook.secret_env, settings.mqtt.password_env}
    env_values = _env_values(environ, secrets)
    if env_values:
        settings = settings.with_values(env_values, "environment")
    if overrides:
        given = {s: {k: v for k, v in items.items() if v is not None}
                 for s, items in overrides.items()}
        settings = settings.with_values({s: i for s, i in given.items() if i}, "option")
    return settings
