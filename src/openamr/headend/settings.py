"""The head-end's settings: one :class:`Settings` from defaults, a TOML file and the environment.

Precedence, lowest first: the defaults below, the TOML file (``--config FILE``), environment
variables ``OPENAMR_<SECTION>_<NAME>`` (e.g. ``OPENAMR_INGEST_COMMIT_INTERVAL_MS=500``), then
command-line options.  Names carry their unit.  An unknown section or key, or a value of the
wrong type, is refused with an ``InputError`` naming the key and the reason.  Every setting is
listed in ``docs/configuration.md`` (a test checks it).

Access is by attribute: ``settings.ingest.commit_interval_ms``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from openamr.errors import InputError

__all__ = [
    "AlarmsSettings",
    "ApiSettings",
    "IngestSettings",
    "ListenerSettings",
    "MqttSettings",
    "PushSettings",
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
    sqlite_synchronous: str = "NORMAL"
    """SQLite ``PRAGMA synchronous``: ``NORMAL`` (WAL default) or ``FULL`` (fsync per commit)."""


@dataclass(frozen=True, slots=True)
class ApiSettings:
    host: str = "127.0.0.1"
    port: int = 8080


@dataclass(frozen=True, slots=True)
class ListenerSettings:
    host: str = "127.0.0.1"
    udp_port: int = 48_100
    """UDP port of the frame listener (0: no UDP listener)."""
    tcp_port: int = 48_100
    """TCP port of the frame listener, frames length-prefixed u16 (0: no TCP listener)."""


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


@dataclass(frozen=True, slots=True)
class AlarmsSettings:
    no_data_report_periods: int = 3
    report_period_s: int = 3600
    low_battery_mv: int = 2500
    battery_hysteresis_mv: int = 100
    weak_link_margin_db: float = 10.0
    link_hysteresis_db: float = 3.0
    sweep_interval_s: int = 60
    """How often ``openamr serve`` runs the alarm sweep [s]."""


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
        """Refuse values that are well-typed but impossible."""
        for section, name in (("api", "port"), ("listener", "udp_port"), ("listener", "tcp_port"),
                              ("mqtt", "port")):
            port = getattr(getattr(self, section), name)
            if not 0 <= port <= 65535:
                raise InputError(f"{port} is not a port number (0-65535)",
                                 where=f"[{section}] {name}")
        if self.store.sqlite_synchronous.upper() not in ("NORMAL", "FULL"):
            raise InputError(f"must be NORMAL or FULL, not {self.store.sqlite_synchronous!r}",
                             where="[store] sqlite_synchronous")
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
    secrets = {settings.webhook.secret_env}
    env_values = _env_values(environ, secrets)
    if env_values:
        settings = settings.with_values(env_values, "environment")
    if overrides:
        given = {s: {k: v for k, v in items.items() if v is not None}
                 for s, items in overrides.items()}
        settings = settings.with_values({s: i for s, i in given.items() if i}, "option")
    return settings
