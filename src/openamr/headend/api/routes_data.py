"""Meter data: 15-minute intervals, local-time roll-ups and register reads.

Series are served from numpy arrays without a Python object per row (:mod:`.json_render`,
:mod:`.csv_render`): one meter-year (35,040 intervals) is a few milliseconds of rendering.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from openamr.headend.api.bytecols import (
    float_column,
    int_column,
    iso_local_column,
    iso_utc_column,
    text_column,
)
from openamr.headend.api.csv_render import CSV_MEDIA_TYPE, intervals_csv, rows_csv
from openamr.headend.api.deps import (
    EndQuery,
    FormatQuery,
    StartQuery,
    check_export,
    get_store,
    parse_time,
    require,
    wants_csv,
)
from openamr.headend.api.errors import ApiError
from openamr.headend.api.json_render import series_json
from openamr.headend.api.models import IntervalsPage, RegistersPage, RollupOut
from openamr.headend.api.pagination import (
    INTERVALS_LIMIT_DEFAULT,
    SeriesLimitQuery,
    next_url,
)
from openamr.headend.api.responses import CSV_OR_JSON, ERRORS
from openamr.headend.api.scope import resolve_meter
from openamr.headend.rollup import rollup
from openamr.headend.store.base import IntervalArrays, Meter, Store, TokenRow
from openamr.headend.tou import tou_by_read as _tou_by_read
from openamr.headend.variants import has_temperature, has_tou
from openamr.headend.vee.view import interval_series
from openamr.timeutil import format_utc, site_zone, utc_offsets_s
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["ROLLUP_BUCKETS_MAX", "router"]

router = APIRouter(tags=["meter data"])

StoreDep = Annotated[Store, Depends(get_store)]
DataToken = Annotated[TokenRow, Depends(require("data.read"))]
ViewQuery = Annotated[Literal["raw", "validated"], Query(
    description="raw: the intervals as measured (default); validated: with VEE's estimates, "
                "edits and failed_validation marks laid over them (docs/vee.md)")]
JSON = "application/json"

ROLLUP_BUCKETS_MAX = 20_000
"""At most this many roll-up buckets per request (two years of hours)."""
_ROLLUP_SPAN_MAX_S = 20 * 366 * 86_400
_EPOCH_FLOOR_S = 86_400  # roll-ups start after 1970-01-02 (local calendars need a past)
_YEAR_9000_S = 221_845_392_000


SiteQuery = Annotated[str | None, Query(description="the meter's site (needed when several "
                                        "sites have the meter id)")]


def _meter_and_zone(store: Store, token: TokenRow, meter_id: str,
                    site_id: str | None) -> tuple[Meter, str]:
    meter = resolve_meter(store, token, meter_id, site_id)
    site = store.get_site(meter.site_id)
    return meter, site.timezone if site is not None else "UTC"


def _models(store: Store, meter: Meter) -> tuple[str, ...]:
    """The kit model of the meter and of the MDT that reads it (either names the variant)."""
    device = store.get_device(meter.device_id) if meter.device_id else None
    return (meter.model, device.model if device is not None else "")


def _temperatures(store: Store, meter: Meter,
                  starts: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """The stored temperature of each interval start [degC] (NaN where none)."""
    out = np.full(starts.size, np.nan)
    if not starts.size:
        return out
    temps = store.get_temperatures(meter.meter_id, int(starts[0]), int(starts[-1]) + 1,
                                   site_id=meter.site_id)
    if len(temps):
        idx = np.minimum(np.searchsorted(temps.start_s, starts), len(temps) - 1)
        hit = temps.start_s[idx] == starts
        out[hit] = temps.temperature_c[idx[hit]]
    return out


def _range(start: str | None, end: str | None) -> tuple[int | None, int | None]:
    start_s, end_s = parse_time(start, "start"), parse_time(end, "end")
    if start_s is not None and end_s is not None and start_s >= end_s:
        raise ApiError(400, "request.bad_input", "start must be before end ([start, end))")
    return start_s, end_s


@router.get("/meters/{meter_id}/intervals", response_model=IntervalsPage,
            responses={**ERRORS, **CSV_OR_JSON}, summary="A meter's 15-minute intervals")
def get_intervals(request: Request, meter_id: str, store: StoreDep, token: DataToken,
                  start: StartQuery = None, end: EndQuery = None,
                  limit: SeriesLimitQuery = INTERVALS_LIMIT_DEFAULT,
                  fmt: FormatQuery = None, view: ViewQuery = "raw",
                  site_id: SiteQuery = None) -> Response:
    """Intervals with ``start <= interval start < end``, oldest first, at most ``limit``;
    ``next`` continues from the first interval not returned.  ``view=validated`` serves VEE's
    values (estimates fill gaps; raw data is never changed).  Intervals of a temperature
    variant (MMSMT-D02/E02) carry ``temperature_c`` (null when the MDT sent none)."""
    meter, zone = _meter_and_zone(store, token, meter_id, site_id)
    start_s, end_s = _range(start, end)
    csv = wants_csv(request, fmt)
    if csv:
        check_export(request, token)
    if view == "raw":
        arrays = _first_intervals(store, meter, start_s, end_s, limit + 1)
    else:
        arrays = interval_series(store, meter_id, start_s, end_s, view=view,
                                 site_id=meter.site_id)
    starts, energy, quality = arrays.start_s, arrays.energy_wh, arrays.quality
    nxt = None
    if starts.size > limit:
        nxt = next_url(request, start=format_utc(int(starts[limit])))
        starts, energy, quality = starts[:limit], energy[:limit], quality[:limit]
    temperature = (_temperatures(store, meter, starts)
                   if any(has_temperature(m) for m in _models(store, meter)) else None)
    if csv:
        headers = {"Link": f'<{nxt}>; rel="next"'} if nxt else None
        return Response(intervals_csv(meter_id, starts, energy, quality, temperature),
                        media_type=CSV_MEDIA_TYPE, headers=headers)
    columns = [("start", iso_utc_column(starts, quote=True)),
               ("energy_wh", float_column(energy, align="right")),
               ("quality", text_column(quality, quote=True, pad=True))]
    if temperature is not None:
        columns.append(("temperature_c", float_column(temperature, align="right")))
    body = series_json({"meter_id": meter_id, "site_timezone": zone, "next": nxt}, "intervals",
                       int(starts.size), columns)
    return Response(body, media_type=JSON)


def _first_intervals(store: Store, meter: Meter, start_s: int | None, end_s: int | None,
                     rows: int) -> IntervalArrays:
    """At least the first ``rows`` intervals of ``[start_s, end_s)`` (all of them if fewer).

    A page of a long range is read from a window of ``rows`` quarter-hours first: if the window
    holds ``rows`` intervals they are the first ``rows`` of the range (rows are sorted by start);
    otherwise (gaps, or no start) the whole range is read.
    """
    if start_s is not None:
        window_end_s = start_s + rows * INTERVAL_LENGTH_S
        if end_s is None or window_end_s < end_s:
            window = store.get_intervals(meter.meter_id, start_s, window_end_s,
                                         site_id=meter.site_id)
            if len(window) >= rows:
                return window
    return store.get_intervals(meter.meter_id, start_s, end_s, site_id=meter.site_id)


def _offset_text(offset_s: int) -> str:
    sign = "+" if offset_s >= 0 else "-"
    hours, minutes = divmod(abs(offset_s) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


PeriodQuery = Annotated[Literal["hourly", "daily", "monthly"],
                        Query(description="calendar period in the site's time zone")]
RequiredStart = Annotated[str, Query(description="inclusive start, ISO 8601 with offset; "
                                     "widened to the start of its local period",
                                     json_schema_extra={"format": "date-time"})]
RequiredEnd = Annotated[str, Query(description="exclusive end, ISO 8601 with offset; "
                                   "widened to the end of its local period",
                                   json_schema_extra={"format": "date-time"})]


@router.get("/meters/{meter_id}/rollup", response_model=RollupOut,
            responses={**ERRORS, **CSV_OR_JSON},
            summary="A meter's energy per local hour, day or month")
def get_rollup(request: Request, meter_id: str, store: StoreDep, token: DataToken,
               period: PeriodQuery, start: RequiredStart, end: RequiredEnd,
               fmt: FormatQuery = None, view: ViewQuery = "raw",
               site_id: SiteQuery = None) -> Response:
    """Buckets are the site's civil periods: a spring-forward day expects 92 quarter-hours, a
    fall-back day 100, the repeated hour appears twice (two UTC starts, two offsets).  Each
    bucket gives ``energy_wh`` of the intervals present and ``intervals_expected`` /
    ``intervals_present``, so gaps show; a bucket with no interval has ``energy_wh`` null.
    ``view=validated`` rolls up VEE's validated values."""
    meter, zone_name = _meter_and_zone(store, token, meter_id, site_id)
    start_s, end_s = _range(start, end)
    if start_s is None or end_s is None:  # pragma: no cover - both are required parameters
        raise ApiError(422, "request.invalid", "start and end are required")
    if not (start_s >= _EPOCH_FLOOR_S and end_s <= _YEAR_9000_S):
        raise ApiError(400, "request.bad_input",
                       "roll-ups cover 1970-01-02 to 9000-01-01 (start/end out of range)")
    if end_s - start_s > _ROLLUP_SPAN_MAX_S:
        raise ApiError(400, "request.bad_input", "a roll-up covers at most 20 years")
    if period == "hourly" and (end_s - start_s) // 3600 > ROLLUP_BUCKETS_MAX:
        raise ApiError(400, "request.bad_input",
                       f"at most {ROLLUP_BUCKETS_MAX} hourly buckets: shorten the range or "
                       "use period=daily")
    csv = wants_csv(request, fmt)
    if csv:
        check_export(request, token)
    margin_s = {"hourly": 3600, "daily": 2 * 86_400, "monthly": 32 * 86_400}[period]
    arrays = interval_series(store, meter_id, start_s - margin_s, end_s + margin_s, view=view,
                             site_id=meter.site_id)
    result = rollup(arrays.start_s, arrays.energy_wh, start_s=start_s, end_s=end_s,
                    period=period, timezone=zone_name)
    offsets = utc_offsets_s(result.start_s, site_zone(zone_name))
    if csv:
        local = [format_utc(int(w)).removesuffix("Z") + _offset_text(int(o))
                 for w, o in zip((result.start_s + offsets).tolist(), offsets.tolist(),
                                 strict=True)]
        header = ["meter_id", "period", "start", "end", "local_start", "energy_wh",
                  "intervals_expected", "intervals_present"]
        rows = [[meter_id, period, format_utc(int(s)), format_utc(int(e)), ls,
                 None if math.isnan(en) else en, ex, pr]
                for s, e, ls, en, ex, pr in zip(
                    result.start_s.tolist(), result.end_s.tolist(), local,
                    result.energy_wh.tolist(), result.intervals_expected.tolist(),
                    result.intervals_present.tolist(), strict=True)]
        return Response(rows_csv(header, rows), media_type=CSV_MEDIA_TYPE)
    body = series_json(
        {"meter_id": meter_id, "period": period, "site_timezone": zone_name}, "buckets",
        len(result),
        [("start", iso_utc_column(result.start_s, quote=True)),
         ("end", iso_utc_column(result.end_s, quote=True)),
         ("local_start", iso_local_column(result.start_s, offsets, quote=True)),
         ("energy_wh", float_column(result.energy_wh, align="right")),
         ("intervals_expected", int_column(result.intervals_expected, align="right")),
         ("intervals_present", int_column(result.intervals_present, align="right"))])
    return Response(body, media_type=JSON)


@router.get("/meters/{meter_id}/registers", response_model=RegistersPage,
            responses={**ERRORS, **CSV_OR_JSON}, summary="A meter's register reads")
def get_registers(request: Request, meter_id: str, store: StoreDep, token: DataToken,
                  start: StartQuery = None, end: EndQuery = None,
                  limit: SeriesLimitQuery = INTERVALS_LIMIT_DEFAULT,
                  fmt: FormatQuery = None, site_id: SiteQuery = None) -> Response:
    """Cumulative register totals [Wh] read with ``start <= t < end``, oldest first.  Reads of
    a TOU variant carry ``tou_wh``: each TOU register [Wh] by the site's period name."""
    meter, _ = _meter_and_zone(store, token, meter_id, site_id)
    start_s, end_s = _range(start, end)
    csv = wants_csv(request, fmt)
    if csv:
        check_export(request, token)
    reads = store.get_register_reads(meter_id, start_s, end_s, site_id=meter.site_id)
    t_s, register_wh = reads.t_s, reads.register_wh
    nxt = None
    if t_s.size > limit:
        nxt = next_url(request, start=format_utc(int(t_s[limit])))
        t_s, register_wh = t_s[:limit], register_wh[:limit]
    tou = (_tou_by_read(store, meter, t_s)
           if any(has_tou(m) for m in _models(store, meter)) else None)
    if csv:
        names = sorted({name for row in tou or [] if row for name in row},
                       key=lambda n: (not n.startswith("register_"), n))
        header = ["meter_id", "t", "register_wh", *(f"tou_{n}_wh" for n in names)]
        rows = [[meter_id, format_utc(int(t)), wh,
                 *(((tou[i] or {}).get(n) if tou is not None else None) for n in names)]
                for i, (t, wh) in enumerate(zip(t_s.tolist(), register_wh.tolist(),
                                                strict=True))]
        return Response(rows_csv(header, rows), media_type=CSV_MEDIA_TYPE)
    register = np.where(np.isfinite(register_wh), register_wh, 0.0)
    columns = [("t", iso_utc_column(t_s, quote=True)),
               ("register_wh", float_column(register, align="right"))]
    if tou is not None:
        columns.append(("tou_wh", text_column([orjson.dumps(row).decode() for row in tou])))
    body = series_json({"meter_id": meter_id, "next": nxt}, "reads", int(t_s.size), columns)
    return Response(body, media_type=JSON)


# -- the site-qualified forms ---------------------------------------------------------------


@router.get("/sites/{site_id}/meters/{meter_id}/intervals", response_model=IntervalsPage,
            responses={**ERRORS, **CSV_OR_JSON}, summary="A site's meter's 15-minute intervals")
def get_site_intervals(request: Request, site_id: str, meter_id: str, store: StoreDep,
                       token: DataToken, start: StartQuery = None, end: EndQuery = None,
                       limit: SeriesLimitQuery = INTERVALS_LIMIT_DEFAULT,
                       fmt: FormatQuery = None, view: ViewQuery = "raw") -> Response:
    """As ``/meters/{meter_id}/intervals``, for the meter of that id at ``site_id``."""
    return get_intervals(request, meter_id, store, token, start, end, limit, fmt, view,
                         site_id)


@router.get("/sites/{site_id}/meters/{meter_id}/rollup", response_model=RollupOut,
            responses={**ERRORS, **CSV_OR_JSON},
            summary="A site's meter's energy per local hour, day or month")
def get_site_rollup(request: Request, site_id: str, meter_id: str, store: StoreDep,
                    token: DataToken, period: PeriodQuery, start: RequiredStart,
                    end: RequiredEnd, fmt: FormatQuery = None,
                    view: ViewQuery = "raw") -> Response:
    """As ``/meters/{meter_id}/rollup``, for the meter of that id at ``site_id``."""
    return get_rollup(request, meter_id, store, token, period, start, end, fmt, view, site_id)


@router.get("/sites/{site_id}/meters/{meter_id}/registers", response_model=RegistersPage,
            responses={**ERRORS, **CSV_OR_JSON}, summary="A site's meter's register reads")
def get_site_registers(request: Request, site_id: str, meter_id: str, store: StoreDep,
                       token: DataToken, start: StartQuery = None, end: EndQuery = None,
                       limit: SeriesLimitQuery = INTERVALS_LIMIT_DEFAULT,
                       fmt: FormatQuery = None) -> Response:
    """As ``/meters/{meter_id}/registers``, for the meter of that id at ``site_id``."""
    return get_registers(request, meter_id, store, token, start, end, limit, fmt, site_id)
