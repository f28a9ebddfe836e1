"""Time: the only module of openamr that converts between time zones.

Rules (see ``docs/architecture.md``):

* every datetime is aware; storage and the wire use UTC (integer epoch seconds, or ISO 8601
  with ``Z``);
* local civil time appears only through a site's ``ZoneInfo`` for calendars: billing periods,
  time-of-use windows, daily reports and roll-ups;
* intervals are half-open ``[start, start + length_s)`` and labelled by their start;
* a local day has 92, 96 or 100 quarter-hours (spring-forward, ordinary, fall-back).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openamr.errors import InputError
from openamr.units import INTERVAL_LENGTH_S

__all__ = [
    "UTC",
    "align_down_s",
    "epoch_s",
    "format_utc",
    "from_epoch_s",
    "intervals_in_local_day",
    "local_date",
    "local_day_bounds_s",
    "parse_utc",
    "site_zone",
    "utc_now",
]


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def site_zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA zone name, or an ``InputError`` naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"unknown time zone {name!r} (use an IANA name such as "
                         "'America/Los_Angeles' or 'UTC')") from exc


def epoch_s(moment: datetime) -> int:
    """Whole UTC epoch seconds of an aware datetime (naive datetimes are refused)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(f"naive datetime {moment.isoformat()} has no time zone")
    return int(moment.timestamp() // 1)


def from_epoch_s(t_s: float) -> datetime:
    """An aware UTC datetime from epoch seconds."""
    return datetime.fromtimestamp(t_s, UTC)


def align_down_s(t_s: int, length_s: int = INTERVAL_LENGTH_S) -> int:
    """The start [UTC epoch s] of the ``length_s`` interval that contains ``t_s``.

    Intervals are aligned to the hour (and so to UTC midnight) because 3600 and 86400 are
    multiples of 900.
    """
    return t_s - (t_s % length_s)


def parse_utc(text: str, *, where: str | None = None) -> datetime:
    """Parse an ISO 8601 timestamp that carries an offset (``Z`` or ``+hh:mm``) into UTC.

    A timestamp without offset is refused: on the wire and in files openamr only accepts
    unambiguous instants.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"not an ISO 8601 timestamp: {text!r}", where=where) from exc
    if moment.tzinfo is None:
        raise InputError(f"timestamp {text!r} has no UTC offset (write it as "
                         f"{text.strip()}Z if it is UTC)", where=where)
    return moment.astimezone(UTC)


def format_utc(moment: datetime | int) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, whole seconds, from an aware datetime or epoch s."""
    if isinstance(moment, int):
        moment = from_epoch_s(moment)
    elif moment.tzinfo is None:
        raise InputError(f"naive datetime {moment.isoformat()} has no time zone")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def local_date(t_s: int, zone: ZoneInfo) -> date:
    """The civil date in ``zone`` of the instant ``t_s`` [UTC epoch s]."""
    return from_epoch_s(t_s).astimezone(zone).date()


def local_day_bounds_s(day: date, zone: ZoneInfo) -> tuple[int, int]:
    """UTC epoch seconds ``[start, end)`` of the civil day ``day`` in ``zone``.

    The length is 23, 24 or 25 hours around DST changes: it is computed in UTC, never by adding
    a ``timedelta(days=1)`` to a local datetime.
    """
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    nxt = day + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)
    return epoch_s(start), epoch_s(end)


def intervals_in_local_day(day: date, zone: ZoneInfo, length_s: int = INTERVAL_LENGTH_S) -> int:
    """How many ``length_s`` intervals the civil day has: 92, 96 or 100 for 15 minutes."""
    start_s, end_s = local_day_bounds_s(day, zone)
    return (end_s - start_s) // length_s
