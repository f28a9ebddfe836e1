"""Bills as JSON documents and as a CSV ledger (a whole site and period in one file).

JSON (``bills_json``): one bill is :meth:`Bill.to_json`; several bills of one tenant (two units,
or a move between units inside the period) are one document whose ``total``, ``*_charge`` and
``lines`` add up the bills, with the bills under ``bills``; a site run is ``{"site_id", "total",
"bills": [...]}``.  CSV (``ledger_csv``): one row per line of every bill, then a ``total`` row
per bill; amounts are decimal strings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from openamr.billing.bill import Bill

__all__ = ["LEDGER_HEADER", "bills_json", "ledger_csv"]

LEDGER_HEADER = ("account_id", "account_kind", "site_id", "meter_ids", "first_day", "last_day",
                 "line_kind", "label", "period", "tier", "quantity", "unit", "rate", "amount",
                 "estimated", "currency")

_CHARGES = ("energy", "demand", "fixed", "minimum")


def _sum(bills: Sequence[Bill], kind: str | None) -> str:
    if kind is None:
        return str(sum((b.total for b in bills), Decimal("0.00")))
    return str(sum((b.charge(kind) for b in bills), Decimal("0.00")))


def bills_json(bills: Sequence[Bill], *, scope: str) -> dict[str, object]:
    """The JSON document of a run: ``scope`` is ``meter``, ``tenant`` or ``site``."""
    if scope != "site" and len(bills) == 1:
        return bills[0].to_json()
    docs = [b.to_json() for b in bills]
    out: dict[str, object] = {}
    if scope == "site":
        out["site_id"] = bills[0].site_id if bills else None
    else:
        out["account_id"] = bills[0].account_id
        out["account_kind"] = bills[0].account_kind
    out["currency"] = bills[0].currency if bills else None
    out["total"] = _sum(bills, None)
    for kind in _CHARGES:
        out[f"{kind}_charge"] = _sum(bills, kind)
    if scope != "site":
        out["lines"] = [line for doc in docs for line in doc["lines"]]  # type: ignore[attr-defined]
    out["bills"] = docs
    return out


def ledger_csv(bills: Sequence[Bill]) -> str:
    """The CSV ledger of ``bills`` (header :data:`LEDGER_HEADER`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LEDGER_HEADER)
    for bill in bills:
        head = [bill.account_id, bill.account_kind, bill.site_id, " ".join(bill.meter_ids),
                bill.billed_first_day.isoformat(),
                bill.billed_end_day.fromordinal(bill.billed_end_day.toordinal() - 1).isoformat()]
        for line in bill.lines:
            writer.writerow([*head, line.kind, line.label, line.period or "",
                             "" if line.tier is None else line.tier, line.quantity, line.unit,
                             "" if line.rate is None else line.rate, line.amount,
                             int(line.estimated), bill.currency])
        writer.writerow([*head, "total", bill.tariff_name, "", "", bill.energy_kwh, "kWh", "",
                         bill.total, int(bill.estimated), bill.currency])
    return buffer.getvalue()
