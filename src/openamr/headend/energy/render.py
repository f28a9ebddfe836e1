"""An :class:`~.report.EnergyReport` as JSON (dashboard, API), text tables and CSV (CLI).

JSON keys are documented in ``docs/energy.md``; energy is Wh and power W (rounded to 3
decimals), instants ISO 8601 UTC with ``Z``, local instants with their offset, dates
``YYYY-MM-DD`` of the site's zone.  A figure without data is ``null`` (empty in CSV, ``-`` in a
table): never a zero.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.headend.energy.analysis import Usage
from openamr.headend.energy.report import EnergyReport
from openamr.timeutil import SLOTS_PER_WALL_DAY, format_utc, from_epoch_s, site_zone
from openamr.units import INTERVAL_LENGTH_S, WH_PER_KWH

__all__ = ["USAGE_COLUMNS", "report_csv", "report_json", "report_table", "usage_labels"]

USAGE_COLUMNS: tuple[str, ...] = ("period", "label", "start", "end", "energy_wh",
                                  "intervals_expected", "intervals_present", "peak_demand_w",
                                  "peak_start")
"""Columns of the CSV form (one row per day, then one per month)."""


def _num(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 3) + 0.0  # + 0.0: no "-0.0"


def _nums(values: npt.NDArray[np.float64]) -> list[float | None]:
    rounded = np.round(values.astype(np.float64), 3) + 0.0
    return [None if not math.isfinite(v) else v for v in rounded.tolist()]


def _local(t_s: int, timezone: str) -> str:
    return from_epoch_s(t_s).astimezone(site_zone(timezone)).isoformat()


def usage_labels(table: Usage, report: EnergyReport) -> list[str]:
    """The local date (``YYYY-MM-DD``) of each daily bucket, or month (``YYYY-MM``) of each
    monthly one."""
    calendar = report.grid.calendar
    dates = calendar.dates
    day_of = np.searchsorted(calendar.day_edges_s, table.start_s, side="right") - 1
    width = 10 if table.period == "daily" else 7
    return [dates[int(d)].isoformat()[:width] for d in day_of]


def _usage_rows(table: Usage, report: EnergyReport) -> list[dict[str, Any]]:
    key = "date" if table.period == "daily" else "month"
    energy, peak = _nums(table.energy_wh), _nums(table.peak_demand_w)
    return [{key: label, "start": format_utc(int(s)), "end": format_utc(int(e)),
             "energy_wh": en, "intervals_expected": int(ex), "intervals_present": int(pr),
             "peak_demand_w": pk, "peak_start": format_utc(int(ps)) if ps >= 0 else None}
            for label, s, e, en, ex, pr, pk, ps in zip(
                usage_labels(table, report), table.start_s.tolist(), table.end_s.tolist(), energy,
                table.intervals_expected.tolist(), table.intervals_present.tolist(), peak,
                table.peak_start_s.tolist(), strict=True)]


def report_json(report: EnergyReport) -> dict[str, Any]:
    """The report as a JSON-ready dict (see ``docs/energy.md`` for the keys)."""
    subject = report.subject
    tz = subject.timezone
    peak = None
    if report.peak is not None:
        peak = {"demand_w": _num(report.peak.demand_w), "start": format_utc(report.peak.start_s),
                "local_start": _local(report.peak.start_s, tz)}
    prev = report.previous
    similar = None
    if report.similar is not None:
        s = report.similar
        similar = {
            "unit_id": s.unit_id, "kind": s.kind,
            "floor_area_band_m2": None if s.floor_area_band_m2 is None else
            [s.floor_area_band_m2[0],
             None if math.isinf(s.floor_area_band_m2[1]) else s.floor_area_band_m2[1]],
            "peer_ids": list(s.peer_ids), "energy_wh": _num(s.energy_wh),
            "peer_median_wh": _num(s.peer_median_wh), "peer_mean_wh": _num(s.peer_mean_wh),
            "rank": s.rank, "ranked": s.ranked,
            "energy_per_m2_wh": _num(s.energy_per_m2_wh),
            "peer_median_per_m2_wh": _num(s.peer_median_per_m2_wh),
            "change_wh": _num(s.change.change_wh), "change_pct": _num(s.change.change_pct)}
    return {
        "subject": {"kind": subject.kind, "id": subject.subject_id, "site_id": subject.site_id,
                    "unit_id": subject.unit.unit_id if subject.unit else None,
                    "meter_ids": list(subject.meter_ids)},
        "site_timezone": tz,
        "from": report.first_day.isoformat(),
        "to": report.last_day.isoformat(),
        "start": format_utc(int(report.grid.calendar.day_edges_s[0])),
        "end": format_utc(int(report.grid.calendar.day_edges_s[-1])),
        "total": {"energy_wh": _num(report.total_energy_wh),
                  "intervals_expected": report.intervals_expected,
                  "intervals_present": report.intervals_present},
        "peak_demand": peak,
        "daily": _usage_rows(report.daily, report),
        "monthly": _usage_rows(report.monthly, report),
        "load_profile": {"hours": list(range(24)),
                         "weekday_power_w": _nums(report.profile.weekday_power_w),
                         "weekend_power_w": _nums(report.profile.weekend_power_w),
                         "all_power_w": _nums(report.profile.all_power_w)},
        "heatmap": {"dates": [d.isoformat() for d in report.grid.calendar.dates],
                    "columns": SLOTS_PER_WALL_DAY,
                    "column_minutes": INTERVAL_LENGTH_S // 60,
                    "energy_wh": [_nums(row) for row in report.heatmap.energy_wh]},
        "previous_period": {"from": prev.first_day.isoformat(), "to": prev.last_day.isoformat(),
                            "energy_wh": _num(prev.change.reference_wh),
                            "change_wh": _num(prev.change.change_wh),
                            "change_pct": _num(prev.change.change_pct)},
        "similar_units": similar,
        "similar_units_note": report.similar_note,
        "meters": [{"meter_id": m.meter_id, "unit_id": m.unit_id, "included": m.included,
                    "energy_wh": _num(m.energy_wh), "intervals_present": m.intervals_present,
                    "peak_demand_w": _num(m.peak_demand_w)} for m in report.meters],
    }


def report_csv(report: EnergyReport) -> str:
    """Daily then monthly usage rows as CSV (:data:`USAGE_COLUMNS`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(USAGE_COLUMNS)
    for table in (report.daily, report.monthly):
        key = "date" if table.period == "daily" else "month"
        for row in _usage_rows(table, report):
            writer.writerow([table.period, row[key], row["start"], row["end"],
                             *("" if row[k] is None else row[k]
                               for k in ("energy_wh", "intervals_expected", "intervals_present",
                                         "peak_demand_w", "peak_start"))])
    return buffer.getvalue()


def _kwh(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value / WH_PER_KWH:.3f}"


def _kw(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value / 1000:.3f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f} %"


def _grid_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()
    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def report_table(report: EnergyReport) -> str:
    """The report as plain-text tables (kWh and kW, 3 decimals)."""
    data = report_json(report)
    subj = report.subject
    out = [f"Energy report: {subj.kind} {subj.subject_id} (site {subj.site_id}, "
           f"{subj.timezone}), {data['from']} to {data['to']}",
           f"meters: {', '.join(subj.meter_ids) or '-'}",
           f"total: {_kwh(report.total_energy_wh)} kWh; intervals present "
           f"{report.intervals_present} of {report.intervals_expected}"]
    if report.peak is not None:
        out.append(f"peak demand: {_kw(report.peak.demand_w)} kW in the 15 minutes from "
                   f"{data['peak_demand']['local_start']}")
    else:
        out.append("peak demand: - (no data)")
    prev = report.previous
    out.append(f"previous period {data['previous_period']['from']} to "
               f"{data['previous_period']['to']}: {_kwh(prev.change.reference_wh)} kWh, "
               f"change {_kwh(prev.change.change_wh)} kWh ({_pct(prev.change.change_pct)})")
    if report.similar is not None:
        s = report.similar
        band = data["similar_units"]["floor_area_band_m2"]
        criteria = [f"kind {s.kind!r}"] if s.kind else []
        if band is not None:
            criteria.append(f"floor area {band[0]:g}-{band[1]:g} m²" if band[1] is not None
                            else f"floor area ≥ {band[0]:g} m²")
        out.append(f"similar units ({', '.join(criteria)}): {len(s.peer_ids)} peers, median "
                   f"{_kwh(s.peer_median_wh)} kWh; unit {s.unit_id} {_kwh(s.energy_wh)} kWh "
                   f"({_pct(s.change.change_pct)}), rank {s.rank} of {s.ranked} (1 = lowest)")
    else:
        out.append(f"similar units: - ({report.similar_note})")
    for title, table in (("Monthly", report.monthly), ("Daily", report.daily)):
        key = "date" if table.period == "daily" else "month"
        rows = [[r[key], _kwh(r["energy_wh"]), f"{r['intervals_present']}/"
                 f"{r['intervals_expected']}", _kw(r["peak_demand_w"])]
                for r in _usage_rows(table, report)]
        out += ["", f"{title} usage", *_grid_text([key, "kWh", "intervals", "peak kW"], rows)]
    prof = report.profile
    rows = [[f"{h:02d}:00", _kw(w), _kw(e), _kw(a)] for h, w, e, a in zip(
        range(24), prof.weekday_power_w.tolist(), prof.weekend_power_w.tolist(),
        prof.all_power_w.tolist(), strict=True)]
    out += ["", "Load profile (average kW by local hour)",
            *_grid_text(["hour", "weekday", "weekend", "all days"], rows)]
    if subj.kind == "site":
        rows = [[m.meter_id, m.unit_id or "-", "yes" if m.included else "no", _kwh(m.energy_wh),
                 _kw(m.peak_demand_w)] for m in report.meters]
        out += ["", "Meters", *_grid_text(["meter", "unit", "in total", "kWh", "peak kW"],
                                          rows)]
    return "\n".join(out) + "\n"
