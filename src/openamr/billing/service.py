"""The billing service: one entry point shared by ``openamr bill`` and ``POST /api/v1/bills``.

:func:`run_bills` resolves the scope (a meter, a tenant, a site with an optional common-area
allocation) and its billing period in the site's time zone; :func:`render_bills` renders the
result as JSON, a CSV ledger, or an HTML/PDF statement.
"""

from __future__ import annotations

import json
from typing import Any

from openamr.billing.allocation import allocate_common_area
from openamr.billing.bill import Bill
from openamr.billing.periods import BillingPeriod, date_range, month_cycle, parse_date, parse_month
from openamr.billing.render import bills_json, ledger_csv
from openamr.billing.run import (
    Account,
    bill_accounts,
    meter_account,
    site_accounts,
    site_timezone,
    tenant_accounts,
)
from openamr.billing.statement import daily_usage, render_html, render_pdf
from openamr.billing.tariff import Tariff
from openamr.errors import InputError
from openamr.headend.store.base import Store

__all__ = ["FORMATS", "MEDIA_TYPES", "floor_areas", "period_for", "render_bills", "run_bills"]

FORMATS: tuple[str, ...] = ("json", "csv", "html", "pdf")
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
               "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def period_for(timezone: str, month: str | None, first: str | None, last: str | None,
               start_day: int) -> BillingPeriod:
    """The billing period of the options (exactly one of a month or a date range)."""
    if month is not None and (first is not None or last is not None):
        raise InputError("give --period or --from/--to, not both", where="--period")
    if month is not None:
        year, number = parse_month(month)
        return month_cycle(year, number, timezone, start_day)
    if first is None or last is None:
        raise InputError("give --period YYYY-MM, or --from and --to", where="--period")
    return date_range(parse_date(first, "--from"), parse_date(last, "--to"), timezone)


def floor_areas(store: Store, accounts: list[Account]) -> dict[str, float] | None:
    """Floor area [m²] of each account, when the store keeps units: a tenant's unit area, or
    for a meter its unit's area shared equally among the unit's meters."""
    units: Any = store
    if not hasattr(units, "unit_of_meter"):
        return None
    areas: dict[str, float] = {}
    for account in accounts:
        unit = units.unit_of_meter(account.meter_ids[0], site_id=account.site_id)
        if unit is None or unit.floor_area_m2 is None:
            continue
        share = 1.0 if account.account_kind == "tenant" else 1.0 / max(len(unit.meter_ids), 1)
        areas[account.account_id] = float(unit.floor_area_m2) * share
    return areas


def run_bills(store: Store, tariff: Tariff, *, month: str | None, first: str | None,
              last: str | None, start_day: int, tenant: str | None, meter: str | None,
              site: str | None, common_area: str | None = None,
              allocate: str = "usage") -> tuple[list[Bill], str, dict[str, object] | None]:
    """Bills of the chosen scope: ``(bills, scope, common-area summary or None)``."""
    chosen = [name for name, v in (("--tenant", tenant), ("--meter", meter), ("--site", site))
              if v is not None]
    if len(chosen) != 1:
        raise InputError("give exactly one of --tenant, --meter, --site", where="--tenant")
    if common_area is not None and site is None:
        raise InputError("--common-area needs --site", where="--common-area")
    if meter is not None:
        found = store.get_meter(meter)
        if found is None:
            raise InputError(f"no meter {meter!r} in the store", where="--meter")
        period = period_for(site_timezone(store, found.site_id), month, first, last, start_day)
        return bill_accounts(store, tariff, period, [meter_account(store, meter, period)]), \
            "meter", None
    if site is not None:
        period = period_for(site_timezone(store, site), month, first, last, start_day)
        exclude = (common_area,) if common_area else ()
        accounts = site_accounts(store, site, period, exclude)
        bills = bill_accounts(store, tariff, period, accounts)
        if common_area is None:
            return bills, "site", None
        master_meter = store.get_meter(common_area)
        if master_meter is None or master_meter.site_id != site:
            raise InputError(f"no meter {common_area!r} in site {site!r}", where="--common-area")
        master = bill_accounts(store, tariff, period,
                               [meter_account(store, common_area, period)])[0]
        areas = floor_areas(store, accounts) if allocate == "area" else None
        bills, info = allocate_common_area(master, bills, allocate, areas_m2=areas)
        return bills, "site", info.to_json()
    assert tenant is not None
    zone = _tenant_zone(store, tenant)
    period = period_for(zone, month, first, last, start_day)
    return bill_accounts(store, tariff, period, tenant_accounts(store, tenant, period)), \
        "tenant", None


def _tenant_zone(store: Store, tenant: str) -> str:
    units: Any = store
    if not hasattr(units, "list_occupancies"):
        raise InputError("this store keeps no tenants", where="--tenant")
    occupancies = units.list_occupancies(tenant_id=tenant)
    if not occupancies:
        raise InputError(f"tenant {tenant!r} occupies no unit", where="--tenant")
    return site_timezone(store, str(occupancies[-1].site_id))


def render_bills(store: Store, bills: list[Bill], scope: str, fmt: str,
                 common: dict[str, object] | None, *, issuer: str = "") -> bytes:
    """The bills in ``fmt`` (``json``, ``csv``, ``html``, ``pdf``)."""
    if fmt == "json":
        doc = bills_json(bills, scope=scope)
        if common is not None:
            doc["common_area"] = common
        return (json.dumps(doc, indent=2) + "\n").encode("utf-8")
    if fmt == "csv":
        return ledger_csv(bills).encode("utf-8")
    if len(bills) != 1:
        raise InputError(f"an {fmt} statement is one bill; this run has {len(bills)} (use "
                         "--format csv or json for a site)", where="--format")
    usage = daily_usage(store, bills[0])
    if fmt == "html":
        return render_html(bills[0], usage, issuer=issuer).encode("utf-8")
    return render_pdf(bills[0], usage, issuer=issuer)
