"""MDT variants by kit model number (manual Table 1).

The manual names the variants ("TOU enabled", "TOU and Temperature enabled", "TOU and 1% Delta
Temperature enabled") and says nothing more about how temperature is reported.  The model
decides, as labelled assumptions (docs/mdt.md "Temperature"):

==========  ================================================================================
model       MDT
==========  ================================================================================
6PSMT-C02   none: the kit has isolated pulse outputs only (refused here)
MMSMT-C02   time-of-use registers
MMSMT-D02   TOU + a temperature in every interval record (assumption: "every interval", the
            cadence of the data the MDT already sends)
MMSMT-E02   TOU + a temperature in every interval record (default) **and** a
            ``temperature.changed`` event on every change of 1 % of the sensor's span
            (assumption: "1 % delta" read as a deadband of 1 % of span, see
            :mod:`~openamr.field.mdt.temperature`); the setting
            ``MdtParams.temperature_mode = "on_change"`` keeps only the events
==========  ================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from openamr.errors import InputError

__all__ = ["VARIANTS", "MdtVariant", "TemperatureMode", "variant_for_model"]


class TemperatureMode(StrEnum):
    """How a variant reports temperature."""

    NONE = "none"
    PER_INTERVAL = "per_interval"
    ON_CHANGE = "on_change"


@dataclass(frozen=True)
class MdtVariant:
    """What an MDT model can do."""

    model: str
    has_tou: bool
    temperature: TemperatureMode
    """What goes in the interval records by default."""
    delta_events: bool = False
    """Whether the variant also sends ``temperature.changed`` events on a 1 % delta."""


VARIANTS: dict[str, MdtVariant] = {
    "MMSMT-C02": MdtVariant("MMSMT-C02", has_tou=True, temperature=TemperatureMode.NONE),
    "MMSMT-D02": MdtVariant("MMSMT-D02", has_tou=True, temperature=TemperatureMode.PER_INTERVAL),
    "MMSMT-E02": MdtVariant("MMSMT-E02", has_tou=True, temperature=TemperatureMode.PER_INTERVAL,
                            delta_events=True),
}

_NO_MDT = {"6PSMT-C02": "the 6PSMT-C02 kit has isolated pulse outputs only and no MDT"}


def variant_for_model(model: str) -> MdtVariant:
    """The variant of kit ``model`` (case-insensitive), or an ``InputError`` naming it."""
    key = model.strip().upper()
    if key in _NO_MDT:
        raise InputError(f"{_NO_MDT[key]}: cannot build an MDT for it", where="model")
    try:
        return VARIANTS[key]
    except KeyError:
        raise InputError(f"unknown MDT model {model!r} (known: {', '.join(VARIANTS)})",
                         where="model") from None
