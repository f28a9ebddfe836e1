"""The web dashboard and the commissioning tool (CIT), served by ``openamr serve`` at ``/``.

Server-rendered pages (Jinja2) over the head-end's store, with the head-end's tokens and roles
(:mod:`.session`); the chart library is vendored under ``static/vendor`` (no CDN: buildings are
often offline).  ``mount_web(app)`` adds the pages and ``/static`` to the API application made
by ``openamr.headend.api.create_app`` (it uses ``app.state.store`` and ``app.state.clock``).

Modules: :mod:`.pages` (routes), :mod:`.health` (the device table, also ``openamr cit status``),
:mod:`.checklist` (manual §5.2), :mod:`.register_check`, :mod:`.troubleshoot` (manual §7),
:mod:`.svg` (network map and floor plans), :mod:`.meter_data` (the meter page's data),
:mod:`.render` (templates).  See ``docs/dashboard.md`` and ``docs/cit.md``.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

__all__ = ["mount_web"]


def mount_web(app: FastAPI) -> None:
    """Serve the dashboard at ``/`` and its static files at ``/static`` on ``app``."""
    from openamr.web.pages import router

    static = resources.files("openamr.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.include_router(router)
