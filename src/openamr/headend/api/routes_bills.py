"""Bills through the API: ``POST /bills`` (and ``POST /tariffs/check``) for the billing role.

The request carries the tariff itself (our TOML text or a URDB JSON record) and the same
choices as ``openamr bill``; the answer is the same JSON, CSV ledger, HTML or PDF statement
(:mod:`openamr.billing.service`).  Permission ``data.export`` (admin, billing).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from openamr.billing.service import MEDIA_TYPES, render_bills, run_bills
from openamr.billing.tariff import Tariff, with_policy
from openamr.billing.tariff_toml import parse_tariff_text
from openamr.billing.urdb import parse_urdb
from openamr.errors import InputError
from openamr.headend.api.deps import get_store, require
from openamr.headend.api.errors import ApiError
from openamr.headend.api.responses import ERRORS
from openamr.headend.store.base import Store, TokenRow

__all__ = ["BillRequest", "TariffBody", "router"]

router = APIRouter(tags=["billing"])

StoreDep = Annotated[Store, Depends(get_store)]
BillingToken = Annotated[TokenRow, Depends(require("data.export"))]


class TariffBody(BaseModel):
    """A tariff: exactly one of ``toml`` (openamr's format, as text) or ``urdb`` (a record)."""

    model_config = ConfigDict(extra="forbid")
    toml: str | None = Field(None, max_length=65_536,
                             description="a tariff in openamr's TOML format (docs/tariffs.md)")
    urdb: dict[str, Any] | None = Field(None, description="an OpenEI URDB v8 rate record")


class BillRequest(BaseModel):
    """What to bill: the same choices as ``openamr bill``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    tariff: TariffBody
    period: str | None = Field(None, description="billing cycle YYYY-MM (see start_day)")
    from_: str | None = Field(None, alias="from", description="first civil day YYYY-MM-DD")
    to: str | None = Field(None, description="last civil day YYYY-MM-DD (inclusive)")
    start_day: int = Field(1, ge=1, le=28, description="day of the month a cycle starts")
    meter_id: str | None = None
    tenant_id: str | None = None
    site_id: str | None = None
    policy: dict[str, str] = Field(default_factory=dict,
                                   description="tariff policy overrides (docs/tariffs.md)")
    common_area_meter_id: str | None = Field(
        None, description="site runs: the master meter whose common load is allocated")
    allocate: Literal["usage", "area", "equal"] = "usage"
    format: Literal["json", "csv", "html", "pdf"] = "json"
    issuer: str = Field("", max_length=500,
                        description="statements: the billing agent's name, address, telephone")


def _tariff(body: TariffBody) -> Tariff:
    if (body.toml is None) == (body.urdb is None):
        raise InputError("give exactly one of tariff.toml and tariff.urdb", where="tariff")
    if body.toml is not None:
        return parse_tariff_text(body.toml, where="tariff.toml", source="API request")
    try:
        return parse_urdb(body.urdb, source="API request")
    except InputError as exc:
        raise InputError(exc.message, where=f"tariff.urdb: {exc.where}") from exc


_ANSWERS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    200: {"description": "the bills as JSON (or CSV, HTML, PDF with format)",
          "content": {"application/json": {"schema": {"type": "object"}},
                      "text/csv": {"schema": {"type": "string"}},
                      "text/html": {"schema": {"type": "string"}},
                      "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
}


@router.post("/bills", responses=_ANSWERS, response_class=Response,
             summary="Bill a meter, a tenant or a site for a period under a tariff")
def post_bills(request_body: BillRequest, store: StoreDep, token: BillingToken) -> Response:
    """The bill (one meter or tenant) or bills (a site) as ``openamr bill`` gives them."""
    tariff = with_policy(_tariff(request_body.tariff), request_body.policy)
    for name in ("meter_id", "site_id"):
        value = getattr(request_body, name)
        if value is not None:
            exists = (store.get_meter(value) if name == "meter_id" else store.get_site(value))
            if exists is None:
                raise ApiError(404, f"not_found.{name.removesuffix('_id')}",
                               f"no {name.removesuffix('_id')} {value!r}")
    bills, scope, common = run_bills(
        store, tariff, month=request_body.period, first=request_body.from_,
        last=request_body.to, start_day=request_body.start_day, tenant=request_body.tenant_id,
        meter=request_body.meter_id, site=request_body.site_id,
        common_area=request_body.common_area_meter_id, allocate=request_body.allocate)
    data = render_bills(store, bills, scope, request_body.format, common,
                        issuer=request_body.issuer)
    return Response(data, media_type=MEDIA_TYPES[request_body.format])


@router.post("/tariffs/check", responses={**ERRORS,
                                           200: {"description": "the summary"}},
             summary="Validate a tariff and summarise it (as openamr tariff check --json)")
def post_tariff_check(body: TariffBody, token: BillingToken) -> Response:
    """The tariff's summary, or 400 naming the key at fault."""
    return Response(json.dumps(_tariff(body).summary()), media_type="application/json")
