"""The billing run: accounts (meters or tenants) of the store → bills for one period.

One read of every meter involved (:func:`openamr.billing.source.read_usage`), one local grid,
one vectorised engine call for all accounts (:func:`openamr.billing.engine.compute_bills`),
then ``Decimal`` bills.  A tenant's account is the meters of the unit it occupies, billed over
the days of the period its occupancy covers (prorated at move-in and move-out, see
``docs/billing.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np

from openamr.billing.bill import Bill, bill_from_batch
from openamr.billing.engine import BillBatch, UsageBatch, compute_bills
from openamr.billing.pbi import incentive_statement
from openamr.billing.periods import BillingPeriod
from openamr.billing.source import read_usage, register_reads
from openamr.billing.tariff import Tariff
from openamr.errors import InputError
from openamr.headend.energy.report import NOT_CONSUMPTION_KINDS
from openamr.headend.store.base import AmbiguousIdError, Store
from openamr.timeutil import local_day_bounds_s, local_grid, site_zone

__all__ = ["Account", "bill_accounts", "meter_account", "site_accounts", "site_timezone",
           "tenant_accounts"]


@dataclass(frozen=True, slots=True)
class Account:
    """Who is billed for which meters over which civil days ``[first_day, end_day)``."""

    account_id: str
    account_kind: str
    """``meter`` or ``tenant``."""
    site_id: str
    meter_ids: tuple[str, ...]
    first_day: date
    end_day: date
    unit_id: str | None = None
    """The unit a tenant occupies (None for a meter account)."""


def site_timezone(store: Store, site_id: str) -> str:
    """The site's IANA zone (``InputError`` for an unknown site)."""
    site = store.get_site(site_id)
    if site is None:
        raise InputError(f"no site {site_id!r} in the store", where="--site")
    return site.timezone


def meter_account(store: Store, meter_id: str, period: BillingPeriod | None, *,
                  site_id: str | None = None) -> Account:
    """The whole period of one meter (``site_id`` qualifies an id several sites use; without a
    period, the account's days are left empty: for looking the meter up)."""
    try:
        meter = store.get_meter(meter_id, site_id=site_id)
    except AmbiguousIdError as exc:
        raise InputError(f"meter {meter_id!r} exists at several sites; give --site",
                         where="--meter") from exc
    if meter is None:
        where = f" in site {site_id!r}" if site_id else " in the store"
        raise InputError(f"no meter {meter_id!r}{where}", where="--meter")
    first = period.first_day if period else date.min
    end = period.end_day if period else date.min
    return Account(meter_id, "meter", meter.site_id, (meter_id,), first, end)


def site_accounts(store: Store, site_id: str, period: BillingPeriod,
                  exclude: Sequence[str] = ()) -> list[Account]:
    """Every consuming meter of a site (but ``exclude``), each for the whole period: meters of
    a production or supply unit (``NOT_CONSUMPTION_KINDS``: a PV array, the master meter)
    are not billed as consumption."""
    site_timezone(store, site_id)
    skip = set(exclude) | {m for u in store.list_units(site_id)
                           if u.kind in NOT_CONSUMPTION_KINDS for m in u.meter_ids}
    return [Account(m.meter_id, "meter", site_id, (m.meter_id,), period.first_day,
                    period.end_day)
            for m in store.list_meters(site_id) if m.meter_id not in skip]


def tenant_accounts(store: Store, tenant_id: str, period: BillingPeriod) -> list[Account]:
    """One account per occupancy of ``tenant_id`` that overlaps the period (units and tenants
    are kept by the store's units room: ``docs/units-tenants.md``)."""
    if store.get_tenant(tenant_id) is None:
        raise InputError(f"no tenant {tenant_id!r} in the store", where="--tenant")
    accounts = []
    for occ in store.list_occupancies(tenant_id=tenant_id, start=period.first_day,
                                      end=period.end_day):
        shared = occ.overlap(period.first_day, period.end_day)
        if shared is None:
            continue
        unit = store.get_unit(occ.unit_id, site_id=occ.site_id)
        if unit is None or not unit.meter_ids:
            raise InputError(f"unit {occ.unit_id!r} of tenant {tenant_id!r} has no meters",
                             where="--tenant")
        accounts.append(Account(tenant_id, "tenant", occ.site_id, tuple(unit.meter_ids),
                                shared[0], shared[1], occ.unit_id))
    if not accounts:
        raise InputError(f"tenant {tenant_id!r} occupies no unit between "
                         f"{period.first_day} and {period.last_day}", where="--tenant")
    return sorted(accounts, key=lambda a: (a.first_day, a.unit_id or ""))


def _usage(store: Store, period: BillingPeriod, accounts: Sequence[Account],
           grid_start_s: Any) -> UsageBatch:
    meters = list(dict.fromkeys(m for a in accounts for m in a.meter_ids))
    sites = {a.site_id for a in accounts}
    usage = read_usage(store, meters, period.start_s, period.end_s,
                       site_id=sites.pop() if len(sites) == 1 else None)
    row_of = {m: i for i, m in enumerate(meters)}
    zone = site_zone(period.timezone)
    simple = all(len(a.meter_ids) == 1 and a.first_day == period.first_day
                 and a.end_day == period.end_day for a in accounts)
    index = np.asarray([row_of[a.meter_ids[0]] for a in accounts], dtype=np.int64)
    days = np.asarray([(a.end_day - a.first_day).days for a in accounts], dtype=np.int64)
    if simple:  # the common case, vectorised: one meter per account, the whole period
        energy = usage.energy_wh[index]
        present = ~np.isnan(energy)
        return UsageBatch(np.where(present, energy, 0.0), present, usage.estimated[index], None,
                          days)
    n = usage.start_s.size
    energy = np.zeros((len(accounts), n))
    present = np.zeros((len(accounts), n), dtype=bool)
    estimated = np.zeros((len(accounts), n), dtype=bool)
    billed = np.zeros((len(accounts), n), dtype=bool)
    for r, account in enumerate(accounts):
        rows = [row_of[m] for m in account.meter_ids]
        block = usage.energy_wh[rows]
        start_s = local_day_bounds_s(account.first_day, zone)[0]
        end_s = local_day_bounds_s(account.end_day, zone)[0]
        mask = (grid_start_s >= start_s) & (grid_start_s < end_s)
        billed[r] = mask
        present[r] = mask & ~np.isnan(block).any(axis=0)
        energy[r] = np.where(mask, np.nansum(block, axis=0), 0.0)
        estimated[r] = mask & usage.estimated[rows].any(axis=0)
    return UsageBatch(energy, present, estimated, billed, days)


def bill_accounts(store: Store, tariff: Tariff, period: BillingPeriod,
                  accounts: Sequence[Account], *, with_reads: bool = True) -> list[Bill]:
    """The bills (or incentive statements) of ``accounts`` for ``period``."""
    if not accounts:
        return []
    grid = local_grid(period.start_s, period.end_s, period.timezone)
    usage = _usage(store, period, accounts, grid.start_s)
    batch: BillBatch | None = None
    if tariff.kind == "retail":
        batch = compute_bills(tariff, period, grid, usage)
    bills = []
    for r, account in enumerate(accounts):
        reads = tuple(register_reads(store, m, *_bounds(account, period),
                                     site_id=account.site_id)
                      for m in account.meter_ids) if with_reads else ()
        common: dict[str, Any] = {"account_id": account.account_id, "site_id": account.site_id,
                  "meter_ids": account.meter_ids, "billed_first_day": account.first_day,
                  "billed_end_day": account.end_day, "register_reads": reads}
        if batch is None:
            bill = incentive_statement(tariff, period, usage, r, **common)
        else:
            bill = bill_from_batch(batch, r, account_kind=account.account_kind, **common)
        bills.append(replace(bill, unit_id=account.unit_id) if account.unit_id else bill)
    return bills


def _bounds(account: Account, period: BillingPeriod) -> tuple[int, int]:
    zone = site_zone(period.timezone)
    return (local_day_bounds_s(account.first_day, zone)[0],
            local_day_bounds_s(account.end_day, zone)[0])
