"""Home Assistant MQTT discovery: each meter appears as an energy sensor for the Energy dashboard.

The config is published retained on ``homeassistant/sensor/openamr_<meter_id>/energy/config``;
the sensor reads the meter's retained state topic (``<prefix>/<site>/meters/<meter>/state``,
see :mod:`openamr.headend.push.topics`) with ``value_template`` ``{{ value_json.register_kwh }}``.

Why the register, not the intervals: Home Assistant's statistics for ``total_increasing`` take the
differences of a cumulative value, and treat a drop below 90 % of the previous value as a new
meter cycle (a replaced meter).  The MDT's register is monotonic and survives restarts, so a
late or replayed interval batch can never make a spike in the Energy dashboard.
"""

from __future__ import annotations

from typing import Any

from openamr import __version__
from openamr.headend.push.payloads import Message, content_key
from openamr.headend.push.topics import (
    availability_topic,
    discovery_config_topic,
    meter_state_topic,
    object_id,
)

__all__ = ["discovery_config", "discovery_message"]

_UNITS = {"kWh": "register_kwh", "Wh": "register_wh"}


def discovery_config(topic_prefix: str, *, site_id: str, meter_id: str,
                     model: str | None = None, unit: str = "kWh") -> dict[str, Any]:
    """The discovery config (a JSON object) of one meter's energy sensor.

    ``unit`` is ``kWh`` (default) or ``Wh``: it picks the state key the sensor reads.
    """
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {sorted(_UNITS)}, not {unit!r}")
    node = f"openamr_{object_id(site_id)}_{object_id(meter_id)}"
    return {
        "name": "Energy",
        "unique_id": f"{node}_energy",
        "state_topic": meter_state_topic(topic_prefix, site_id, meter_id),
        "availability_topic": availability_topic(topic_prefix),
        "payload_available": "online",
        "payload_not_available": "offline",
        "value_template": "{{ value_json.%s }}" % _UNITS[unit],  # noqa: UP031 (Jinja braces)
        "unit_of_measurement": unit,
        "device_class": "energy",
        "state_class": "total_increasing",
        "suggested_display_precision": 3 if unit == "kWh" else 0,
        "device": {
            "identifiers": [node],
            "name": f"Meter {meter_id}",
            "manufacturer": "openamr",
            "model": model or "submeter",
            "serial_number": meter_id,
            "suggested_area": site_id,
        },
        "origin": {"name": "openamr", "sw_version": __version__},
    }


def discovery_message(channel: str, discovery_prefix: str, topic_prefix: str, *, site_id: str,
                      meter_id: str, model: str | None = None, unit: str = "kWh") -> Message:
    """The retained discovery message of one meter for ``channel``."""
    config = discovery_config(topic_prefix, site_id=site_id, meter_id=meter_id, model=model,
                              unit=unit)
    topic = discovery_config_topic(discovery_prefix, meter_id, site_id)
    key = content_key(channel, "discovery", topic, repr(sorted(config.items())))
    return Message.of("discovery", topic, config, key, retain=True)
