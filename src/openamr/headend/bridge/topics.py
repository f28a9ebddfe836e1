"""Broker addresses and topic names of the scale-out bridge."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from openamr.errors import InputError

__all__ = ["BrokerUrl", "down_topic", "parse_broker_url", "shared_up_filter", "up_topic"]

_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    """``mqtt://[user[:password]@]host[:port][/prefix]`` (``mqtts://`` for TLS; port 1883 or
    8883 by default; prefix ``openamr``)."""

    host: str
    port: int
    prefix: str = "openamr"
    tls: bool = False
    username: str | None = None
    password: str | None = None

    def redacted(self) -> str:
        """The URL without its password (for logs and ready lines)."""
        user = f"{self.username}@" if self.username else ""
        scheme = "mqtts" if self.tls else "mqtt"
        return f"{scheme}://{user}{self.host}:{self.port}/{self.prefix}"


def parse_broker_url(url: str, *, where: str = "--broker") -> BrokerUrl:
    """Parse a broker URL; ``InputError`` says what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise InputError(f"expected mqtt://host[:port][/prefix] or mqtts://…, got {url!r}",
                         where=where)
    if not parts.hostname:
        raise InputError(f"no host in {url!r}", where=where)
    try:
        port = parts.port
    except ValueError as exc:
        raise InputError(f"bad port in {url!r}: {exc}", where=where) from exc
    tls = parts.scheme == "mqtts"
    prefix = parts.path.strip("/") or "openamr"
    if not all(_ID.match(p) for p in prefix.split("/")):
        raise InputError(f"topic prefix {prefix!r}: use letters, digits, '_', '-', '.' and '/'",
                         where=where)
    return BrokerUrl(parts.hostname, port or (8883 if tls else 1883), prefix, tls,
                     parts.username, parts.password)


def check_id(value: str, what: str) -> str:
    """A gateway or group name usable as one topic level."""
    if not _ID.match(value):
        raise InputError(f"{what} {value!r}: 1-64 letters, digits, '_', '-' or '.'", where=what)
    return value


def up_topic(prefix: str, gateway: str) -> str:
    """Where gateway ``gateway`` publishes its uplink batches."""
    return f"{prefix}/up/{gateway}"


def down_topic(prefix: str, gateway: str) -> str:
    """Where the workers answer gateway ``gateway`` (its MQTT 5 response topic)."""
    return f"{prefix}/down/{gateway}"


def shared_up_filter(prefix: str, group: str) -> str:
    """The shared subscription through which a group of workers splits every uplink."""
    return f"$share/{group}/{prefix}/up/+"
