"""Jinja2 templates of the dashboard (autoescaped) and the filters they use."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from openamr.frames import IntervalFlag
from openamr.timeutil import format_utc
from openamr.web.session import can
from openamr.web.svg import margin_band

__all__ = ["render"]


def _utc(t_s: int | None) -> str:
    if t_s is None:
        return "–"
    return format_utc(int(t_s)).replace("T", " ").removesuffix("Z")


def _dash(value: object) -> str:
    return "–" if value is None else str(value)


def _num(value: float | None, digits: int = 1) -> str:
    if value is None or value != value:
        return "–"
    return f"{value:.{digits}f}"


def _pct(ratio: float | None) -> str:
    if ratio is None or ratio != ratio:
        return "–"
    return f"{100 * ratio:.1f} %"


def _flagnames(flags: int) -> str:
    if not flags:
        return "–"
    return ", ".join(f.name.lower() for f in IntervalFlag if f and f & flags and f.name)


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("openamr.web", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters.update(utc=_utc, dash=_dash, num=_num, pct=_pct, band=margin_band,
                       flagnames=_flagnames)
    env.globals["can"] = can
    return env


def render(name: str, **context: Any) -> str:
    """The template ``name`` rendered with ``context``."""
    return _env().get_template(name).render(**context)
