"""What the push reads from the head-end's one :class:`~openamr.headend.settings.Settings`
(sections ``[mqtt]``, ``[webhook]``, ``[push]``), flattened into one frozen object with the
secrets resolved from the environment.

The settings are defined once, in :mod:`openamr.headend.settings`: every default here is taken
from there, and :meth:`PushConfig.from_settings` is the only way from a ``Settings`` to a
``PushConfig`` (tests may build one directly).  Secrets never live in a settings file: the MQTT
password and the webhook HMAC key are read from the environment variables the settings name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from openamr.errors import InputError
from openamr.headend.settings import Settings

__all__ = ["PushConfig"]

_D = Settings()
"""The defaults, from the one definition."""


@dataclass(frozen=True, slots=True)
class PushConfig:
    """Push settings; names as in the config file (section noted per field)."""

    mqtt_enabled: bool = _D.mqtt.enabled
    """``[mqtt] enabled``."""
    mqtt_host: str = _D.mqtt.host
    """``[mqtt] host``."""
    mqtt_port: int = _D.mqtt.port
    """``[mqtt] port``."""
    mqtt_qos: int = _D.mqtt.qos
    """``[mqtt] qos`` (1 or 2; an item is deleted only after the broker's acknowledgement)."""
    mqtt_username: str = _D.mqtt.username
    """``[mqtt] username`` ('' connects without credentials)."""
    mqtt_password: str = field(default="", repr=False)
    """The broker password, read from the environment variable named by ``[mqtt]
    password_env``."""
    mqtt_tls: bool = _D.mqtt.tls
    """``[mqtt] tls``: TLS to the broker (certificate and host name verified)."""
    mqtt_tls_ca_file: str = _D.mqtt.tls_ca_file
    """``[mqtt] tls_ca_file``: CA certificates (PEM) to verify the broker ('' : the system's)."""
    keepalive_s: int = _D.mqtt.keepalive_s
    """``[mqtt] keepalive_s``."""
    topic_prefix: str = _D.mqtt.topic_prefix
    """``[mqtt] topic_prefix``: first topic level."""
    discovery_prefix: str = _D.mqtt.discovery_prefix
    """``[mqtt] discovery_prefix``: Home Assistant's discovery prefix ('' disables discovery)."""
    webhook_enabled: bool = _D.webhook.enabled
    """``[webhook] enabled``."""
    webhook_url: str = _D.webhook.url
    """``[webhook] url`` (https:// in production)."""
    webhook_secret: bytes = field(default=b"", repr=False)
    """The HMAC key, read from the environment variable named by ``[webhook] secret_env``."""
    webhook_timeout_s: float = _D.webhook.timeout_s
    """``[webhook] timeout_s``: connect/read/write timeout of one POST."""
    retry_initial_s: float = _D.push.retry_initial_s
    """``[push] retry_initial_s``: back-off before the first retry."""
    retry_max_s: float = _D.push.retry_max_s
    """``[push] retry_max_s``: cap of the back-off."""
    batch_readings: int = _D.push.batch_readings
    """``[push] batch_readings``: readings per interval message (one meter, consecutive)."""
    poll_s: float = _D.push.poll_s
    """How often an idle channel looks for due items [s] (new items wake it at once)."""
    ack_timeout_s: float = _D.push.ack_timeout_s
    """How long a delivery pass waits for the broker's PUBACKs [s]."""

    @classmethod
    def from_settings(cls, settings: Settings | None) -> PushConfig:
        """The push's view of ``settings`` (defaults when None), secrets from the
        environment."""
        s = settings if settings is not None else _D
        mqtt, webhook, push = s.mqtt, s.webhook, s.push
        config = cls(
            mqtt_enabled=mqtt.enabled, mqtt_host=mqtt.host, mqtt_port=mqtt.port,
            mqtt_qos=mqtt.qos, mqtt_username=mqtt.username,
            mqtt_password=os.environ.get(mqtt.password_env, "") if mqtt.password_env else "",
            mqtt_tls=mqtt.tls, mqtt_tls_ca_file=mqtt.tls_ca_file, keepalive_s=mqtt.keepalive_s,
            topic_prefix=mqtt.topic_prefix, discovery_prefix=mqtt.discovery_prefix,
            webhook_enabled=webhook.enabled, webhook_url=webhook.url,
            webhook_secret=os.environ.get(webhook.secret_env, "").encode("utf-8"),
            webhook_timeout_s=webhook.timeout_s, retry_initial_s=push.retry_initial_s,
            retry_max_s=push.retry_max_s, batch_readings=push.batch_readings,
            poll_s=push.poll_s, ack_timeout_s=push.ack_timeout_s)
        config.check()
        if config.mqtt_enabled and config.mqtt_username and not config.mqtt_password:
            raise InputError(f"the environment variable {mqtt.password_env} (named by "
                             "password_env) is empty, but username is set",
                             where="[mqtt] password_env")
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
        if self.mqtt_tls_ca_file and not os.path.isfile(self.mqtt_tls_ca_file):
            raise InputError(f"no such file: {self.mqtt_tls_ca_file}",
                             where="[mqtt] tls_ca_file")
