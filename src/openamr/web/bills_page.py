"""Bills in the dashboard (``/bills``): statements with PDF and CSV download.

A form takes what ``openamr bill`` takes (the tariff pasted as openamr TOML, ``docs/tariffs.md``;
a billing cycle; a site, one of its meters or a tenant) and answers through the billing
service (:mod:`openamr.billing.service`, the same code as the CLI and ``POST /api/v1/bills``):

* ``view``: the bills as a table (a site: one row per meter, with the totals);
* ``html``: one meter's or tenant's statement, as the billing room renders it;
* ``pdf`` and ``csv``: downloads (a PDF statement; the site's CSV ledger).

The token must hold ``data.export`` (admin, billing) and see the site.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openamr.billing.bill import Bill
from openamr.billing.service import MEDIA_TYPES, render_bills, run_bills
from openamr.billing.tariff import Tariff
from openamr.billing.tariff_toml import parse_tariff_text
from openamr.errors import InputError, StoreError
from openamr.headend.store.base import Store

__all__ = ["BILL_FORMATS", "BillForm", "BillRun", "bill_run", "parse_bill_form"]

BILL_FORMATS: tuple[str, ...] = ("view", "html", "pdf", "csv")
MAX_TARIFF_BYTES = 200_000
"""The largest tariff the form accepts [bytes]."""


@dataclass(frozen=True)
class BillForm:
    """What the form asked for (as typed, for redisplay)."""

    site_id: str
    scope: str
    """``site``, ``meter`` or ``tenant``."""
    account: str
    """The meter or tenant id (empty for a site)."""
    period: str
    """Billing cycle ``YYYY-MM``."""
    start_day: int
    tariff_toml: str
    fmt: str


@dataclass(frozen=True)
class BillRun:
    """Bills computed for the form."""

    bills: tuple[Bill, ...]
    scope: str
    total: Decimal
    currency: str
    common: dict[str, object] | None = None


def parse_bill_form(fields: dict[str, str]) -> BillForm:
    """The form's fields, checked (``InputError`` naming the field)."""
    scope = fields.get("scope", "site")
    if scope not in ("site", "meter", "tenant"):
        raise InputError(f"unknown scope {scope!r}", where="scope")
    fmt = fields.get("format", "view")
    if fmt not in BILL_FORMATS:
        raise InputError(f"unknown format {fmt!r}", where="format")
    try:
        start_day = int(fields.get("start_day", "1") or "1")
    except ValueError:
        raise InputError("the start day must be a whole number 1–28", where="start_day") from None
    if not 1 <= start_day <= 28:
        raise InputError("the start day must be 1–28", where="start_day")
    account = fields.get("account", "").strip()
    if scope != "site" and not account:
        raise InputError(f"give the {scope} id", where="account")
    tariff = fields.get("tariff_toml", "")
    if len(tariff.encode("utf-8")) > MAX_TARIFF_BYTES:
        raise InputError(f"the tariff is larger than {MAX_TARIFF_BYTES} bytes",
                         where="tariff_toml")
    return BillForm(fields.get("site", ""), scope, account, fields.get("period", "").strip(),
                    start_day, tariff, fmt)


def _tariff(text: str) -> Tariff:
    if not text.strip():
        raise InputError("paste a tariff (openamr TOML, docs/tariffs.md)", where="tariff_toml")
    return parse_tariff_text(text, where="tariff_toml", source="the form")


def bill_run(store: Store, form: BillForm) -> BillRun:
    """Bills of the form's scope and cycle (``InputError`` for anything the user can fix)."""
    tariff = _tariff(form.tariff_toml)
    scope: dict[str, Any] = {"tenant": None, "meter": None, "site": None}
    scope[form.scope] = form.site_id if form.scope == "site" else form.account
    try:
        bills, kind, common = run_bills(store, tariff, month=form.period or None, first=None,
                                        last=None, start_day=form.start_day, **scope)
    except StoreError as exc:  # e.g. a meter id that several sites use
        raise InputError(str(exc), where="account") from None
    if any(b.site_id != form.site_id for b in bills):
        raise InputError(f"that {form.scope} is not in site {form.site_id!r}", where="account")
    total = sum((b.total for b in bills), Decimal("0.00"))
    currency = bills[0].currency if bills else tariff.currency
    return BillRun(tuple(bills), kind, total, currency, common)


def bill_file(store: Store, run: BillRun, fmt: str) -> tuple[bytes, str, str]:
    """``(content, media type, file name)`` of a download (``pdf``, ``csv``, ``html``)."""
    content = render_bills(store, list(run.bills), run.scope, fmt, run.common)
    first = run.bills[0]
    name = (f"bill-{first.account_id}-{first.first_day:%Y-%m}" if len(run.bills) == 1
            else f"ledger-{first.site_id}-{first.first_day:%Y-%m}")
    return content, MEDIA_TYPES[fmt], f"{name}.{fmt}"
