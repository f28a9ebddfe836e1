"""Time-of-use: a site's periods in local time, the UTC schedule the head-end sends its MDTs.

**Configuration** (a site's ``[tou]`` table; the same object as JSON through the API)::

    [tou]
    default = "off_peak"                 # the register of every quarter-hour no period claims
    [[tou.periods]]
    name = "on_peak"
    start = "16:00"                      # local wall time, on a quarter-hour
    end = "21:00"                        # exclusive; an end at or before the start wraps midnight
    days = "weekdays"                    # "all" (default), "weekdays", "weekends" or a list
                                         # such as ["mon", "sat"]
    [[tou.periods]]
    name = "mid_peak"
    start = "07:00"
    end = "16:00"
    days = "weekdays"

Registers are numbered in order: 0 is ``default``, then each distinct period name in order of
first appearance (several periods may share a name, e.g. a morning and an evening peak).  Names
are lower-case ``[a-z0-9_]``; at most :data:`MAX_TOU_REGISTERS` registers; periods of the same
day may not overlap.  A period that wraps midnight belongs to the day it starts on.  Holidays
are not modelled (a holiday is an ordinary day of its weekday).

**The schedule** (:meth:`TouPlan.schedule`): the MDT never does time-zone arithmetic; the
head-end evaluates the periods on the 15-minute grid of ``days`` whole local days from today's
local midnight, in the site's zone (``openamr.timeutil``: the only module with zoneinfo), and
sends the instants where the register changes as UTC switch times (``TOU_SCHEDULE`` frame).  A
DST change inside the horizon is therefore already in the schedule: the 23- or 25-hour day has
its switches at the right UTC instants.  :class:`TouSender` decides when each MDT needs one
(see ``docs/headend-ingest.md``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.errors import InputError
from openamr.frames import TouSchedule
from openamr.timeutil import local_date, local_day_bounds_s, site_zone, utc_offsets_s
from openamr.units import INTERVAL_LENGTH_S, S_PER_DAY

__all__ = [
    "DAY_NAMES",
    "MAX_TOU_PERIODS",
    "MAX_TOU_REGISTERS",
    "TouPeriod",
    "TouPlan",
    "TouSender",
    "register_names",
    "set_site_tou",
]

MAX_TOU_REGISTERS = 4
"""Registers a schedule may use.  Assumption: the manual says only "TOU enabled"; four is what
the field twin's MDT keeps (``field.mdt.fleet.DEFAULT_TOU_REGISTERS``) and what common
residential/commercial tariffs need (off-, mid-, on-peak, and one spare)."""
MAX_TOU_PERIODS = 16
"""Periods in one configuration (keeps a 7-day schedule well inside one frame)."""
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names of ``days``, Monday first (index = ``date.weekday()``)."""
_DAY_SETS = {"all": tuple(range(7)), "weekdays": tuple(range(5)), "weekends": (5, 6)}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_SLOTS = S_PER_DAY // INTERVAL_LENGTH_S  # quarter-hours in a 24-hour wall-clock day
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


def _minute(text: Any, where: str) -> int:
    match = _TIME.match(text) if isinstance(text, str) else None
    if match is None:
        raise InputError(f"expected a local time 'HH:MM', got {text!r}", where=where)
    minute = int(match.group(1)) * 60 + int(match.group(2))
    if minute > 1440:
        raise InputError(f"{text!r} is past midnight (use 00:00..24:00)", where=where)
    if minute % (INTERVAL_LENGTH_S // 60):
        raise InputError(f"{text!r} is not on a quarter-hour (an MDT accrues whole 15-minute "
                         "intervals)", where=where)
    return minute % 1440


def _days(value: Any, where: str) -> tuple[int, ...]:
    if value is None:
        return _DAY_SETS["all"]
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _DAY_SETS:
            return _DAY_SETS[key]
        value = [key]
    if not isinstance(value, list | tuple) or not value:
        raise InputError("expected 'all', 'weekdays', 'weekends' or a list of day names "
                         f"({', '.join(DAY_NAMES)})", where=where)
    days: set[int] = set()
    for item in value:
        name = str(item).strip().lower()[:3]
        if name not in DAY_NAMES:
            raise InputError(f"unknown day {item!r} (use {', '.join(DAY_NAMES)})", where=where)
        days.add(DAY_NAMES.index(name))
    return tuple(sorted(days))


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True, slots=True)
class TouPeriod:
    """One window of local wall time on some weekdays that accrues to register ``name``."""

    name: str
    start_min: int
    """Local minute of day the window starts [min], on a quarter-hour."""
    end_min: int
    """Local minute of day it ends (exclusive) [min]; at or before ``start_min`` it wraps."""
    days: tuple[int, ...]
    """Weekdays it starts on (0 = Monday)."""


@dataclass(frozen=True, slots=True)
class TouPlan:
    """A site's TOU configuration, validated (see the module docstring)."""

    default: str
    periods: tuple[TouPeriod, ...] = ()

    @classmethod
    def from_mapping(cls, data: Any, where: str = "[tou]") -> TouPlan:
        """Parse and check a ``[tou]`` table (or its JSON); ``InputError`` naming the key."""
        if not isinstance(data, Mapping):
            raise InputError("must be a table with 'default' and 'periods'", where=where)
        unknown = sorted(set(data) - {"default", "periods"})
        if unknown:
            raise InputError(f"unknown key(s) {', '.join(unknown)} (known: default, periods)",
                             where=where)
        default = data.get("default")
        if not isinstance(default, str) or not _NAME.match(default):
            raise InputError(f"expected a period name ([a-z][a-z0-9_]*), got {default!r}",
                             where=f"{where} default")
        raw = data.get("periods", [])
        if not isinstance(raw, list):
            raise InputError("must be a list of periods", where=f"{where} periods")
        if len(raw) > MAX_TOU_PERIODS:
            raise InputError(f"at most {MAX_TOU_PERIODS} periods, got {len(raw)}",
                             where=f"{where} periods")
        periods = []
        for i, item in enumerate(raw):
            at = f"{where} periods[{i}]"
            if not isinstance(item, Mapping):
                raise InputError("must be a table with name, start, end (and days)", where=at)
            extra = sorted(set(item) - {"name", "start", "end", "days"})
            if extra:
                raise InputError(f"unknown key(s) {', '.join(extra)} "
                                 "(known: name, start, end, days)", where=at)
            name = item.get("name")
            if not isinstance(name, str) or not _NAME.match(name):
                raise InputError(f"expected a period name ([a-z][a-z0-9_]*), got {name!r}",
                                 where=f"{at} name")
            for key in ("start", "end"):
                if key not in item:
                    raise InputError("missing", where=f"{at} {key}")
            periods.append(TouPeriod(name, _minute(item["start"], f"{at} start"),
                                     _minute(item["end"], f"{at} end"),
                                     _days(item.get("days"), f"{at} days")))
        plan = cls(default, tuple(periods))
        if len(plan.registers) > MAX_TOU_REGISTERS:
            raise InputError(f"{len(plan.registers)} registers ({', '.join(plan.registers)}): "
                             f"an MDT keeps at most {MAX_TOU_REGISTERS}", where=where)
        plan.slot_table(where)  # refuses overlaps
        return plan

    @classmethod
    def from_json(cls, text: str, where: str = "tou") -> TouPlan:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InputError(f"not JSON: {exc}", where=where) from exc
        return cls.from_mapping(data, where)

    def to_mapping(self) -> dict[str, Any]:
        """The canonical table (days as name lists): what the store and the API hold."""
        return {"default": self.default,
                "periods": [{"name": p.name, "start": _hhmm(p.start_min),
                             "end": _hhmm(p.end_min) if p.end_min else "24:00",
                             "days": [DAY_NAMES[d] for d in p.days]} for p in self.periods]}

    def to_json(self) -> str:
        return json.dumps(self.to_mapping(), separators=(",", ":"), sort_keys=True)

    @property
    def registers(self) -> tuple[str, ...]:
        """Register names by index: ``default`` first, then period names in order."""
        return tuple(dict.fromkeys([self.default, *(p.name for p in self.periods)]))

    def slot_table(self, where: str = "[tou]") -> npt.NDArray[np.uint8]:
        """Register of each (weekday, local quarter-hour of the wall-clock day): ``(7, 96)``."""
        index = {name: i for i, name in enumerate(self.registers)}
        table = np.zeros((7, _SLOTS), dtype=np.uint8)
        owner = np.full((7, _SLOTS), -1, dtype=np.int64)
        step = INTERVAL_LENGTH_S // 60
        for i, p in enumerate(self.periods):
            length = (p.end_min - p.start_min) % 1440 or 1440
            for day in p.days:
                for k in range(length // step):
                    slot = p.start_min // step + k
                    d, q = (day + slot // _SLOTS) % 7, slot % _SLOTS
                    if owner[d, q] >= 0:
                        other = self.periods[int(owner[d, q])]
                        raise InputError(
                            f"period {p.name!r} ({_hhmm(p.start_min)}-{_hhmm(p.end_min)}) "
                            f"overlaps period {other.name!r} on {DAY_NAMES[d]} at "
                            f"{_hhmm(q * step)}", where=f"{where} periods[{i}]")
                    owner[d, q] = i
                    table[d, q] = index[p.name]
        return table

    def register_at(self, t_s: npt.ArrayLike, timezone: str) -> npt.NDArray[np.uint8]:
        """The register of the interval starting at each ``t_s`` [UTC epoch s] (vectorised)."""
        t = np.asarray(t_s, dtype=np.int64)
        wall = t + utc_offsets_s(t, site_zone(timezone))
        day = wall // S_PER_DAY
        weekday = (day + _EPOCH_WEEKDAY) % 7
        slot = (wall - day * S_PER_DAY) // INTERVAL_LENGTH_S
        out: npt.NDArray[np.uint8] = self.slot_table()[weekday, slot]
        return out

    def switches(self, start_s: int, end_s: int, timezone: str) -> tuple[tuple[int, int], ...]:
        """``(t_s, register)`` where the register changes on the 15-minute grid of
        ``[start_s, end_s)`` (the first grid point always), in UTC epoch seconds."""
        if start_s % INTERVAL_LENGTH_S:
            raise InputError(f"the zone {timezone!r} has a UTC offset that is not a whole "
                             "quarter-hour: TOU switch times would fall inside intervals",
                             where="timezone")
        grid = np.arange(start_s, end_s, INTERVAL_LENGTH_S, dtype=np.int64)
        if not grid.size:
            return ()
        reg = self.register_at(grid, timezone)
        keep = np.concatenate(([True], reg[1:] != reg[:-1]))
        return tuple(zip(grid[keep].tolist(), reg[keep].astype(int).tolist(), strict=True))

    def schedule(self, now_s: int, timezone: str, days: int) -> tuple[TouSchedule, int]:
        """The ``TOU_SCHEDULE`` payload for ``days`` local days from today's local midnight,
        and the end of what it covers [UTC epoch s] (also its last switch time)."""
        zone = site_zone(timezone)
        first = local_date(int(now_s), zone)
        start_s, _ = local_day_bounds_s(first, zone)
        _, end_s = local_day_bounds_s(first + timedelta(days=days - 1), zone)
        # the last switch marks the end of the span (the register active from then on, even if
        # unchanged): a receiver can tell how far the schedule reaches without a validity field
        last = (end_s, int(self.register_at([end_s], timezone)[0]))
        switches = (*self.switches(start_s, end_s, timezone), last)
        return TouSchedule(len(self.registers), switches), end_s


def set_site_tou(store: Any, site_id: str, table: Any, *, where: str,
                 updated_s: int) -> TouPlan | None:
    """Validate a site's ``[tou]`` table and store it (``table`` None: leave the store as is).

    What ``openamr sim run`` does with a site file's ``[tou]``; the API's ``PUT`` does the same
    with its body.  ``InputError`` naming ``where`` and the key when the table is bad (nothing
    stored then)."""
    if table is None:
        return None
    plan = TouPlan.from_mapping(table, where=where)
    store.put_site_tou(site_id, plan.to_json(), int(updated_s))
    return plan


def register_names(plan: TouPlan | None, n: int) -> list[str]:
    """Names of registers ``0..n-1``: the plan's, else ``register_<i>`` (a register the plan
    does not name, e.g. after a configuration with fewer periods, too)."""
    names = list(plan.registers) if plan is not None else []
    return [names[i] if i < len(names) else f"register_{i}" for i in range(n)]


SiteTouLookup = Callable[[str], tuple[str, str] | None]
"""``site_id -> (config_json, timezone)``, or None when the site has no TOU configuration."""


@dataclass
class _Sent:
    covered_until_s: int
    plan_key: str
    sent_s: int


class TouSender:
    """When an MDT needs a ``TOU_SCHEDULE`` (kept in memory by the ingest).

    A TOU MDT of a site with a TOU configuration gets one with the reply to its next uplink:

    * when none was sent to it since the head-end started, or since it joined or restarted
      (:meth:`forget`: a ``JOIN_REQUEST``, a ``device.restarted`` event, or a STATUS whose
      ``uptime_s`` went down);
    * when the site's configuration or time zone changed since the last one;
    * when what the last one covers ends within ``resend_before_s`` (a schedule covers
      ``days`` local days, so a new one follows before the old runs out, DST changes included);
    * when it sends intervals flagged ``TOU_STALE`` that started after the last schedule went
      out (it did not get it), at most once per 15 minutes.
    """

    def __init__(self, days: int, resend_before_s: int) -> None:
        self.days = days
        self.resend_before_s = resend_before_s
        self._sent: dict[int, _Sent] = {}
        self._batch: dict[str, tuple[TouSchedule, int, str] | None] = {}

    def begin_batch(self) -> None:
        """Forget the per-batch cache of site schedules (configurations may have changed)."""
        self._batch.clear()

    def forget(self, eui: int) -> None:
        """The device joined or restarted: it has no schedule any more."""
        self._sent.pop(eui, None)

    def sent_s(self, eui: int) -> int | None:
        """When the last schedule went to the device [UTC epoch s] (None: not since start)."""
        sent = self._sent.get(eui)
        return None if sent is None else sent.sent_s

    def _site_schedule(self, site_id: str, now_s: int,
                       lookup: SiteTouLookup) -> tuple[TouSchedule, int, str] | None:
        if site_id not in self._batch:
            found = lookup(site_id)
            if found is None:
                self._batch[site_id] = None
            else:
                config_json, timezone = found
                self._batch[site_id] = None  # a configuration it refuses: said once a batch
                plan = TouPlan.from_json(config_json, where=f"site {site_id} tou")
                payload, until_s = plan.schedule(now_s, timezone, self.days)
                self._batch[site_id] = (payload, until_s, f"{timezone}|{config_json}")
        return self._batch[site_id]

    def due(self, eui: int, site_id: str, now_s: int, *, stale_since_s: int | None,
            lookup: SiteTouLookup) -> TouSchedule | None:
        """The schedule to send the device now, or None.

        ``stale_since_s``: start of its newest interval flagged ``TOU_STALE`` in this batch;
        ``lookup(site_id)`` gives ``(config_json, timezone)`` or None (no TOU configured).
        """
        site = self._site_schedule(site_id, now_s, lookup)
        if site is None:
            return None
        payload, until_s, key = site
        sent = self._sent.get(eui)
        if not (sent is None or sent.plan_key != key
                or now_s >= sent.covered_until_s - self.resend_before_s
                or (stale_since_s is not None and stale_since_s >= sent.sent_s
                    and now_s - sent.sent_s >= INTERVAL_LENGTH_S)):
            return None
        self._sent[eui] = _Sent(until_s, key, now_s)
        return payload
