"""Request and response models of the VEE routes (docs/api.md, docs/vee.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

__all__ = ["VeeEditIn", "VeeEditOut", "VeeEditsPage", "VeeFindingOut", "VeeFindingsPage",
           "VeeRunIn", "VeeRunOut"]

_TIME: JsonDict = {"format": "date-time"}


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VeeRunIn(BaseModel):
    """What to validate: a site, some meters, or every meter; a range or all stored data."""

    model_config = ConfigDict(extra="forbid")

    site_id: str | None = Field(default=None, max_length=200)
    meter_ids: list[str] | None = Field(default=None, max_length=10_000)
    start: str | None = Field(default=None, description="inclusive start, ISO 8601 with offset",
                              json_schema_extra=_TIME)
    end: str | None = Field(default=None, description="exclusive end, ISO 8601 with offset",
                            json_schema_extra=_TIME)
    max_linear_gap_intervals: int = Field(default=4, ge=0, le=96,
                                          description="longest gap filled by a straight line")
    like_day_weeks: int = Field(default=3, ge=1, le=8,
                                description="previous weeks searched for like days")
    zero_run_intervals: int = Field(default=96, ge=1, le=100_000,
                                    description="zero intervals in a row flagged")
    scale_to_registers: bool = Field(default=True,
                                     description="scale estimates to register reads")
    vacant_meter_ids: list[str] = Field(
        default_factory=list, max_length=10_000,
        description="meters whose unit was vacant over the whole range (zero runs not flagged)")


class VeeRunOut(_Out):
    """The summary of a VEE run (the same keys as ``openamr vee --json``)."""

    meters: int
    start: str | None = Field(description="start of the range validated (UTC, Z)",
                              json_schema_extra=_TIME)
    end: str | None = Field(description="end of the range validated (UTC, Z)",
                            json_schema_extra=_TIME)
    intervals_checked: int
    intervals_by_rule: dict[str, int] = Field(description="intervals failing each rule")
    estimated_by_method: dict[str, int] = Field(description="intervals estimated per method")
    left_missing: int
    findings: int
    rows_written: int
    rows_deleted: int
    rows_unchanged: int
    findings_added: int
    findings_removed: int


class VeeFindingOut(_Out):
    meter_id: str
    code: str = Field(description="vee.gap, vee.spike, vee.negative, vee.zero_run, vee.clock, "
                      "vee.partial, vee.sum_mismatch, vee.duplicate, vee.day_incomplete")
    start: str = Field(description="start of the first interval concerned",
                       json_schema_extra=_TIME)
    end: str = Field(description="end of the last interval concerned (exclusive)",
                     json_schema_extra=_TIME)
    intervals: int
    detail: str


class VeeFindingsPage(_Out):
    findings: list[VeeFindingOut]
    next: str | None = None


class VeeEditIn(BaseModel):
    """A manual edit: the interval's start, its new value and why."""

    model_config = ConfigDict(extra="forbid")

    start: str = Field(description="start of the 15-minute interval, ISO 8601 with offset",
                       json_schema_extra=_TIME)
    energy_wh: float = Field(ge=0, allow_inf_nan=False, description="the new value [Wh]")
    reason: str = Field(min_length=1, max_length=2000, description="why (kept in the audit trail)")


class VeeEditOut(_Out):
    edit_id: int
    meter_id: str
    start: str = Field(json_schema_extra=_TIME)
    before_wh: float | None = Field(description="validated value before the edit (null: none)")
    after_wh: float
    user: str = Field(description="who: the token as token:<id>(<role>) <label>")
    reason: str
    edited: str = Field(description="when the edit was made", json_schema_extra=_TIME)


class VeeEditsPage(_Out):
    edits: list[VeeEditOut]
