"""The site survey in the dashboard: paste a planned site file, see every MDT's predicted
margin on the floor plans and the repeaters to add (``/cit/survey``).

The computation is :func:`openamr.field.site.survey.survey_site` (the same as
``openamr cit survey``); this module only reads the pasted TOML, refuses what a web form must
not do (CSV load paths would read files on the server: the survey needs positions only, so a
``load_csv`` is refused), and draws the result.
"""

from __future__ import annotations

import base64
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from openamr.errors import InputError
from openamr.field.site import Site, parse_site, site_to_toml
from openamr.field.site.survey import Survey, SurveyLink, survey_site
from openamr.web.svg import BAND_COLOURS, margin_band

__all__ = ["MAX_SITE_BYTES", "MAX_SURVEY_METERS", "SurveyView", "run_survey", "survey_floor_svg"]

MAX_SITE_BYTES = 2_000_000
"""The largest site file the form accepts [bytes]."""
MAX_SURVEY_METERS = 2_000
"""The largest site the form surveys (larger ones: ``openamr cit survey``)."""


@dataclass(frozen=True)
class SurveyView:
    """A survey ready to draw."""

    site: Site
    survey: Survey
    floors: tuple[tuple[int, str], ...]
    """(floor, SVG) per floor, with the proposed repeaters."""
    download_href: str
    """A ``data:`` URL of the site file with the proposals added."""


def _site_from_text(text: str) -> Site:
    if len(text.encode("utf-8")) > MAX_SITE_BYTES:
        raise InputError(f"the site file is larger than {MAX_SITE_BYTES} bytes",
                         where="site_toml")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"TOML syntax error: {exc}", where="site_toml") from None
    for i, meter in enumerate(data.get("meters") or ()):
        if isinstance(meter, dict) and "load_csv" in meter:
            raise InputError("CSV loads are not accepted in the form (the survey needs "
                             "positions only): remove load_csv or use openamr cit survey",
                             where=f"site_toml: meters[{i}].load_csv")
    site = parse_site(data, file="site_toml", base_dir=Path("/nonexistent"))
    if len(site.meters) > MAX_SURVEY_METERS:
        raise InputError(f"{len(site.meters)} meters: the form surveys up to "
                         f"{MAX_SURVEY_METERS}; use openamr cit survey", where="site_toml")
    return site


def run_survey(text: str, min_margin_db: float) -> SurveyView:
    """Survey the pasted site file (``InputError`` naming the key for a bad one)."""
    if not 0.0 <= min_margin_db <= 100.0:
        raise InputError("the margin must be between 0 and 100 dB", where="min_margin_db")
    site = _site_from_text(text)
    result = survey_site(site, min_margin_db)
    fixed = result.site_with_proposed(site)
    proposed = {p.device_id for p in result.proposed_repeaters}
    below = set(result.below_margin)
    floors = tuple((f, survey_floor_svg(fixed, result.links_with_proposed, proposed, f, below))
                   for f in range(site.building.floors))
    payload = base64.b64encode(site_to_toml(fixed).encode("utf-8")).decode("ascii")
    return SurveyView(site, result, floors, f"data:application/toml;base64,{payload}")


def survey_floor_svg(site: Site, links: Sequence[SurveyLink], proposed: set[str], floor: int,
                     below: set[str]) -> str:
    """One floor of ``site`` (with the proposals added): MDTs coloured by their predicted
    margin's band with the proposals (red < 10 dB, amber 10–20, green ≥ 20), ringed when they
    were ``below`` the margin as planned; relays dark, the ``proposed`` repeaters hollow."""
    where: dict[str, Any] = {d.id: d for d in site.devices}
    xs = [d.x_m for d in site.devices] or [0.0]
    ys = [d.y_m for d in site.devices] or [0.0]
    span_m = max(max(xs) - min(xs), max(ys) - min(ys)) + 6.0
    s = max(8.0, min(60.0, 900.0 / span_m))
    x0, y0 = (min(xs) - 3.0) * s, (min(ys) - 3.0) * s
    w, d = (max(xs) - min(xs) + 6.0) * s, (max(ys) - min(ys) + 6.0) * s
    parts = [f'<rect x="{x0:.0f}" y="{y0:.0f}" width="{w:.0f}" height="{d:.0f}" '
             'fill="#f6f8fa" stroke="#57606a"/>']
    for wall in site.walls:
        if wall.floor == floor:
            parts.append(f'<line x1="{wall.x1_m * s:.0f}" y1="{wall.y1_m * s:.0f}" '
                         f'x2="{wall.x2_m * s:.0f}" y2="{wall.y2_m * s:.0f}" stroke="#8c959f" '
                         'stroke-width="2"/>')
    for link in links:
        dev = where.get(link.device_id)
        if dev is None or dev.floor != floor:
            continue
        x, y = dev.x_m * s, dev.y_m * s
        is_new = link.device_id in proposed
        margin = "–" if link.margin_db is None else f"{link.margin_db:.1f} dB"
        title = (f"{link.device_id} ({link.role}{', proposed' if is_new else ''}): parent "
                 f"{link.parent_id or '–'}, margin {margin}")
        band = margin_band(link.margin_db)
        if link.role == "mdt":
            ring = ' stroke="#111" stroke-width="2"' if link.device_id in below else ""
            shape = (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{BAND_COLOURS[band]}"'
                     f'{ring}/>')
        else:
            k = 9.0
            fill = "#fff" if is_new else "#24292f"
            shape = (f'<polygon points="{x:.0f},{y - k:.0f} {x - k:.0f},{y + k * 0.8:.0f} '
                     f'{x + k:.0f},{y + k * 0.8:.0f}" fill="{fill}" stroke="#0969da" '
                     'stroke-width="2"/>'
                     f'<text x="{x + 11:.0f}" y="{y - 9:.0f}" font-size="13">'
                     f'{escape(link.device_id)}</text>')
        flag = ' data-proposed="1"' if is_new else ""
        parts.append(f'<g class="dev" data-device-id="{escape(link.device_id)}" '
                     f'data-role="{link.role}" data-band="{band}"{flag}>'
                     f'<title>{escape(title)}</title>{shape}</g>')
    return (f'<svg class="floorplan survey" role="img" aria-label="Floor {floor}: predicted '
            f'margins" width="{w + 4:.0f}" height="{d + 4:.0f}" '
            f'viewBox="{x0 - 2:.0f} {y0 - 2:.0f} {w + 4:.0f} {d + 4:.0f}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')
