"""MQTT topic scheme of the head-end's push (one place, so the docs and the code agree).

::

    <prefix>/<site_id>/meters/<meter_id>/intervals   interval batches
    <prefix>/<site_id>/meters/<meter_id>/state       latest register (retained; Home Assistant)
    <prefix>/<site_id>/devices/<device_id>/state     latest device status (retained)
    <prefix>/<site_id>/events                        device events
    <prefix>/<site_id>/alarms                        alarm raised / cleared / acknowledged
    <prefix>/status                                  online / offline (retained; last will)
    <discovery_prefix>/sensor/openamr_<site_id>_<meter_id>/energy/config
                                                     Home Assistant discovery (retained)

``prefix`` is the ``[mqtt] topic_prefix`` setting (default ``openamr``); ``discovery_prefix`` is
``[mqtt] discovery_prefix`` (default ``homeassistant``).  Identifiers are used as they are when
they are safe topic levels; the MQTT wildcards ``+``/``#``, ``/`` and control characters are
replaced by ``_`` so an identifier can never add a level or a wildcard.
"""

from __future__ import annotations

import re

__all__ = [
    "DEFAULT_DISCOVERY_PREFIX",
    "DEFAULT_TOPIC_PREFIX",
    "alarms_topic",
    "availability_topic",
    "device_state_topic",
    "discovery_config_topic",
    "events_topic",
    "intervals_topic",
    "meter_state_topic",
    "object_id",
    "topic_level",
]

DEFAULT_TOPIC_PREFIX = "openamr"
DEFAULT_DISCOVERY_PREFIX = "homeassistant"

_UNSAFE = re.compile(r"[/+#\x00-\x1f\x7f]")


def topic_level(identifier: str) -> str:
    """``identifier`` made safe as ONE MQTT topic level (no ``/``, ``+``, ``#``, controls)."""
    safe = _UNSAFE.sub("_", identifier)
    return safe or "_"


def intervals_topic(prefix: str, site_id: str, meter_id: str) -> str:
    """Topic of a meter's interval batches."""
    return f"{prefix}/{topic_level(site_id)}/meters/{topic_level(meter_id)}/intervals"


def meter_state_topic(prefix: str, site_id: str, meter_id: str) -> str:
    """Retained topic of a meter's latest register (the Home Assistant state topic)."""
    return f"{prefix}/{topic_level(site_id)}/meters/{topic_level(meter_id)}/state"


def device_state_topic(prefix: str, site_id: str, device_id: str) -> str:
    """Retained topic of a device's latest status."""
    return f"{prefix}/{topic_level(site_id)}/devices/{topic_level(device_id)}/state"


def events_topic(prefix: str, site_id: str) -> str:
    """Topic of a site's device events."""
    return f"{prefix}/{topic_level(site_id)}/events"


def alarms_topic(prefix: str, site_id: str) -> str:
    """Topic of a site's alarm transitions (raised, cleared, acknowledged)."""
    return f"{prefix}/{topic_level(site_id)}/alarms"


def availability_topic(prefix: str) -> str:
    """Retained ``online``/``offline`` of the head-end's push (``offline`` is the last will)."""
    return f"{prefix}/status"


def discovery_config_topic(discovery_prefix: str, meter_id: str,
                           site_id: str | None = None) -> str:
    """Home Assistant MQTT discovery topic of a meter's energy sensor; the node id names the
    site too (``openamr_<site>_<meter>``) so two sites' meters of the same id stay apart."""
    node = object_id(meter_id) if site_id is None else \
        f"{object_id(site_id)}_{object_id(meter_id)}"
    return f"{discovery_prefix}/sensor/openamr_{node}/energy/config"


def object_id(ident: str) -> str:
    """An id as a Home Assistant node id (which allows ``[a-zA-Z0-9_-]`` only)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", ident) or "_"
