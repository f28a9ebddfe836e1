"""``openamr bill``: bills, statements and ledgers from the store.

``openamr bill --db PATH --tariff FILE (--period YYYY-MM | --from DATE --to DATE)
[--start-day D] (--tenant ID | --meter ID | --site ID) --format json|html|pdf|csv [-o FILE]``

plus ``--policy KEY=VALUE`` (override a tariff policy), and for a site run
``--common-area METER --allocate usage|area|equal`` (the master meter's common load shared
out).  Dates are civil days of the site's time zone; ``--to`` is inclusive.  Bad input: a
message naming the option or key, exit status 2, nothing written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from openamr.billing.allocation import ALLOCATION_RULES, allocate_common_area
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
from openamr.billing.tariff import Tariff, with_policy
from openamr.billing.tariff_file import load_tariff
from openamr.errors import InputError
from openamr.headend.store import Store, open_store

__all__ = ["bill", "floor_areas", "period_for", "run_bills"]


def _open(db: str) -> Store:
    if not db.startswith(("postgresql://", "postgres://")):
        path = Path(db.removeprefix("sqlite:///"))
        if not path.is_file():
            raise InputError(f"no such store file: {path}", where="--db")
    return open_store(db)


def _policies(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, choice = value.partition("=")
        if not sep:
            raise InputError(f"expected KEY=VALUE, not {value!r}", where="--policy")
        out[key.strip()] = choice.strip()
    return out


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
    """Floor area [m²] of each account's unit, when the store keeps units."""
    units = store
    if not hasattr(units, "unit_of_meter"):
        return None
    areas: dict[str, float] = {}
    for account in accounts:
        unit = units.unit_of_meter(account.meter_ids[0], site_id=account.site_id)
        if unit is not None and unit.floor_area_m2 is not None:
            areas[account.account_id] = float(unit.floor_area_m2)
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
    units = store
    if not hasattr(units, "list_occupancies"):
        raise InputError("this store keeps no tenants", where="--tenant")
    occupancies = units.list_occupancies(tenant_id=tenant)
    if not occupancies:
        raise InputError(f"tenant {tenant!r} occupies no unit", where="--tenant")
    return site_timezone(store, occupancies[-1].site_id)


def render(store: Store, bills: list[Bill], scope: str, fmt: str,
           common: dict[str, object] | None) -> bytes:
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
        return render_html(bills[0], usage).encode("utf-8")
    return render_pdf(bills[0], usage)


@click.command("bill")
@click.option("--db", "db", required=True, metavar="PATH",
              help="Store: SQLite path, sqlite:///path or postgresql://...")
@click.option("--tariff", "tariff_file", required=True, type=click.Path(path_type=Path),
              metavar="FILE", help="Tariff: openamr TOML or OpenEI URDB JSON.")
@click.option("--period", "month", default=None, metavar="YYYY-MM",
              help="The billing cycle starting in this month (see --start-day).")
@click.option("--from", "first", default=None, metavar="DATE", help="First civil day.")
@click.option("--to", "last", default=None, metavar="DATE", help="Last civil day (inclusive).")
@click.option("--start-day", "start_day", default=1, type=int, show_default=True,
              help="Day of the month a cycle starts (1..28).")
@click.option("--tenant", default=None, metavar="ID", help="Bill a tenant (its unit's meters).")
@click.option("--meter", default=None, metavar="ID", help="Bill one meter.")
@click.option("--site", default=None, metavar="ID", help="Bill every meter of a site.")
@click.option("--format", "fmt", type=click.Choice(["json", "html", "pdf", "csv"]),
              default="json", show_default=True)
@click.option("-o", "--output", default="-", metavar="FILE", help="Output file ('-': stdout).")
@click.option("--policy", "policies", multiple=True, metavar="KEY=VALUE",
              help="Override a tariff policy (repeatable), e.g. rounding=total.")
@click.option("--common-area", "common_area", default=None, metavar="METER",
              help="Site runs: the master meter whose common load is allocated.")
@click.option("--allocate", type=click.Choice(list(ALLOCATION_RULES)), default="usage",
              show_default=True, help="Common-area rule.")
def bill(db: str, tariff_file: Path, month: str | None, first: str | None, last: str | None,
         start_day: int, tenant: str | None, meter: str | None, site: str | None, fmt: str,
         output: str, policies: tuple[str, ...], common_area: str | None,
         allocate: str) -> None:
    """Bill a meter, a tenant or a whole site for a period under a tariff."""
    tariff = with_policy(load_tariff(tariff_file), _policies(policies))
    with _open(db) as store:
        bills, scope, common = run_bills(store, tariff, month=month, first=first, last=last,
                                         start_day=start_day, tenant=tenant, meter=meter,
                                         site=site, common_area=common_area,
                                         allocate=allocate)
        data = render(store, bills, scope, fmt, common)
    if output == "-":
        sys.stdout.buffer.write(data)
        return
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", where=output) from exc
