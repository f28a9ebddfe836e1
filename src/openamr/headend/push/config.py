"""What the push reads from the head-end's ``Settings`` (sections ``[mqtt]``, ``[webhook]``,
``[push]``), as one frozen object with defaults, so the push can also run without a config file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from openamr.errors import InputError
from openamr.headend.push.topics import DEFAULT_DISCOVERY_PREFIX, DEFAULT_TOPIC_PREFIX

__all__ = ["PushConfig", "setting"]


def setting(settings: Any, section: str, name: str, default: Any) -> Any:
    """``settings.<section>.<name>`` (attribute or mapping access), ``default`` when absent."""
    if settings is None:
        return default
    part = (settings.get(section) if isinstance(settings, dict)
            else getattr(settings, section, None))
    if part is None:
        return default
    value = part.get(name, default) if isinstance(part, dict) else getattr(part, name, default)
    return default if value is None else value


@dataclass(frozen=True, slots=True)
class PushConfig:
    """Push settings; names as in the config file (section noted per field)."""

    mqtt_enabled: bool = False
    """``[mqtt] enabled``."""
    mqtt_host: str = "127.0.0.1"
    """``[mqtt] host``."""
    mqtt_port: int = 1883
    """``[mqtt] port``."""
    mqtt_qos: int = 1
    """``[mqtt] qos`` (1 or 2; an item is deleted only after the broker's acknowledgement)."""
    keepalive_s: int = 30
    """``[mqtt] keepalive_s``."""
    topic_prefix: str = DEFAULT_TOPIC_PREFIX
    """``[mqtt] topic_prefix``: first topic level."""
    discovery_prefix: str = DEFAULT_DISCOVERY_PREFIX
    """``[mqtt] discovery_prefix``: Home Assistant's discovery prefix ('' disables discovery)."""
    webhook_enabled: bool = False
    """``[webhook] enabled``."""
    webhook_url: str = ""
    """``[webhook] url`` (https:// in production)."""
    webhook_secret: bytes = field(default=b"", repr=False)
    """The HMAC key, read from the environment variable named by ``[webhook] secret_env``."""
    webhook_timeout_s: float = 10.0
    """``[webhook] timeout_s``: connect/read/write timeout of one POST."""
    retry_initial_s: float = 1.0
    """``[push] retry_initial_s``: back-off before the first retry."""
    retry_max_s: float = 300.0
    """``[push] retry_max_s``: cap of the back-off."""
    batch_readings: int = 96
    """``[push] batch_readings``: readings per interval message (one meter, consecutive)."""
    poll_s: float = 1.0
    """How often an idle channel looks for due items [s] (new items wake it at once)."""
    ack_timeout_s: float = 10.0
    """How long a delivery pass waits for the broker's PUBACKs [s]."""

    @classmethod
    def from_settings(cls, settings: Any) -> PushConfig:
        """Read the sections of a ``Settings`` object (or nested dicts); absent keys default."""
        d = cls()
        secret_env = str(setting(settings, "webhook", "secret_env", "OPENAMR_WEBHOOK_SECRET"))
        config = cls(
            mqtt_enabled=bool(setting(settings, "mqtt", "enabled", d.mqtt_enabled)),
            mqtt_host=str(setting(settings, "mqtt", "host", d.mqtt_host)),
            mqtt_port=int(setting(settings, "mqtt", "port", d.mqtt_port)),
            mqtt_qos=int(setting(settings, "mqtt", "qos", d.mqtt_qos)),
            keepalive_s=int(setting(settings, "mqtt", "keepalive_s", d.keepalive_s)),
            topic_prefix=str(setting(settings, "mqtt", "topic_prefix", d.topic_prefix)),
            discovery_prefix=str(setting(settings, "mqtt", "discovery_prefix",
                                         d.discovery_prefix)),
            webhook_enabled=bool(setting(settings, "webhook", "enabled", d.webhook_enabled)),
            webhook_url=str(setting(settings, "webhook", "url", d.webhook_url)),
            webhook_secret=os.environ.get(secret_env, "").encode("utf-8"),
            webhook_timeout_s=float(setting(settings, "webhook", "timeout_s",
                                            d.webhook_timeout_s)),
            retry_initial_s=float(setting(settings, "push", "retry_initial_s",
                                          d.retry_initial_s)),
            retry_max_s=float(setting(settings, "push", "retry_max_s", d.retry_max_s)),
            batch_readings=int(setting(settings, "push", "batch_readings", d.batch_readings)),
            poll_s=float(setting(settings, "push", "poll_s", d.poll_s)),
            ack_timeout_s=float(setting(settings, "push", "ack_timeout_s", d.ack_timeout_s)),
        )
        config.check()
        return config

    def check(self) -> None:
        """Refuse inconsistent settings with the key at fault."""
        if self.mqtt_qos not in (1, 2):
            raise InputError("must be 1 or 2 (QoS 0 has no acknowledgement to delete on)",
                             where="[mqtt] qos")
        if not self.topic_prefix or "#" in self.topic_prefix or "+" in self.topic_prefix:
            raise InputError("must be a non-empty topic without wildcards",
                             where="[mqtt] topic_prefix")
        if self.webhook_enabled:
            if not self.webhook_url.startswith(("https://", "http://")):
                raise InputError(f"must be an http(s):// URL, not {self.webhook_url!r}",
                                 where="[webhook] url")
            if not self.webhook_secret:
                raise InputError("the environment variable named by secret_env is empty",
                                 where="[webhook] secret_env")
        if not 0 < self.retry_initial_s <= self.retry_max_s:
            raise InputError("need 0 < retry_initial_s <= retry_max_s",
                             where="[push] retry_initial_s")
        if self.batch_readings < 1:
            raise InputError("must be at least 1", where="[push] batch_readings")
