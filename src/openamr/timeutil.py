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

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.units import INTERVAL_LENGTH_S, S_PER_DAY

__all__ = [
    "SLOTS_PER_WALL_DAY",
    "UTC",
    "LocalGrid",
    "align_down_s",
    "epoch_s",
    "format_utc",
    "from_epoch_s",
    "intervals_in_local_day",
    "local_date",
    "local_day_bounds_s",
    "local_grid",
    "local_period_edges_s",
    "parse_utc",
    "site_zone",
    "utc_month_start_s",
    "utc_months",
    "utc_now",
    "utc_offsets_s",
]

#: the calendar periods of :func:`local_period_edges_s`
Period = Literal["hourly", "daily", "monthly"]


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


def utc_months(t_s: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The UTC calendar month of each time [UTC epoch s], as months since January 1970
    (0 = 1970-01, -1 = 1969-12, 672 = 2026-01); vectorised."""
    seconds = np.asarray(t_s, dtype=np.int64).astype("datetime64[s]")
    return seconds.astype("datetime64[M]").astype(np.int64)


def utc_month_start_s(months: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The first second [UTC epoch s] of each month of :func:`utc_months` (``months + 1``:
    the end of the half-open month); vectorised."""
    first = np.asarray(months, dtype=np.int64).astype("datetime64[M]")
    return first.astype("datetime64[s]").astype(np.int64)


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


def _offset_s(t_s: int, zone: ZoneInfo) -> int:
    offset = from_epoch_s(t_s).astimezone(zone).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


def utc_offsets_s(t_s: npt.NDArray[np.int64], zone: ZoneInfo) -> npt.NDArray[np.int64]:
    """The UTC offset [s] of ``zone`` at each instant ``t_s`` [UTC epoch s] (vectorised).

    The zone is sampled once per UTC day over the span of ``t_s``; each change of offset is
    located to the second by bisection and the instants are then mapped with ``searchsorted``.
    Assumes at most one offset change per day (true of every IANA zone since 1900).
    """
    t = np.asarray(t_s, dtype=np.int64)
    if t.size == 0:
        return np.zeros(0, dtype=np.int64)
    lo_s, hi_s = int(t.min()), int(t.max())
    samples = [*range(lo_s, hi_s, 86_400), hi_s]
    offsets = [_offset_s(s, zone) for s in samples]
    change_s = [lo_s]
    change_offset_s = [offsets[0]]
    for i in range(1, len(samples)):
        if offsets[i] == offsets[i - 1]:
            continue
        a, b = samples[i - 1], samples[i]  # offset(a) != offset(b): find the first second of b's
        while b - a > 1:
            mid = (a + b) // 2
            if _offset_s(mid, zone) == offsets[i - 1]:
                a = mid
            else:
                b = mid
        change_s.append(b)
        change_offset_s.append(offsets[i])
    index = np.searchsorted(np.asarray(change_s, dtype=np.int64), t, side="right") - 1
    result: npt.NDArray[np.int64] = np.asarray(change_offset_s, dtype=np.int64)[index]
    return result


def _period_changes(grid: npt.NDArray[np.int64], wall: npt.NDArray[np.int64],
                    period: Period) -> npt.NDArray[np.bool_]:
    """Whether a new local ``period`` starts at ``grid[i + 1]`` (``wall``: the local wall time
    of each instant of ``grid`` [s since 1970-01-01 local])."""
    if period == "hourly":
        key = wall // 3600
        result: npt.NDArray[np.bool_] = (np.diff(key) != 0) | (np.diff(wall - grid) != 0)
        return result
    if period == "daily":
        # running maximum: where a fall-back crosses midnight (St John's changed at 00:01 until
        # 2011) the wall clock briefly returns to the previous day; the day starts at the first
        # midnight, as local_day_bounds_s has it
        key = np.maximum.accumulate(wall // S_PER_DAY)
    else:
        month = wall.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
        key = np.maximum.accumulate(month)
    result = np.diff(key) != 0
    return result


def _local_period_start(moment: datetime, period: Period) -> datetime:
    if period == "hourly":
        return moment.replace(minute=0, second=0, microsecond=0)
    if period == "daily":
        return datetime(moment.year, moment.month, moment.day, tzinfo=moment.tzinfo)
    return datetime(moment.year, moment.month, 1, tzinfo=moment.tzinfo)


def local_period_edges_s(start_s: int, end_s: int, zone: ZoneInfo, period: Period,
                         length_s: int = INTERVAL_LENGTH_S) -> npt.NDArray[np.int64]:
    """UTC epoch seconds of the edges of the local calendar periods that cover ``[start_s, end_s)``.

    ``period`` is ``"hourly"``, ``"daily"`` or ``"monthly"`` in the civil time of ``zone``.  The
    first edge is the start of the period containing ``start_s``, the last the end of the period
    containing ``end_s - 1``; bucket ``i`` is ``[edges[i], edges[i + 1])``.  A repeated local
    hour (fall back) gives two hourly buckets, a skipped one (spring forward) none; a DST day is
    23 or 25 hours long.  Edges fall on the ``length_s`` grid (true of every zone whose offsets are
    whole quarter-hours).  Vectorised over a ``length_s`` grid of the range.
    """
    if end_s <= start_s:
        return np.zeros(0, dtype=np.int64)
    first = _local_period_start(from_epoch_s(start_s).astimezone(zone), period)
    first_s = epoch_s(first)
    if first_s > start_s:  # a period start inside a DST gap or fold: use the grid instead
        first_s = align_down_s(start_s, length_s)
    first_s = align_down_s(first_s, length_s)
    last = _local_period_start(from_epoch_s(end_s - 1).astimezone(zone), period)
    # the end of the last period: an hour is 3600 s in UTC (wall-clock arithmetic would skip a
    # repeated hour); a day or month is stepped on the calendar, then floored again
    if period == "hourly":
        after_s = epoch_s(last) + 3600
    else:
        step = timedelta(days=1) if period == "daily" else timedelta(days=32)
        after_s = epoch_s(_local_period_start(last + step, period))
    stop_s = max(after_s, end_s)
    stop_s = -(-stop_s // length_s) * length_s
    grid = np.arange(first_s, stop_s, length_s, dtype=np.int64)
    inner = grid[1:][_period_changes(grid, grid + utc_offsets_s(grid, zone), period)]
    edges: npt.NDArray[np.int64] = np.concatenate(
        ([first_s], inner, [stop_s])).astype(np.int64)
    return edges


SLOTS_PER_WALL_DAY = S_PER_DAY // INTERVAL_LENGTH_S
"""Wall-clock quarter-hours of a day (96): the columns of a heatmap, the slots of a TOU
schedule; a 23- or 25-hour day still maps onto these 96 by its wall clock."""

_EPOCH_DAY = date(1970, 1, 1)


@dataclass(frozen=True, eq=False)
class LocalGrid:
    """The 15-minute slots of ``[start_s, end_s)`` placed on a zone's civil calendar.

    Slot ``i`` is the interval ``[start_s[i], start_s[i] + 900)`` [UTC epoch s].  Each slot knows
    its UTC offset, its wall-clock quarter-hour (``wall_slot``: the repeated hour of a fall-back
    day maps twice onto the same four slots, the skipped hour of a spring-forward day onto none)
    and its civil day: day ``d`` of the grid is ``[day_edges_s[d], day_edges_s[d + 1])`` (a day
    starts at its first midnight, as :func:`local_day_bounds_s` has it; the first and last day
    are clipped to the range), 92, 96 or 100 slots long.  Built by :func:`local_grid`.
    """

    timezone: str
    """IANA zone name."""
    start_s: npt.NDArray[np.int64]
    """Slot starts [UTC epoch s]."""
    offset_s: npt.NDArray[np.int64]
    """UTC offset at each slot's start [s] (local wall time = ``start_s + offset_s``)."""
    wall_slot: npt.NDArray[np.int64]
    """Wall-clock quarter-hour of each slot's start (0 = 00:00–00:15 local, … 95)."""
    day_edges_s: npt.NDArray[np.int64]
    """``days + 1`` edges [UTC epoch s] of the civil days the slots fall in."""
    civil_day: npt.NDArray[np.int64]
    """The civil date of each day of ``day_edges_s``, as days since 1970-01-01."""
    day_index: npt.NDArray[np.int64]
    """The day (index into ``civil_day``) of each slot."""

    def __len__(self) -> int:
        return int(self.start_s.size)

    @property
    def days(self) -> int:
        """How many civil days the grid touches."""
        return int(self.civil_day.size)

    @property
    def dates(self) -> list[date]:
        """The civil days, in order."""
        return [_EPOCH_DAY + timedelta(days=d) for d in self.civil_day.tolist()]

    @property
    def day(self) -> npt.NDArray[np.int64]:
        """The civil date of each slot as days since 1970-01-01."""
        result: npt.NDArray[np.int64] = self.civil_day[self.day_index]
        return result

    @property
    def weekday(self) -> npt.NDArray[np.int64]:
        """The weekday of each slot's civil day (0 = Monday … 6 = Sunday)."""
        result: npt.NDArray[np.int64] = (self.civil_day[self.day_index] + 3) % 7  # 1970-01-01:
        return result  # a Thursday

    @property
    def month_key(self) -> npt.NDArray[np.int64]:
        """The civil month of each slot as months since 1970-01 (changes at local month
        starts)."""
        result: npt.NDArray[np.int64] = (self.civil_day.astype("datetime64[D]").astype(
            "datetime64[M]").astype(np.int64))[self.day_index]
        return result

    @property
    def month(self) -> npt.NDArray[np.int64]:
        """The civil month of each slot, 0 (January) … 11."""
        result: npt.NDArray[np.int64] = self.month_key % 12
        return result


def local_grid(start_s: int, end_s: int, timezone: str) -> LocalGrid:
    """The grid of ``[start_s, end_s)`` [UTC epoch s, multiples of 900] in ``timezone``
    (vectorised: one offset look-up per slot; days as :func:`local_period_edges_s` cuts them).

    ``InputError`` unless the range is a non-empty span of whole 15-minute intervals.
    """
    if start_s % INTERVAL_LENGTH_S or end_s % INTERVAL_LENGTH_S or end_s <= start_s:
        raise InputError(f"a local grid covers a non-empty span of whole 15-minute intervals, "
                         f"not [{start_s}, {end_s})", where="period")
    starts = np.arange(start_s, end_s, INTERVAL_LENGTH_S, dtype=np.int64)
    offsets = utc_offsets_s(starts, site_zone(timezone))
    wall = starts + offsets
    change = _period_changes(starts, wall, "daily")  # the days of local_period_edges_s
    first_slot = np.concatenate(([0], np.flatnonzero(change) + 1))
    # the date of a day is the wall date at its first slot (a day that starts in a gap, at
    # 01:00, is still that date; a zone that skipped a date has no day for it)
    return LocalGrid(
        timezone=timezone, start_s=starts, offset_s=offsets,
        wall_slot=(wall % S_PER_DAY) // INTERVAL_LENGTH_S,
        day_edges_s=np.concatenate((starts[first_slot], [end_s])).astype(np.int64),
        civil_day=(wall[first_slot] // S_PER_DAY).astype(np.int64),
        day_index=np.concatenate(([0], np.cumsum(change))).astype(np.int64))
