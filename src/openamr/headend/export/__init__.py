"""Exports of the head-end: the daily CSV report of a site and Green Button (ESPI) XML."""

from __future__ import annotations

from openamr.headend.export.csv_daily import DailyReport, daily_report, export_daily_csv
from openamr.headend.export.greenbutton import (
    LocalTimeRules,
    export_greenbutton,
    greenbutton_feed,
    local_time_rules,
)

__all__ = [
    "DailyReport",
    "LocalTimeRules",
    "daily_report",
    "export_daily_csv",
    "export_greenbutton",
    "greenbutton_feed",
    "local_time_rules",
]
