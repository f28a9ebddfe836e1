"""The network map and floor plans: every device drawn, edges in the margin bands."""

from __future__ import annotations

import re

import pytest

from openamr.web.health import LED_PATTERNS, DeviceHealth
from openamr.web.svg import floor_plan_svg, margin_band, network_map_svg


def _h(i: int, role: str, parent: str | None, margin: float | None, floor: int = 0
       ) -> DeviceHealth:
    return DeviceHealth(f"{i:016x}", "s", role, f"D{i}", f"M{i}" if role == "mdt" else None,
                        "joined", LED_PATTERNS["joined"], parent, None, None, None, margin,
                        None, None, None, None, None, None, None, None, None, None, floor,
                        float(i), 2.0, "open")


@pytest.mark.parametrize(("margin", "band"), [(9.99, "red"), (10.0, "amber"), (19.9, "amber"),
                                              (20.0, "green"), (None, "unknown")])
def test_margin_bands(margin: float | None, band: str) -> None:
    assert margin_band(margin) == band


def test_every_device_and_edge_is_drawn() -> None:
    rows = [_h(0, "dcap", None, None), _h(1, "repeater", f"{0:016x}", 30.0)]
    rows += [_h(i, "mdt", f"{1:016x}" if i % 2 else f"{0:016x}", 5.0 * i) for i in range(2, 9)]
    rows.append(_h(9, "mdt", None, None))  # parent unknown: on the outer ring
    rows.append(_h(10, "mdt", f"{99:016x}", 12.0))  # parent not in the table: orphan too
    svg = network_map_svg(rows)
    ids = re.findall(r'<g class="dev" data-device-id="([0-9a-f]+)"', svg)
    assert sorted(ids) == sorted(h.device_id for h in rows)
    edges = dict(re.findall(r'data-child="([0-9a-f]+)" data-band="(\w+)"', svg))
    assert edges == {h.device_id: margin_band(h.margin_db) for h in rows
                     if h.role != "dcap" and h.label not in ("D9", "D10")}
    assert "parent not reported yet" in svg


def test_a_parent_cycle_does_not_hang_or_lose_devices() -> None:
    rows = [_h(0, "dcap", None, None), _h(1, "repeater", f"{2:016x}", 20.0),
            _h(2, "repeater", f"{1:016x}", 20.0)]
    ids = re.findall(r'data-device-id="([0-9a-f]+)"', network_map_svg(rows))
    assert sorted(ids) == sorted(h.device_id for h in rows)


def test_floor_plan_shows_only_its_floor_and_links_meters() -> None:
    rows = [_h(0, "dcap", None, None, 0), _h(1, "mdt", None, None, 0),
            _h(2, "mdt", None, None, 1)]
    svg = floor_plan_svg(rows, 0, meter_href="/meters/", meter_query="?site=s")
    ids = re.findall(r'data-device-id="([0-9a-f]+)"', svg)
    assert sorted(ids) == [f"{0:016x}", f"{1:016x}"]
    assert 'href="/meters/M1?site=s"' in svg
