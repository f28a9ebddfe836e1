"""Server-side SVG drawings: the network map and the floor plans.

Both are plain SVG strings (no script), scaled by their ``viewBox`` to the page, so they work on
a phone and in print.  Every device is one ``<g class="dev">`` with ``data-device-id``,
``data-role`` and ``data-state`` attributes and a ``<title>`` (the browser's tool-tip and the
screen reader's name); colour is never the only carrier: states also differ in the legend text
and the title, roles in shape.

The network map is radial: the DCAP in the centre, each device on the ring of its depth in the
routing tree (parent links from the devices' latest status), each subtree in an angular sector
sized by its number of leaves.  Edges are coloured by the child's parent-link margin:
red below 10 dB, amber 10–20 dB, green from 20 dB (:func:`margin_band`).  Devices with no known
parent sit on an outer ring, undrawn edges.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from urllib.parse import quote

from openamr.web.health import DeviceHealth

__all__ = ["STATE_COLOURS", "floor_plan_svg", "margin_band", "network_map_svg"]

STATE_COLOURS: dict[str, str] = {
    "joined": "#1a7f37",
    "late": "#b35900",
    "silent": "#c62828",
    "not_heard": "#6e7781",
}
"""Fill colour per join state (each at least 4.5:1 against white)."""

BAND_COLOURS: dict[str, str] = {"red": "#c62828", "amber": "#b35900", "green": "#1a7f37",
                                "unknown": "#8c959f"}


def margin_band(margin_db: float | None) -> str:
    """``red`` (< 10 dB), ``amber`` (10–20 dB), ``green`` (≥ 20 dB) or ``unknown``."""
    if margin_db is None or margin_db != margin_db:
        return "unknown"
    if margin_db < 10.0:
        return "red"
    if margin_db < 20.0:
        return "amber"
    return "green"


def _title(h: DeviceHealth) -> str:
    bits = [f"{h.label} ({h.role}, {h.join_state.replace('_', ' ')})"]
    if h.parent_label:
        bits.append(f"parent {h.parent_label}")
    if h.margin_db is not None:
        bits.append(f"margin {h.margin_db:.1f} dB")
    if h.rssi_dbm is not None:
        bits.append(f"RSSI {h.rssi_dbm} dBm")
    return escape(", ".join(bits))


def _marker(h: DeviceHealth, x: float, y: float, r: float) -> str:
    """One device: shape by role, fill by state (``fill`` attribute; the page's CSS may
    override), a ``<title>`` for the tool-tip and screen readers."""
    fill = STATE_COLOURS.get(h.join_state, "#6e7781")
    if h.role == "dcap":
        k = r * 1.4
        shape = (f'<rect x="{x - k:.0f}" y="{y - k:.0f}" width="{2 * k:.0f}" height="{2 * k:.0f}" '
                 f'fill="{fill}" stroke="#111" stroke-width="1.5"/>')
    elif h.role == "repeater":
        k = r * 1.6
        shape = (f'<polygon points="{x:.0f},{y - k:.0f} {x - k:.0f},{y + k * 0.8:.0f} '
                 f'{x + k:.0f},{y + k * 0.8:.0f}" fill="{fill}" stroke="#111"/>')
    else:
        shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:g}" fill="{fill}"/>'
    return (f'<g class="dev" data-device-id="{escape(h.device_id)}" data-role="{h.role}" '
            f'data-state="{h.join_state}"><title>{_title(h)}</title>{shape}</g>')


def network_map_svg(rows: Sequence[DeviceHealth]) -> str:
    """The routing tree of one site as a radial SVG (see the module docstring)."""
    by_id = {h.device_id: h for h in rows}
    root = next((h for h in rows if h.role == "dcap"), None)
    children: dict[str, list[str]] = {h.device_id: [] for h in rows}
    orphans: list[DeviceHealth] = []
    for h in rows:
        if h is root:
            continue
        if h.parent_id in by_id and h.parent_id != h.device_id:
            children[h.parent_id].append(h.device_id)
        else:
            orphans.append(h)
    placed: dict[str, tuple[float, float, int]] = {}  # id -> (angle, unused, depth)
    leaves: dict[str, int] = {}

    def count(node: str, seen: set[str]) -> int:
        seen.add(node)
        kids = [c for c in children[node] if c not in seen]
        children[node] = kids
        n = sum(count(c, seen) for c in kids) if kids else 1
        leaves[node] = n
        return n

    if root is not None:
        count(root.device_id, set())
        stack = [(root.device_id, 0.0, 2 * math.pi, 0)]
        while stack:
            node, a0, a1, depth = stack.pop()
            placed[node] = ((a0 + a1) / 2, 0.0, depth)
            a = a0
            kids = sorted(children[node], key=lambda c: (by_id[c].role != "repeater",
                                                          by_id[c].label))
            for c in kids:
                span = (a1 - a0) * leaves[c] / max(leaves[node], 1)
                stack.append((c, a, a + span, depth + 1))
                a += span
    # devices in a cycle or under an orphan subtree are orphans too
    orphans += [h for h in rows if h.device_id not in placed and h is not root
                and h not in orphans]
    max_depth = max((d for _, _, d in placed.values()), default=0)
    outer = max(len([p for p in placed.values() if p[2] == max_depth]), len(orphans), 1)
    ring = max(90.0, outer * 7.0 / (2 * math.pi) / max(max_depth + (1 if orphans else 0), 1))
    orphan_depth = max_depth + 1
    for i, h in enumerate(orphans):
        placed[h.device_id] = (2 * math.pi * (i + 0.5) / len(orphans), 0.0, orphan_depth)
    extent = ring * (orphan_depth if orphans else max(max_depth, 1)) + 40

    def xy(node: str) -> tuple[float, float]:
        angle, _, depth = placed[node]
        return (extent + ring * depth * math.sin(angle), extent - ring * depth * math.cos(angle))

    edges: list[str] = []
    nodes: list[str] = []
    for h in rows:
        if h.device_id not in placed:
            continue
        x, y = xy(h.device_id)
        if h.parent_id in placed and h not in orphans:
            px, py = xy(h.parent_id)
            band = margin_band(h.margin_db)
            edges.append(f'<line class="edge" data-child="{escape(h.device_id)}" '
                         f'data-band="{band}" x1="{px:.0f}" y1="{py:.0f}" x2="{x:.0f}" '
                         f'y2="{y:.0f}" stroke="{BAND_COLOURS[band]}"/>')
        nodes.append(_marker(h, x, y, 7.0 if h.role != "mdt" else 4.0))
    if orphans:
        r_out = ring * orphan_depth
        nodes.insert(0, f'<circle cx="{extent:.1f}" cy="{extent:.1f}" r="{r_out:.1f}" '
                        'fill="none" stroke="#8c959f" stroke-dasharray="4 4"/>'
                        f'<text x="{extent:.1f}" y="{extent - r_out - 14:.1f}" font-size="13" '
                        'text-anchor="middle" fill="#57606a">parent not reported yet</text>')
    size = 2 * extent
    return (f'<svg class="netmap" role="img" aria-label="Network map: {len(rows)} devices" '
            f'viewBox="0 0 {size:.0f} {size:.0f}" xmlns="http://www.w3.org/2000/svg">'
            f'<g stroke-width="1.6">{"".join(edges)}</g>'
            f'<g stroke="#fff" stroke-width="0.8">{"".join(nodes)}</g></svg>')


def floor_plan_svg(rows: Sequence[DeviceHealth], floor: int, *, meter_href: str = "",
                   meter_query: str = "") -> str:
    """The devices of one floor at their positions [m] (20–60 px per m, at most the page's
    width).

    ``meter_href``: a URL prefix; an MDT's marker links to
    ``meter_href + meter_id + meter_query``.
    """
    on_floor = [h for h in rows if h.floor == floor and h.x_m is not None and h.y_m is not None]
    every = [h for h in rows if h.x_m is not None and h.y_m is not None]
    xs = [float(h.x_m or 0) for h in every] or [0.0]
    ys = [float(h.y_m or 0) for h in every] or [0.0]
    span_m = max(max(xs) - min(xs), max(ys) - min(ys)) + 6.0
    s = max(20.0, min(60.0, 600.0 / span_m))  # px per m: small plans drawn larger
    x0, y0 = (min(xs) - 3.0) * s, (min(ys) - 3.0) * s
    w, d = (max(xs) - min(xs) + 6.0) * s, (max(ys) - min(ys) + 6.0) * s
    parts = [f'<rect x="{x0:.0f}" y="{y0:.0f}" width="{w:.0f}" height="{d:.0f}" '
             'fill="#f6f8fa" stroke="#57606a" stroke-width="1"/>']
    for h in sorted(on_floor, key=lambda h: h.role == "mdt", reverse=True):
        x, y = float(h.x_m or 0) * s, float(h.y_m or 0) * s
        marker = _marker(h, x, y, 7.0 if h.role != "mdt" else 4.5)
        if h.role == "mdt" and h.meter_id and meter_href:
            href = meter_href + quote(h.meter_id, safe="") + meter_query
            marker = f'<a href="{escape(href)}">{marker}</a>'
        parts.append(marker)
        if h.role != "mdt":
            parts.append(f'<text x="{x + 11:.1f}" y="{y - 9:.1f}" font-size="13" '
                         f'fill="#111">{escape(h.label)}</text>')
    return (f'<svg class="floorplan" role="img" aria-label="Floor {floor}: {len(on_floor)} '
            f'devices" width="{w + 4:.0f}" height="{d + 4:.0f}" '
            f'viewBox="{x0 - 2:.0f} {y0 - 2:.0f} {w + 4:.0f} {d + 4:.0f}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')
