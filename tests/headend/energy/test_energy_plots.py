"""Plots decode, have the size asked for, and are reproducible (SVG)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import date

import numpy as np
import pytest
from energy_seed import seed_energy
from PIL import Image

from openamr.errors import InputError
from openamr.headend.energy import EnergyReport, energy_report
from openamr.headend.energy.plots import (
    PLOT_KINDS,
    plot_heatmap,
    plot_load_profile,
    plot_report,
    plot_usage,
)
from openamr.headend.store import open_store


@pytest.fixture(scope="module")
def report() -> EnergyReport:
    with open_store(":memory:") as store:
        seed_energy(store)
        return energy_report(store, date(2026, 3, 1), date(2026, 3, 14), meter_id="m-102")


@pytest.mark.parametrize(("draw", "size"), [(plot_usage, (640, 240)),
                                            (plot_load_profile, (500, 300)),
                                            (plot_heatmap, (900, 450))])
def test_png_decodes_at_the_size_asked(report: EnergyReport, draw: object,
                                       size: tuple[int, int]) -> None:
    data = draw(report, fmt="png", width_px=size[0], height_px=size[1])  # type: ignore[operator]
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    assert image.size == size
    # something is drawn: more than a blank canvas
    pixels = np.asarray(image.convert("L"))
    assert len(np.unique(pixels)) > 10


def test_usage_bars_leave_days_without_data_empty(report: EnergyReport) -> None:
    with open_store(":memory:") as store:
        seed_energy(store)
        sparse = energy_report(store, date(2026, 3, 25), date(2026, 4, 5), meter_id="m-102")
    assert np.isnan(sparse.daily.energy_wh[-5:]).all()
    image = Image.open(io.BytesIO(plot_usage(sparse, width_px=800, height_px=300)))
    assert image.size == (800, 300)


def test_svg_is_well_formed_sized_and_reproducible(report: EnergyReport) -> None:
    first = plot_usage(report, fmt="svg", width_px=800, height_px=300, dpi=100)
    assert first == plot_usage(report, fmt="svg", width_px=800, height_px=300, dpi=100)
    root = ET.fromstring(first)
    assert root.tag.endswith("svg")
    assert root.attrib["width"] == "576pt"  # 800 px at 100 dpi = 8 in = 576 pt
    assert root.attrib["height"] == "216pt"


@pytest.mark.parametrize("kind", PLOT_KINDS)
def test_every_kind_of_plot_report(report: EnergyReport, kind: str) -> None:
    assert plot_report(report, kind, "png").startswith(b"\x89PNG\r\n\x1a\n")


def test_bad_plot_requests(report: EnergyReport) -> None:
    with pytest.raises(InputError, match="png or svg"):
        plot_report(report, "usage", "gif")
    with pytest.raises(InputError, match="unknown plot"):
        plot_report(report, "pie", "png")
    with pytest.raises(InputError, match="outside"):
        plot_usage(report, width_px=5)
    with pytest.raises(InputError, match="unknown period"):
        plot_usage(report, period="weekly")
