"""What the head-end needs to know of the MDT variants (manual §2.4, Table 1).

Table 1 lists three kits with a Meter Data Transceiver: ``MMSMT-C02`` "TOU enabled",
``MMSMT-D02`` "TOU and Temperature enabled" and ``MMSMT-E02`` "TOU and 1% Delta Temperature
enabled" (``6PSMT-C02`` has pulse outputs only, no MDT).  The head-end sends a TOU schedule to
the TOU variants and serves a temperature with the intervals of the temperature variants.  (The
field twin models the variants themselves in ``openamr.field.mdt.variants``; the head-end never
imports the field, so the two facts it needs are restated here.)
"""

from __future__ import annotations

__all__ = ["TEMPERATURE_MODELS", "TOU_MODELS", "has_temperature", "has_tou"]

TOU_MODELS = frozenset({"MMSMT-C02", "MMSMT-D02", "MMSMT-E02"})
"""Kit models whose MDT keeps time-of-use registers (manual Table 1)."""
TEMPERATURE_MODELS = frozenset({"MMSMT-D02", "MMSMT-E02"})
"""Kit models whose MDT measures temperature (manual Table 1)."""


def has_tou(model: str | None) -> bool:
    """Whether kit ``model`` (case-insensitive) has TOU registers."""
    return model is not None and model.strip().upper() in TOU_MODELS


def has_temperature(model: str | None) -> bool:
    """Whether kit ``model`` (case-insensitive) reports temperature."""
    return model is not None and model.strip().upper() in TEMPERATURE_MODELS
