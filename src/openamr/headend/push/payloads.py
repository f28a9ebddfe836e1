"""Push payloads: what goes into the outbox and onto the wire (pure functions, no I/O).

An outbox item holds one :class:`Message` as an *envelope*: a one-line JSON header
(``{"v", "kind", "topic", "retain", "key"}``), a newline, and the body's JSON, serialised once.
The MQTT channel publishes ``body`` (JSON) on ``topic``; the webhook channel POSTs
``{"kind", "topic", "idempotency_key", "data": body}``.

Keys carry units (``energy_wh``, ``register_wh``, ``interval_length_s``); instants are ISO 8601
UTC with ``Z`` (``start``, ``t``, ``raised``).  Every batch, event and alarm body carries its
``idempotency_key``: a receiver that stores it can drop the duplicates that at-least-once delivery
produces.  The key is deterministic from the content (``sha256(channel|kind|meter|first_start|
last_start|values)``), so re-enqueueing the same data gives the same key and the outbox keeps one
item.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.timeutil import format_utc
from openamr.units import INTERVAL_LENGTH_S

__all__ = [
    "ENVELOPE_VERSION",
    "Message",
    "alarm_message",
    "content_key",
    "device_state_message",
    "events_message",
    "interval_messages",
    "iso_utc",
    "meter_state_message",
    "row_to_json",
]

ENVELOPE_VERSION = 2

#: dataclass fields holding instants [UTC epoch s] that become ISO 8601 keys without ``_s``
_INSTANT_FIELDS = frozenset({
    "t_s", "start_s", "last_heard_s", "joined_s", "raised_s", "cleared_s", "acked_s",
    "received_s", "created_s", "last_interval_s", "status_received_s",
})


@dataclass(frozen=True, slots=True)
class Message:
    """One push message for one channel: ``body`` published on ``topic``."""

    kind: str
    """``intervals``, ``meter_state``, ``device_state``, ``events``, ``alarm`` or ``discovery``."""
    topic: str
    """MQTT topic (also sent to webhooks so they can route)."""
    body_json: bytes
    """The JSON object published, serialised once (compact UTF-8)."""
    idempotency_key: str
    """Deterministic from channel and content (hex sha256)."""
    retain: bool = False
    """MQTT retained flag (device and meter state, discovery)."""

    @classmethod
    def of(cls, kind: str, topic: str, body: Mapping[str, Any], idempotency_key: str,
           retain: bool = False) -> Message:
        """A message from a JSON-able ``body``."""
        return cls(kind, topic, _dumps(body), idempotency_key, retain)

    @property
    def body(self) -> dict[str, Any]:
        """The body as a JSON object (decoded on each access)."""
        decoded: dict[str, Any] = json.loads(self.body_json)
        return decoded

    def to_envelope(self) -> bytes:
        """The bytes stored in the outbox: a one-line JSON header, ``\\n``, the body JSON."""
        header = _dumps({"v": ENVELOPE_VERSION, "kind": self.kind, "topic": self.topic,
                         "retain": self.retain, "key": self.idempotency_key})
        return header + b"\n" + self.body_json

    @classmethod
    def from_envelope(cls, payload: bytes) -> Message:
        """Inverse of :meth:`to_envelope` (the body is not re-parsed); an ``InputError`` for a
        foreign payload."""
        head, sep, body = bytes(payload).partition(b"\n")
        try:
            data = json.loads(head)
            if not sep or data.get("v") != ENVELOPE_VERSION or not body.startswith(b"{"):
                raise ValueError("not an envelope of this version")
            return cls(str(data["kind"]), str(data["topic"]), body, str(data["key"]),
                       bool(data["retain"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"not an openamr push envelope: {exc}", where="outbox") from exc

    def mqtt_payload(self) -> bytes:
        """The MQTT message: ``body`` as compact JSON."""
        return self.body_json

    def webhook_body(self) -> bytes:
        """The webhook POST body: ``{"kind", "topic", "idempotency_key", "data"}``."""
        head = _dumps({"kind": self.kind, "topic": self.topic,
                       "idempotency_key": self.idempotency_key})
        return head[:-1] + b',"data":' + self.body_json + b"}"


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("utf-8")


def iso_utc(t_s: npt.NDArray[np.int64]) -> list[str]:
    """ISO 8601 UTC with ``Z`` of many instants [UTC epoch s] at once (as ``format_utc``)."""
    text = np.datetime_as_string(np.asarray(t_s, dtype=np.int64).astype("datetime64[s]"),
                                 unit="s")
    return [f"{t}Z" for t in text.tolist()]


def content_key(channel: str, kind: str, *parts: str | bytes) -> str:
    """``sha256(channel|kind|part|part...)`` as hex: the idempotency key of a message."""
    digest = hashlib.sha256()
    for part in (channel, kind, *parts):
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"|")
    return digest.hexdigest()


def _json_number(value: float) -> float | int:
    """Whole numbers as ints (``12`` not ``12.0``), the rest as floats; NaN refused upstream."""
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


def row_to_json(row: Any) -> dict[str, Any]:
    """A store row (dataclass) as a JSON object: instants ``*_s`` become ISO keys without ``_s``."""
    if not is_dataclass(row) or isinstance(row, type):
        raise TypeError(f"not a dataclass row: {row!r}")
    out: dict[str, Any] = {}
    for f in fields(row):
        if f.name.startswith("_"):
            continue
        value = getattr(row, f.name)
        if f.name in _INSTANT_FIELDS:
            out[f.name[:-2]] = None if value is None else format_utc(int(value))
        elif isinstance(value, float):
            out[f.name] = None if value != value else _json_number(value)  # NaN -> null
        elif isinstance(value, bytes):
            out[f.name] = value.hex()
        elif isinstance(value, str | int | bool) or value is None:
            out[f.name] = value
        elif isinstance(value, np.generic):
            out[f.name] = value.item()
        else:
            out[f.name] = str(value)
    return out


def interval_messages(
    channel: str,
    topic: str,
    *,
    site_id: str,
    meter_id: str,
    start_s: npt.ArrayLike,
    energy_wh: npt.ArrayLike,
    quality: Sequence[str] | str = "measured",
    batch_readings: int = 96,
    length_s: int = INTERVAL_LENGTH_S,
) -> list[Message]:
    """One meter's intervals as messages of at most ``batch_readings`` readings each.

    Readings are sorted by start [UTC epoch s] and cut into consecutive runs, so a message covers
    one stretch of time.  ``energy_wh`` [Wh] per interval; ``quality`` one string or one per
    reading.
    """
    if batch_readings < 1:
        raise InputError("batch_readings must be at least 1", where="[push] batch_readings")
    starts = np.asarray(start_s, dtype=np.int64)
    energies = np.asarray(energy_wh, dtype=np.float64)
    if starts.shape != energies.shape or starts.ndim != 1:
        raise InputError("start_s and energy_wh must be 1-D arrays of the same length")
    qualities = ([quality] * len(starts) if isinstance(quality, str)
                 else [str(q) for q in quality])
    if len(qualities) != len(starts):
        raise InputError("quality must be one string or one per reading")
    order = np.argsort(starts, kind="stable")
    starts, energies = starts[order], energies[order]
    qualities = [qualities[i] for i in order]
    messages: list[Message] = []
    for lo in range(0, len(starts), batch_readings):
        s = starts[lo:lo + batch_readings]
        e = energies[lo:lo + batch_readings]
        q = qualities[lo:lo + batch_readings]
        key = content_key(channel, "intervals", meter_id, str(int(s[0])), str(int(s[-1])),
                          s.tobytes(), e.tobytes(), "\x1f".join(q))
        readings = [{"start": t, "energy_wh": _json_number(v), "quality": qq}
                    for t, v, qq in zip(iso_utc(s), e.tolist(), q, strict=True)]
        body = {
            "idempotency_key": key,
            "site_id": site_id,
            "meter_id": meter_id,
            "interval_length_s": length_s,
            "first_start": readings[0]["start"],
            "last_start": readings[-1]["start"],
            "count": len(readings),
            "energy_wh_total": _json_number(float(np.sum(e))),
            "readings": readings,
        }
        messages.append(Message.of("intervals", topic, body, key))
    return messages


def meter_state_message(channel: str, topic: str, *, site_id: str, meter_id: str,
                        register_wh: float, t_s: int) -> Message:
    """The retained state of a meter: its register [Wh] at ``t_s`` [UTC epoch s].

    ``register_kwh`` is what the Home Assistant sensor reads (``total_increasing``).
    """
    body = {"site_id": site_id, "meter_id": meter_id, "t": format_utc(int(t_s)),
            "register_wh": _json_number(register_wh),
            "register_kwh": round(float(register_wh) / 1000.0, 3)}
    key = content_key(channel, "meter_state", meter_id, str(int(t_s)), repr(float(register_wh)))
    return Message.of("meter_state", topic, body, key, retain=True)


def device_state_message(channel: str, topic: str, *, site_id: str, status: Any) -> Message:
    """The retained state of a device from its status row (see :func:`row_to_json`)."""
    body = {"site_id": site_id, **row_to_json(status)}
    key = content_key(channel, "device_state", _dumps(body))
    return Message.of("device_state", topic, body, key, retain=True)


def events_message(channel: str, topic: str, *, site_id: str,
                   events: Iterable[Any]) -> Message | None:
    """A site's events as one message (``None`` when there are none)."""
    rows = [row_to_json(e) for e in events]
    if not rows:
        return None
    rows.sort(key=lambda r: (str(r.get("t")), str(r.get("device_id")), str(r.get("code"))))
    key = content_key(channel, "events", site_id, _dumps(rows))
    body = {"idempotency_key": key, "site_id": site_id, "count": len(rows), "events": rows}
    return Message.of("events", topic, body, key)


def alarm_message(channel: str, topic: str, *, site_id: str, alarm: Any,
                  transition: str, t_s: int) -> Message:
    """An alarm transition (``raised``, ``cleared``, ``acknowledged``) at ``t_s``."""
    row = row_to_json(alarm)
    key = content_key(channel, "alarm", transition, _dumps(row), str(int(t_s)))
    body = {"idempotency_key": key, "site_id": site_id, "transition": transition,
            "t": format_utc(int(t_s)), "alarm": row}
    return Message.of("alarm", topic, body, key)
