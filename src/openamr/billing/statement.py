"""Statements: a bill as an HTML page (jinja2 template in the package) or a PDF (fpdf2).

Both carry what a submetering bill must show (California PUC §739.5 and the utilities' landlord
rules, see ``docs/billing.md``): opening and closing register reads, the kWh in each period and
block with its rate, demand, fixed charges, the total, estimated data flagged, and a usage plot
of the billed days.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from openamr.billing.bill import Bill
from openamr.billing.plot import usage_plot_png
from openamr.headend.rollup import rollup
from openamr.headend.store.base import Store
from openamr.timeutil import format_utc, from_epoch_s, local_day_bounds_s, site_zone

__all__ = ["DailyUsage", "daily_usage", "render_html", "render_pdf"]

_TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True, slots=True)
class DailyUsage:
    """Daily energy of the billed days (the statement's plot)."""

    days: tuple[date, ...]
    energy_kwh: tuple[float, ...]
    flagged: tuple[bool, ...]
    """The day has estimated or missing intervals."""


def daily_usage(store: Store, bill: Bill) -> DailyUsage:
    """The bill's daily energy from the store (its meters summed, in the site's civil days)."""
    zone = site_zone(bill.timezone)
    start_s = local_day_bounds_s(bill.billed_first_day, zone)[0]
    end_s = local_day_bounds_s(bill.billed_end_day, zone)[0]
    total = None
    flagged = None
    for meter_id in bill.meter_ids:
        arrays = store.get_intervals(meter_id, start_s, end_s)
        roll = rollup(arrays.start_s, arrays.energy_wh, start_s=start_s, end_s=end_s,
                      period="daily", timezone=bill.timezone)
        est = arrays.quality != "measured"
        est_roll = rollup(arrays.start_s[est], arrays.energy_wh[est], start_s=start_s,
                          end_s=end_s, period="daily", timezone=bill.timezone)
        bad = (roll.intervals_present < roll.intervals_expected) | (
            est_roll.intervals_present > 0)
        total = roll.energy_wh if total is None else total + roll.energy_wh
        flagged = bad if flagged is None else flagged | bad
    count = (bill.billed_end_day - bill.billed_first_day).days
    days = tuple(bill.billed_first_day + timedelta(days=i) for i in range(count))
    energy = np.zeros(count) if total is None else total[:count]
    flags = np.zeros(count, dtype=bool) if flagged is None else flagged[:count]
    return DailyUsage(days, tuple(float(e) / 1000 for e in energy),
                      tuple(bool(f) for f in flags))


def _plot(bill: Bill, usage: DailyUsage) -> bytes:
    return usage_plot_png(usage.days, usage.energy_kwh, usage.flagged,
                          title=f"Daily use, {bill.billed_first_day} to "
                                f"{bill.billed_end_day - timedelta(days=1)}")


def render_html(bill: Bill, usage: DailyUsage, *, issuer: str = "") -> str:
    """The statement as one self-contained HTML page (the plot inlined as a data: URI)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             trim_blocks=True, lstrip_blocks=True)
    template = env.get_template("statement.html.j2")
    plot = base64.b64encode(_plot(bill, usage)).decode("ascii")
    return template.render(bill=bill, doc=bill.to_json(), plot_png_b64=plot, issuer=issuer,
                           format_utc=format_utc)


def render_pdf(bill: Bill, usage: DailyUsage, *, issuer: str = "") -> bytes:
    """The statement as a PDF (fpdf2, core fonts; the plot as a PNG image)."""
    import io

    from fpdf import FPDF

    doc = bill.to_json()
    pdf = FPDF(format="A4")
    pdf.set_creation_date(from_epoch_s(bill.end_s))  # reproducible bytes for one bill
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    title = "Solar incentive statement" if bill.tariff_kind == "incentive" else "Electricity bill"
    pdf.cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    period = doc["period"]
    billed = doc["billed"]
    assert isinstance(period, dict)
    assert isinstance(billed, dict)
    for text in (
        f"{bill.account_kind.capitalize()} {bill.account_id} - site {bill.site_id} - meters "
        f"{', '.join(bill.meter_ids)}",
        f"Billing period {period['first_day']} to {period['last_day']} ({bill.timezone}); "
        f"billed {billed['first_day']} to {billed['last_day']} ({billed['days']} days)",
        f"Tariff: {bill.tariff_name} ({bill.currency})" + (f" - issued by {issuer}"
                                                             if issuer else ""),
    ):
        pdf.cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, "Meter reads", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for read in bill.register_reads:
        r = read.to_json()
        pdf.cell(0, 5, _latin1(f"{r['meter_id']}: opening {r['opening_kwh'] or 'no read'} kWh, "
                               f"closing {r['closing_kwh'] or 'no read'} kWh"),
                 new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    widths = (72, 30, 14, 30, 30)
    pdf.set_font("Helvetica", "B", 9)
    for w, head in zip(widths, ("Charge", "Quantity", "Unit", "Rate", "Amount"), strict=True):
        pdf.cell(w, 6, head, border="B", align="L" if head in ("Charge", "Unit") else "R")
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for line in bill.lines:
        cells = (line.label + (" *" if line.estimated else ""), str(line.quantity), line.unit,
                 "" if line.rate is None else str(line.rate), str(line.amount))
        for w, text, align in zip(widths, cells, "LRLRR", strict=True):
            pdf.cell(w, 5, _latin1(text), align=align)
        pdf.ln()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(sum(widths[:-1]), 7, f"Total ({bill.currency})", border="T")
    pdf.cell(widths[-1], 7, str(bill.total), border="T", align="R",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    if bill.estimated:
        pdf.multi_cell(0, 4, _latin1(
            f"* Estimated data: {bill.estimated_kwh} kWh estimated; "
            f"{bill.intervals_present} of {bill.intervals_expected} 15-minute intervals "
            "measured."), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.image(io.BytesIO(_plot(bill, usage)), w=180)
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    """The core PDF fonts are Latin-1: replace anything else."""
    return text.encode("latin-1", "replace").decode("latin-1")
