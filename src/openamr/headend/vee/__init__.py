"""VEE: validation, estimation and editing of interval data (docs/vee.md).

Raw data is never overwritten: validated, estimated and edited values live beside it in the
store (``vee_intervals``), with an audit trail of edits and the findings of each run.

* :func:`validated_intervals`: many meters' validated (or raw) intervals on one grid, for
  billing;
* :func:`run_vee`: validate and estimate a site's (or some meters') intervals, idempotently;
* :func:`edit_interval`: a manual edit with its audit row.
"""

from __future__ import annotations

from openamr.headend.vee.edit import current_value_wh, edit_interval
from openamr.headend.vee.engine import VeeSummary, run_vee
from openamr.headend.vee.params import VeeParams
from openamr.headend.vee.rules import HARD_RULES, RULE_CODES, VeeRule
from openamr.headend.vee.view import (
    ESTIMATED_QUALITIES,
    VIEWS,
    ValidatedIntervals,
    covered_mask,
    interval_series,
    validated_intervals,
)

__all__ = [
    "ESTIMATED_QUALITIES",
    "HARD_RULES",
    "RULE_CODES",
    "VIEWS",
    "ValidatedIntervals",
    "VeeParams",
    "VeeRule",
    "VeeSummary",
    "covered_mask",
    "current_value_wh",
    "edit_interval",
    "interval_series",
    "run_vee",
    "validated_intervals",
]
