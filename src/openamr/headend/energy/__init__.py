"""Energy management: usage, load profile, heatmap, peak demand and comparisons, from the store.

Three layers (``docs/energy.md``): pure vectorised figures of a local 15-minute grid
(:mod:`.grid`, :mod:`.analysis`), the report of a meter, unit or site (:mod:`.report`, which
reads the store), and its outputs: JSON and tables (:mod:`.render`) and PNG/SVG plots
(:mod:`.plots`, imported on use: it loads matplotlib).
"""

from __future__ import annotations

from openamr.headend.energy.analysis import (
    FLOOR_AREA_BANDS_M2,
    Change,
    Heatmap,
    LoadProfile,
    PeakDemand,
    Usage,
    change,
    floor_area_band,
    heatmap,
    load_profile,
    peak_demand,
    usage,
)
from openamr.headend.energy.grid import EnergyGrid, energy_grid
from openamr.headend.energy.render import report_csv, report_json, report_table
from openamr.headend.energy.report import (
    NOT_CONSUMPTION_KINDS,
    EnergyReport,
    MeterTotal,
    PreviousPeriod,
    SimilarUnits,
    Subject,
    energy_report,
    previous_range,
)

__all__ = [
    "FLOOR_AREA_BANDS_M2",
    "NOT_CONSUMPTION_KINDS",
    "Change",
    "EnergyGrid",
    "EnergyReport",
    "Heatmap",
    "LoadProfile",
    "MeterTotal",
    "PeakDemand",
    "PreviousPeriod",
    "SimilarUnits",
    "Subject",
    "Usage",
    "change",
    "energy_grid",
    "energy_report",
    "floor_area_band",
    "heatmap",
    "load_profile",
    "peak_demand",
    "previous_range",
    "report_csv",
    "report_json",
    "report_table",
    "usage",
]
