"""Energy management (``docs/energy.md``): the report of a meter, a unit or a site over civil
dates, as JSON (the dashboard), CSV (daily and monthly rows) or a PNG/SVG plot.

``from`` and ``to`` are civil dates of the site's zone, ``to`` inclusive (as the CLI).
Permission ``data.read`` (CSV also ``data.export``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from openamr.headend.api.csv_render import CSV_MEDIA_TYPE
from openamr.headend.api.deps import check_export, get_store, require
from openamr.headend.api.errors import ApiError
from openamr.headend.api.responses import ERRORS
from openamr.headend.energy import energy_report, report_csv, report_json
from openamr.headend.energy.report import EnergyReport
from openamr.headend.store.base import Store, TokenRow

__all__ = ["router"]

router = APIRouter(tags=["energy"])

StoreDep = Annotated[Store, Depends(get_store)]
DataToken = Annotated[TokenRow, Depends(require("data.read"))]
IdPath = Annotated[str, Path(min_length=1, max_length=64)]
FromQuery = Annotated[date, Query(alias="from", description="first civil day (site's zone), "
                                  "YYYY-MM-DD")]
ToQuery = Annotated[date, Query(alias="to", description="last civil day, inclusive, "
                                "YYYY-MM-DD")]
EnergyFormat = Annotated[Literal["json", "csv", "png", "svg"], Query(
    alias="format", description="json (default), csv (daily and monthly rows), png or svg "
                                "(a plot: see plot)")]
PlotQuery = Annotated[Literal["usage", "monthly", "profile", "heatmap"], Query(
    description="with format=png|svg: kWh per day (usage), per month (monthly), the "
                "average day (profile) or the day x quarter-hour heatmap")]
SiteQuery = Annotated[str | None, Query(max_length=64, description="the unit's site, when "
                                        "the id exists in several")]

_RESPONSES: dict[int | str, dict[str, object]] = {
    **ERRORS,
    200: {"content": {"text/csv": {"schema": {"type": "string"}},
                      "image/png": {"schema": {"type": "string", "format": "binary"}},
                      "image/svg+xml": {"schema": {"type": "string"}}},
          "description": "JSON; CSV with format=csv; a plot with format=png|svg"},
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SubjectOut(_Model):
    kind: Literal["meter", "unit", "site"]
    id: str
    site_id: str
    unit_id: str | None
    meter_ids: list[str] = Field(description="the meters summed")


class TotalOut(_Model):
    energy_wh: float | None = Field(description="sum of the intervals present [Wh]; null "
                                    "without data")
    intervals_expected: int
    intervals_present: int = Field(description="quarter-hours every meter reported")


class PeakOut(_Model):
    demand_w: float | None = Field(description="highest 15-minute demand [W]")
    start: str = Field(description="start of that interval (ISO 8601 UTC)")
    local_start: str = Field(description="the same in the site's civil time, with offset")


class _UsageFields(_Model):
    start: str
    end: str
    energy_wh: float | None = Field(description="[Wh]; null when no interval is present")
    intervals_expected: int
    intervals_present: int
    peak_demand_w: float | None
    peak_start: str | None


class DailyOut(_UsageFields):
    date: str = Field(description="civil day, YYYY-MM-DD")


class MonthlyOut(_UsageFields):
    month: str = Field(description="YYYY-MM (clipped to the range)")


class LoadProfileOut(_Model):
    hours: list[int]
    weekday_power_w: list[float | None] = Field(description="mean power by local hour [W]")
    weekend_power_w: list[float | None]
    all_power_w: list[float | None]


class HeatmapOut(_Model):
    dates: list[str]
    columns: int = Field(description="wall-clock quarter-hours per row (96)")
    column_minutes: int
    energy_wh: list[list[float | None]] = Field(description="[day][quarter-hour] energy [Wh]")


class PreviousOut(_Model):
    from_: str = Field(alias="from")
    to: str
    energy_wh: float | None
    change_wh: float | None
    change_pct: float | None


class SimilarOut(_Model):
    unit_id: str
    kind: str
    floor_area_band_m2: list[float | None] | None = Field(
        description="[low, high) of the floor-area band [m²]; high null = no upper bound")
    peer_ids: list[str]
    energy_wh: float | None
    peer_median_wh: float | None
    peer_mean_wh: float | None
    rank: int = Field(description="1 = the lowest use among the unit and its peers with data")
    ranked: int
    energy_per_m2_wh: float | None
    peer_median_per_m2_wh: float | None
    change_wh: float | None = Field(description="the unit minus the peers' median [Wh]")
    change_pct: float | None


class MeterTotalOut(_Model):
    meter_id: str
    unit_id: str | None
    included: bool
    energy_wh: float | None
    intervals_present: int
    peak_demand_w: float | None


class EnergyOut(_Model):
    """The energy report (``docs/energy.md``)."""

    subject: SubjectOut
    site_timezone: str
    from_: str = Field(alias="from")
    to: str
    start: str
    end: str
    total: TotalOut
    peak_demand: PeakOut | None
    daily: list[DailyOut]
    monthly: list[MonthlyOut]
    load_profile: LoadProfileOut
    heatmap: HeatmapOut
    previous_period: PreviousOut
    similar_units: SimilarOut | None
    similar_units_note: str
    meters: list[MeterTotalOut]


_FIRST_DAY = date(1971, 1, 1)
_LAST_DAY = date(8999, 12, 31)


def _answer(request: Request, token: TokenRow, report: EnergyReport, fmt: str,
            plot: str) -> Response:
    if fmt == "csv":
        check_export(request, token)
        return Response(report_csv(report), media_type=CSV_MEDIA_TYPE)
    if fmt in ("png", "svg"):
        from openamr.headend.energy.plots import plot_report

        return Response(plot_report(report, plot, fmt),
                        media_type="image/png" if fmt == "png" else "image/svg+xml")
    return Response(orjson.dumps(report_json(report)), media_type="application/json")


def _dates(first: date, last: date) -> None:
    if not (_FIRST_DAY <= first <= _LAST_DAY and _FIRST_DAY <= last <= _LAST_DAY):
        raise ApiError(400, "request.bad_input",
                       f"dates must lie between {_FIRST_DAY} and {_LAST_DAY}")
    if last < first:
        raise ApiError(400, "request.bad_input", f"to ({last}) is before from ({first})")


@router.get("/meters/{meter_id}/energy", response_model=EnergyOut, responses=_RESPONSES,
            summary="A meter's energy report: usage, load profile, heatmap, peak, comparisons")
def meter_energy(request: Request, meter_id: IdPath, store: StoreDep, token: DataToken,
                 first: FromQuery, last: ToQuery, fmt: EnergyFormat = "json",
                 plot: PlotQuery = "usage") -> Response:
    _dates(first, last)
    if store.get_meter(meter_id) is None:
        raise ApiError(404, "not_found.meter", f"no meter {meter_id!r}")
    return _answer(request, token, energy_report(store, first, last, meter_id=meter_id),
                   fmt, plot)


@router.get("/units/{unit_id}/energy", response_model=EnergyOut, responses=_RESPONSES,
            summary="A unit's energy report (the sum of its meters)")
def unit_energy(request: Request, unit_id: IdPath, store: StoreDep, token: DataToken,
                first: FromQuery, last: ToQuery, fmt: EnergyFormat = "json",
                plot: PlotQuery = "usage", site_id: SiteQuery = None) -> Response:
    _dates(first, last)
    unit = store.get_unit(unit_id, site_id=site_id)
    if unit is None:
        raise ApiError(404, "not_found.unit", f"no unit {unit_id!r}")
    return _answer(request, token, energy_report(store, first, last, unit_id=unit_id,
                                                 site_id=unit.site_id), fmt, plot)


@router.get("/sites/{site_id}/energy", response_model=EnergyOut, responses=_RESPONSES,
            summary="A site's energy report (its consumption meters) with each meter's total")
def site_energy(request: Request, site_id: IdPath, store: StoreDep, token: DataToken,
                first: FromQuery, last: ToQuery, fmt: EnergyFormat = "json",
                plot: PlotQuery = "usage") -> Response:
    _dates(first, last)
    if store.get_site(site_id) is None:
        raise ApiError(404, "not_found.site", f"no site {site_id!r}")
    return _answer(request, token, energy_report(store, first, last, site_id=site_id),
                   fmt, plot)
