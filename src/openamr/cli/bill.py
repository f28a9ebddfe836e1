"""``openamr bill``: bills, statements and ledgers from the store.

``openamr bill --db PATH --tariff FILE (--period YYYY-MM | --from DATE --to DATE)
[--start-day D] (--tenant ID | --meter ID | --site ID) --format json|html|pdf|csv [-o FILE]``

plus ``--policy KEY=VALUE`` (override a tariff policy), and for a site run
``--common-area METER --allocate usage|area|equal`` (the master meter's common load shared
out).  Dates are civil days of the site's time zone; ``--to`` is inclusive.  Bad input: a
message naming the option or key, exit status 2, nothing written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from openamr.billing.allocation import ALLOCATION_RULES
from openamr.billing.service import FORMATS, render_bills, run_bills
from openamr.billing.tariff import with_policy
from openamr.billing.tariff_file import load_tariff
from openamr.errors import InputError
from openamr.headend.store import Store, open_store

__all__ = ["bill"]


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


def tariff_period_options(command: Callable[..., None]) -> Callable[..., None]:
    """The tariff and billing-period options of ``bill`` and ``portfolio bill``."""
    options = [
        click.option("--tariff", "tariff_file", required=True, type=click.Path(path_type=Path),
                     metavar="FILE", help="Tariff: openamr TOML or OpenEI URDB JSON."),
        click.option("--period", "month", default=None, metavar="YYYY-MM",
                     help="The billing cycle starting in this month (see --start-day)."),
        click.option("--from", "first", default=None, metavar="DATE", help="First civil day."),
        click.option("--to", "last", default=None, metavar="DATE",
                     help="Last civil day (inclusive)."),
        click.option("--start-day", "start_day", default=1, type=int, show_default=True,
                     help="Day of the month a cycle starts (1..28)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command("bill")
@click.option("--db", "db", required=True, metavar="PATH",
              help="Store: SQLite path, sqlite:///path or postgresql://...")
@tariff_period_options
@click.option("--tenant", default=None, metavar="ID", help="Bill a tenant (its unit's meters).")
@click.option("--meter", default=None, metavar="ID", help="Bill one meter.")
@click.option("--site", default=None, metavar="ID", help="Bill every meter of a site.")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)),
              default="json", show_default=True)
@click.option("-o", "--output", default="-", metavar="FILE", help="Output file ('-': stdout).")
@click.option("--policy", "policies", multiple=True, metavar="KEY=VALUE",
              help="Override a tariff policy (repeatable), e.g. rounding=total.")
@click.option("--common-area", "common_area", default=None, metavar="METER",
              help="Site runs: the master meter whose common load is allocated.")
@click.option("--allocate", type=click.Choice(list(ALLOCATION_RULES)), default="usage",
              show_default=True, help="Common-area rule.")
@click.option("--issuer", default="", metavar="TEXT",
              help="Statements: the billing agent's name, address and telephone.")
def bill(db: str, tariff_file: Path, month: str | None, first: str | None, last: str | None,
         start_day: int, tenant: str | None, meter: str | None, site: str | None, fmt: str,
         output: str, policies: tuple[str, ...], common_area: str | None,
         allocate: str, issuer: str) -> None:
    """Bill a meter, a tenant or a whole site for a period under a tariff."""
    tariff = with_policy(load_tariff(tariff_file), _policies(policies))
    with _open(db) as store:
        bills, scope, common = run_bills(store, tariff, month=month, first=first, last=last,
                                         start_day=start_day, tenant=tenant, meter=meter,
                                         site=site, common_area=common_area,
                                         allocate=allocate)
        data = render_bills(store, bills, scope, fmt, common, issuer=issuer)
    if output == "-":
        sys.stdout.buffer.write(data)
        return
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", where=output) from exc
