"""Billing periods: local civil dates → UTC epoch bounds.

``--period YYYY-MM`` with ``--start-day D`` is the cycle ``[YYYY-MM-D, next month's D)``;
``--from A --to B`` is ``[A, B + 1 day)`` (``--to`` inclusive, like the exports).  Dates are civil
days of the site's time zone; the bounds are computed through :mod:`openamr.timeutil`, so a
cycle with a DST change is 23 or 25 hours shorter or longer and has 4 intervals fewer or more
per change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from openamr.errors import InputError
from openamr.timeutil import local_day_bounds_s, site_zone

__all__ = ["BillingPeriod", "date_range", "month_cycle", "parse_date", "parse_month"]

START_DAY_MAX = 28
"""A cycle may start on days 1..28 (every month has them)."""
RANGE_DAYS_MAX = 366
"""A ``--from/--to`` range bills at most this many days (a bill is not a data export)."""
YEARS = range(1971, 9999)
"""Billable years (local calendars need a past and a future in UTC)."""


@dataclass(frozen=True, slots=True)
class BillingPeriod:
    """Local dates ``[first_day, end_day)`` and their UTC bounds ``[start_s, end_s)``."""

    first_day: date
    end_day: date
    """The day after the last billed day."""
    start_s: int
    end_s: int
    timezone: str
    cycle: bool = True
    """True for a monthly cycle (``--period``); False for a ``--from/--to`` range."""

    @property
    def days(self) -> int:
        """Billed civil days."""
        return (self.end_day - self.first_day).days

    @property
    def months(self) -> Decimal:
        """Months this bill stands for: 1 for a cycle, days × 12 / 365 for a date range."""
        if self.cycle:
            return Decimal(1)
        return Decimal(self.days * 12) / Decimal(365)

    @property
    def last_day(self) -> date:
        """The last billed day (inclusive)."""
        return self.end_day - timedelta(days=1)


def _bounds(first: date, end: date, timezone: str, cycle: bool) -> BillingPeriod:
    zone = site_zone(timezone)
    start_s, _ = local_day_bounds_s(first, zone)
    end_s, _ = local_day_bounds_s(end, zone)
    return BillingPeriod(first, end, start_s, end_s, timezone, cycle)


def parse_month(text: str, where: str = "--period") -> tuple[int, int]:
    """``YYYY-MM`` → (year, month)."""
    try:
        year_s, month_s = text.strip().split("-")
        year, month = int(year_s), int(month_s)
        date(year, month, 1)
    except ValueError as exc:
        raise InputError(f"not a month YYYY-MM: {text!r}", where=where) from exc
    if year not in YEARS:
        raise InputError(f"year {year} is out of range ({YEARS.start}..{YEARS.stop - 1})",
                         where=where)
    return year, month


def parse_date(text: str, where: str) -> date:
    """``YYYY-MM-DD`` → date."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"not a date YYYY-MM-DD: {text!r}", where=where) from exc
    if day.year not in YEARS:
        raise InputError(f"year {day.year} is out of range ({YEARS.start}..{YEARS.stop - 1})",
                         where=where)
    return day


def month_cycle(year: int, month: int, timezone: str, start_day: int = 1) -> BillingPeriod:
    """The billing cycle that starts on ``start_day`` of ``year-month``."""
    if not 1 <= start_day <= START_DAY_MAX:
        raise InputError(f"a cycle starts on day 1..{START_DAY_MAX}, not {start_day}",
                         where="--start-day")
    first = date(year, month, start_day)
    end = date(year + month // 12, month % 12 + 1, start_day)
    return _bounds(first, end, timezone, True)


def date_range(first: date, last: date, timezone: str) -> BillingPeriod:
    """The range of civil days ``first`` .. ``last`` (inclusive)."""
    if last < first:
        raise InputError(f"{last} is before --from {first}", where="--to")
    if (last - first).days + 1 > RANGE_DAYS_MAX:
        raise InputError(f"a bill covers at most {RANGE_DAYS_MAX} days", where="--to")
    return _bounds(first, last + timedelta(days=1), timezone, False)
