"""The DCAP head-end's pull API: REST over HTTP, JSON and CSV, bearer tokens with roles.

``create_app(store, settings=None)`` builds the FastAPI application; ``openamr serve`` runs it
with uvicorn.  Routes live under ``/api/v1`` (see ``docs/api.md``); the OpenAPI document is
served at ``/openapi.json`` and browsable at ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), both
from local files (:mod:`.docs_assets`).  Every error answer is
``{"error": {"code", "message"}}`` (:mod:`.errors`).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response

from openamr import __version__
from openamr.headend.api import (
    routes_admin,
    routes_bills,
    routes_config,
    routes_data,
    routes_energy,
    routes_events,
    routes_provision,
    routes_units,
    routes_vee,
)
from openamr.headend.api.docs_assets import install_docs
from openamr.headend.api.errors import install_error_handlers
from openamr.headend.api.limits import BodyGuard, document_body_limit
from openamr.headend.metrics import CONTENT_TYPE, Metrics
from openamr.headend.settings import Settings
from openamr.headend.store.base import Store
from openamr.timeutil import epoch_s, utc_now

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"


def _now_s() -> int:
    return epoch_s(utc_now())


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    if app.state.freeze_gc:
        # Everything alive at start-up (the imported framework, the store) lives as long as the
        # process: move it out of the cyclic collector's reach, so a request that allocates the
        # 140,000 row objects of a meter-year does not make the collector rescan it (measured:
        # the store query of a meter-year 71 -> 38 ms at p50 under load, bench_api).
        gc.collect()
        gc.freeze()
    yield


def create_app(store: Store, settings: Settings | None = None, *,
               clock: Callable[[], int] = _now_s, freeze_gc: bool = True,
               metrics: Metrics | None = None,
               on_devices_changed: Callable[[], None] | None = None) -> FastAPI:
    """The API application over ``store``.

    ``settings`` (an ``openamr.headend.settings.Settings``): the API reads ``[api]
    max_body_bytes`` (request bodies are authenticated, then bounded: :mod:`.limits`).
    ``clock`` gives "now" [UTC epoch s] for acknowledgements and token creation.
    ``freeze_gc``: at server start-up (ASGI lifespan) call :func:`gc.freeze` (process-wide).
    ``metrics``: what ``GET /metrics`` exposes (``openamr serve`` passes the one its ingest and
    listener feed); by default the store's gauges only.
    ``on_devices_changed``: called after a device is registered or removed through the API
    (``openamr serve`` passes the ingest's ``refresh``).
    """
    app = FastAPI(
        title="openamr DCAP head-end API",
        version=__version__,
        description="Pull API of the DCAP head-end: sites, devices, meters, 15-minute "
                    "intervals, local-time roll-ups, register reads, events, alarms and "
                    "ingest status.  Authenticate with 'Authorization: Bearer <token>'.",
        openapi_url="/openapi.json",
        docs_url=None,  # served from local files (docs_assets), never a CDN
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.freeze_gc = freeze_gc
    app.state.store = store
    app.state.settings = settings
    app.state.clock = clock
    app.state.on_devices_changed = on_devices_changed
    install_error_handlers(app)
    install_docs(app, title=app.title)
    exposed = metrics if metrics is not None else Metrics(store)

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        """Prometheus exposition (no token: counts only, no readings; see docs/api.md)."""
        return Response(exposed.render(), media_type=CONTENT_TYPE)

    for module in (routes_config, routes_data, routes_events, routes_admin, routes_vee,
                   routes_bills, routes_units, routes_energy, routes_provision):
        app.include_router(module.router, prefix=API_PREFIX)
    max_body_bytes = (settings or Settings()).api.max_body_bytes
    app.add_middleware(BodyGuard, store=store, prefix=API_PREFIX, max_body_bytes=max_body_bytes)
    document_body_limit(app, prefix=API_PREFIX, max_body_bytes=max_body_bytes)
    return app
