"""The daily CSV report of a site: one row per meter, what billing companies and peers' users
rely on (Tehama's "Standard-ALL" daily report: reading, intervals, RSSI, LQ, battery, link
partner).

Columns, in order::

    site_id, meter_id, device_id, date, timezone,
    register_kwh, register_read,            last register read at or before the end of the day
    day_energy_kwh,                         sum of the day's stored intervals
    intervals_expected, intervals_present, intervals_not_measured,
    rssi_dbm, link_margin_db, link_quality_pct, etx, hops,
    battery_mv, battery_remaining_mah, parent_id, last_heard,
    <HH:MM+hh:mm> ...                       one column per interval [Wh], labelled by its local
                                            start and UTC offset: 92, 96 or 100 of them

The day is the civil day of the site's time zone (``openamr.timeutil``): on the spring-forward
day the 02:00 hour is absent (92 columns); on the fall-back day 01:00-01:45 appear twice, once
per offset (100 columns).  A missing interval is an empty cell.  Instants (``register_read``,
``last_heard``) are ISO 8601 UTC.  The health columns (``rssi_dbm`` .. ``parent_id``) are the
device's state at the end of that day: its last STATUS frame received before the day's end
(the store keeps every one, ``status_reports``), looked for up to a week back; when there is
none, its latest status row.  ``last_heard`` is the latest receive time of any frame.
``link_quality_pct`` is ``100 / etx`` (the expected delivery ratio of the path to the DCAP).
Text cells (ids, zone) that start like a spreadsheet formula (``= + - @``, tab, CR) get a
leading ``'`` so that opening the report never runs one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from openamr.errors import InputError
from openamr.headend.store.protocols import DailyReportStore
from openamr.timeutil import format_utc, local_day_bounds_s, site_zone, utc_offsets_s
from openamr.units import INTERVAL_LENGTH_S, WH_PER_KWH

__all__ = ["FIXED_COLUMNS", "DailyReport", "daily_report", "export_daily_csv", "interval_labels"]

FIXED_COLUMNS: tuple[str, ...] = (
    "site_id", "meter_id", "device_id", "date", "timezone",
    "register_kwh", "register_read", "day_energy_kwh",
    "intervals_expected", "intervals_present", "intervals_not_measured",
    "rssi_dbm", "link_margin_db", "link_quality_pct", "etx", "hops",
    "battery_mv", "battery_remaining_mah", "parent_id", "last_heard",
)

_REGISTER_LOOKBACK_S = 31 * 86_400
"""How far before the day a register read is still looked for [s]."""
_STATUS_LOOKBACK_S = 7 * 86_400
"""How far before the day's end a STATUS frame is still taken as the day's health [s]."""


@dataclass(frozen=True, slots=True)
class DailyReport:
    """One site's daily report: ``header`` and ``rows`` of strings, ready for ``csv``."""

    site_id: str
    day: date
    timezone: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def to_csv(self) -> str:
        """The report as CSV text (``\\n`` line ends)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return buffer.getvalue()


def interval_labels(day: date, timezone: str) -> list[str]:
    """Column labels of the day's intervals: local start ``HH:MM`` and UTC offset ``+hh:mm``.

    Where a fall-back crosses midnight (St John's changed clocks at 00:01 until 2011) the wall
    clock briefly shows the previous date; those labels carry it (``1998-10-24T23:15-03:30``) so
    every label of a day is unique.
    """
    zone = site_zone(timezone)
    lo_s, hi_s = local_day_bounds_s(day, zone)
    starts = np.arange(lo_s, hi_s, INTERVAL_LENGTH_S, dtype=np.int64)
    offsets = utc_offsets_s(starts, zone)
    day_number = (day - date(1970, 1, 1)).days
    labels = []
    for t_s, off_s in zip(starts.tolist(), offsets.tolist(), strict=True):
        wall_day, wall_s = divmod(t_s + off_s, 86_400)
        sign = "+" if off_s >= 0 else "-"
        off_min = abs(off_s) // 60
        label = (f"{wall_s // 3600:02d}:{wall_s % 3600 // 60:02d}"
                 f"{sign}{off_min // 60:02d}:{off_min % 60:02d}")
        if wall_day != day_number:
            label = f"{date.fromordinal(date(1970, 1, 1).toordinal() + wall_day)}T{label}"
        labels.append(label)
    return labels


def _num(value: float | int | None, places: int = 3) -> str:
    """A number for the CSV: integers plain, others rounded to ``places``; ``None`` empty."""
    if value is None:
        return ""
    as_float = float(value)
    if as_float != as_float:  # NaN
        return ""
    if as_float.is_integer():
        return str(int(as_float))
    return f"{as_float:.{places}f}".rstrip("0").rstrip(".")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection":
https://owasp.org/www-community/attacks/CSV_Injection)."""


def _text(value: str) -> str:
    """A text cell (an id, a zone) made inert for spreadsheets: a leading ``'`` before a
    formula's first character.  Numeric cells are never passed here (``-85`` stays a number)."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _site(store: DailyReportStore, site_id: str | None) -> Any:
    if site_id is not None:
        site = store.get_site(site_id)
        if site is None:
            known = ", ".join(s.site_id for s in store.list_sites()) or "none"
            raise InputError(f"unknown site {site_id!r} (known: {known})", where="--site")
        return site
    sites = store.list_sites()
    if len(sites) != 1:
        known = ", ".join(s.site_id for s in sites) or "none"
        raise InputError(f"the store has {len(sites)} sites ({known}): choose one",
                         where="--site")
    return sites[0]


def _register(store: DailyReportStore, meter_id: str, day_end_s: int,
              site_id: str) -> tuple[str, str]:
    reads = store.get_register_reads(meter_id, day_end_s - _REGISTER_LOOKBACK_S, day_end_s + 1,
                                     site_id=site_id)
    if not len(reads):
        return "", ""
    return (f"{float(reads.register_wh[-1]) / WH_PER_KWH:.3f}",
            format_utc(int(reads.t_s[-1])))


def _health(store: DailyReportStore, device_id: str | None, day_end_s: int) -> tuple[Any, Any]:
    """``(health, latest)``: the last STATUS report before ``day_end_s`` (else the latest status
    row) and the latest status row (None when the device was never heard)."""
    if device_id is None:
        return None, None
    latest = store.get_device_status(device_id)
    reports = store.list_status_reports(device_id, day_end_s - _STATUS_LOOKBACK_S, day_end_s,
                                        limit=1_000_000)
    return (reports[-1] if reports else latest), latest


def daily_report(store: DailyReportStore, day: date, site_id: str | None = None) -> DailyReport:
    """The daily report of ``site_id`` (the only site when ``None``) for local ``day``."""
    site = _site(store, site_id)
    zone = site_zone(site.timezone)
    lo_s, hi_s = local_day_bounds_s(day, zone)
    labels = interval_labels(day, site.timezone)
    n = len(labels)
    meters = store.list_meters(site.site_id)
    table = store.get_intervals_bulk([m.meter_id for m in meters], lo_s, hi_s,
                                     site_id=site.site_id)
    table_ids = np.asarray(table.meter_id, dtype=object)
    rows: list[tuple[str, ...]] = []
    for meter in meters:
        mask = table_ids == meter.meter_id
        slots = (np.asarray(table.start_s, dtype=np.int64)[mask] - lo_s) // INTERVAL_LENGTH_S
        energy = np.asarray(table.energy_wh, dtype=np.float64)[mask]
        quality = np.asarray(table.quality)[mask]
        cells = [""] * n
        for slot, wh in zip(slots.tolist(), energy.tolist(), strict=True):
            cells[slot] = _num(wh)
        status, latest = _health(store, meter.device_id, hi_s)
        etx = getattr(status, "etx", None)
        register_kwh, register_read = _register(store, meter.meter_id, hi_s, site.site_id)
        fixed = (
            _text(site.site_id), _text(meter.meter_id), _text(meter.device_id or ""),
            day.isoformat(), _text(site.timezone),
            register_kwh, register_read,
            f"{float(energy.sum()) / WH_PER_KWH:.3f}" if len(energy) else "",
            str(n), str(len(energy)), str(int(np.sum(quality != "measured"))),
            _num(getattr(status, "rssi_dbm", None)),
            _num(getattr(status, "link_margin_db", None), 2),
            _num(round(100.0 / etx) if etx else None),
            _num(etx, 2), _num(getattr(status, "hops", None)),
            _num(getattr(status, "battery_mv", None)),
            _num(getattr(status, "battery_remaining_mah", None)),
            _text(getattr(status, "parent_id", None) or ""),
            format_utc(int(latest.last_heard_s)) if latest is not None else "",
        )
        rows.append(fixed + tuple(cells))
    return DailyReport(site.site_id, day, site.timezone, FIXED_COLUMNS + tuple(labels),
                       tuple(rows))


def export_daily_csv(store: DailyReportStore, day: date, site_id: str | None = None) -> str:
    """The daily report as CSV text."""
    return daily_report(store, day, site_id).to_csv()

