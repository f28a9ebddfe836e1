"""The usage plot of a statement: daily kWh of the billed days as a bar chart (PNG).

matplotlib with the Agg backend (no display).  The energy-management room
(``openamr.headend.energy.plots``) draws the dashboard's plots; this small one stays here so a
statement needs nothing but its bill's own days.  Days with estimated or missing data are
hatched and named in the legend.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

__all__ = ["usage_plot_png"]


def usage_plot_png(days: Sequence[date], energy_kwh: Sequence[float],
                   flagged: Sequence[bool], *, title: str, width_px: int = 720,
                   height_px: int = 260, dpi: int = 96) -> bytes:
    """A PNG of daily energy [kWh]; ``flagged`` days (estimated or incomplete) are hatched."""
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    ax = fig.add_subplot(1, 1, 1)
    x = list(range(len(days)))
    good = [0.0 if f else e for e, f in zip(energy_kwh, flagged, strict=True)]
    bad = [e if f else 0.0 for e, f in zip(energy_kwh, flagged, strict=True)]
    ax.bar(x, good, color="#2f6f9f", label="measured")
    if any(flagged):
        ax.bar(x, bad, color="#d9a441", hatch="//", label="estimated or incomplete")
        ax.legend(loc="upper right", fontsize=8, frameon=False)
    step = max(1, len(days) // 10)
    ax.set_xticks(x[::step], [d.strftime("%d %b") for d in days][::step], fontsize=8)
    ax.set_ylabel("kWh per day", fontsize=9)
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
