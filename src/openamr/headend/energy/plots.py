"""PNG and SVG plots of an :class:`~.report.EnergyReport`, for statements and reports.

Stable signatures (billing's statements call them)::

    plot_usage(report, *, period="daily", fmt="png", width_px=800, height_px=300, dpi=100,
               title=None) -> bytes
    plot_load_profile(report, *, fmt="png", width_px=800, height_px=300, dpi=100,
                      title=None) -> bytes
    plot_heatmap(report, *, fmt="png", width_px=800, height_px=400, dpi=100,
                 title=None) -> bytes

Each returns the encoded image: a PNG of exactly ``width_px`` × ``height_px`` pixels, or an SVG
of that size in points at ``dpi``.  matplotlib runs headless through its Agg canvas on a
private ``Figure`` (no pyplot state, safe from several threads); SVG output carries no date
and a fixed hash salt, so the same report gives the same bytes.  Days without data are drawn
as gaps, never as zero bars.
"""

from __future__ import annotations

import io
from typing import Any, Literal

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from openamr.errors import InputError
from openamr.headend.energy.render import usage_labels
from openamr.headend.energy.report import EnergyReport
from openamr.units import WH_PER_KWH

__all__ = ["FORMATS", "PLOT_KINDS", "plot_heatmap", "plot_load_profile", "plot_report",
           "plot_usage"]

FORMATS: tuple[str, ...] = ("png", "svg")
PLOT_KINDS: tuple[str, ...] = ("usage", "monthly", "profile", "heatmap")
"""What :func:`plot_report` draws: kWh per day, kWh per month, the average day, the heatmap."""

Format = Literal["png", "svg"]

_MAX_PX = 8000


def _figure(width_px: int, height_px: int, dpi: int) -> Figure:
    if not (16 <= width_px <= _MAX_PX and 16 <= height_px <= _MAX_PX):
        raise InputError(f"plot size {width_px}x{height_px} px is outside 16-{_MAX_PX}",
                         where="width_px")
    if not 10 <= dpi <= 600:
        raise InputError(f"dpi {dpi} is outside 10-600", where="dpi")
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _encode(fig: Figure, fmt: str, dpi: int) -> bytes:
    if fmt not in FORMATS:
        raise InputError(f"unknown plot format {fmt!r} (use png or svg)", where="fmt")
    buffer = io.BytesIO()
    metadata: dict[str, Any] = ({"Date": None, "Creator": "openamr"} if fmt == "svg"
                                else {"Software": "openamr"})
    with mpl.rc_context({"svg.hashsalt": "openamr", "svg.fonttype": "path"}):
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
    return buffer.getvalue()


def _title(report: EnergyReport, what: str, title: str | None) -> str:
    if title is not None:
        return title
    s = report.subject
    return (f"{what}: {s.kind} {s.subject_id}, {report.first_day.isoformat()} to "
            f"{report.last_day.isoformat()}")


def plot_usage(report: EnergyReport, *, period: str = "daily", fmt: Format = "png",
               width_px: int = 800, height_px: int = 300, dpi: int = 100,
               title: str | None = None) -> bytes:
    """Bars of energy [kWh] per civil day (``period="daily"``) or month (``"monthly"``)."""
    if period not in ("daily", "monthly"):
        raise InputError(f"unknown period {period!r} (use daily or monthly)", where="period")
    table = report.daily if period == "daily" else report.monthly
    fig = _figure(width_px, height_px, dpi)
    ax = fig.add_subplot()
    kwh = table.energy_wh / WH_PER_KWH
    x = np.arange(len(table))
    shown = np.isfinite(kwh)
    ax.bar(x[shown], kwh[shown], width=0.8, color="#2b6cb0")
    labels = [label[5:] if period == "daily" else label
              for label in usage_labels(table, report)]
    step = max(1, len(labels) // 12)
    ax.set_xticks(x[::step], labels[::step], rotation=0, fontsize=8)
    ax.set_xlim(-0.6, max(len(x), 1) - 0.4)
    ax.set_ylabel("kWh")
    ax.set_title(_title(report, "Energy per day" if period == "daily" else "Energy per month",
                        title), fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    return _encode(fig, fmt, dpi)


def plot_load_profile(report: EnergyReport, *, fmt: Format = "png", width_px: int = 800,
                      height_px: int = 300, dpi: int = 100, title: str | None = None) -> bytes:
    """The average day: mean power [kW] by local hour, weekdays and weekends."""
    fig = _figure(width_px, height_px, dpi)
    ax = fig.add_subplot()
    hours = np.arange(24)
    prof = report.profile
    ax.step(hours, prof.weekday_power_w / 1000, where="post", label="weekdays", color="#2b6cb0")
    ax.step(hours, prof.weekend_power_w / 1000, where="post", label="weekends", color="#dd6b20")
    ax.set_xticks(range(0, 24, 3))
    ax.set_xlim(0, 23)
    ax.set_xlabel("local hour")
    ax.set_ylabel("kW")
    ax.legend(fontsize=8)
    ax.set_title(_title(report, "Average day", title), fontsize=9)
    ax.grid(alpha=0.3)
    return _encode(fig, fmt, dpi)


def plot_heatmap(report: EnergyReport, *, fmt: Format = "png", width_px: int = 800,
                 height_px: int = 400, dpi: int = 100, title: str | None = None) -> bytes:
    """Energy [Wh] per civil day (x) and wall-clock quarter-hour (y); no data is blank."""
    fig = _figure(width_px, height_px, dpi)
    ax = fig.add_subplot()
    matrix = np.ma.masked_invalid(report.heatmap.energy_wh.T)
    image = ax.imshow(matrix, aspect="auto", origin="lower", interpolation="nearest",
                      cmap="viridis", extent=(-0.5, report.grid.calendar.days - 0.5, 0, 24))
    fig.colorbar(image, ax=ax, label="Wh per 15 min")
    ax.set_yticks(range(0, 25, 6))
    ax.set_ylabel("local time [h]")
    dates = report.grid.calendar.dates
    step = max(1, len(dates) // 10)
    ax.set_xticks(range(0, len(dates), step), [d.isoformat()[5:] for d in dates[::step]],
                  fontsize=8)
    ax.set_title(_title(report, "Heatmap", title), fontsize=9)
    return _encode(fig, fmt, dpi)


def plot_report(report: EnergyReport, kind: str = "usage", fmt: str = "png") -> bytes:
    """One of :data:`PLOT_KINDS` at its default size, in ``fmt`` (``png`` | ``svg``): the CLI's
    ``--plot`` and the API's ``format=png|svg``."""
    if fmt not in FORMATS:
        raise InputError(f"unknown plot format {fmt!r} (use png or svg)", where="fmt")
    image: Format = "svg" if fmt == "svg" else "png"
    if kind in ("usage", "monthly"):
        return plot_usage(report, fmt=image, period="daily" if kind == "usage" else "monthly")
    if kind == "profile":
        return plot_load_profile(report, fmt=image)
    if kind == "heatmap":
        return plot_heatmap(report, fmt=image)
    raise InputError(f"unknown plot {kind!r} (use one of {', '.join(PLOT_KINDS)})",
                     where="plot")
