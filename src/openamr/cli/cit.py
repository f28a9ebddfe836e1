"""``openamr cit``: the commissioning and installation tool (CIT) on the command line.

* ``openamr cit status --db PATH [--site ID] [--at ISO|latest] [--json]``: the device table
  (join state and LED pattern, parent and hops, RSSI and margin, delivery ratios, ETX, battery
  and days left, last heard against the expected report time, completeness);
* ``openamr cit checklist --db PATH [--site ID] [--at …] [--json]``: the manual's §5.2
  commissioning checklist, with warnings;
* ``openamr cit register --db PATH [--site ID] --meter ID --lcd-kwh KWH
  [--lcd-at-install-kwh KWH] [--reverse-phase off|L1|L2|both]``: the register check (exit 1
  when it does not match), and what the LCD's reverse phase indicator shows;
* ``openamr cit troubleshoot --db PATH --device ID --symptom KEY [--site ID] [--at …]``: the
  manual's §7 problems answered from the stored data;
* ``openamr cit survey SITE.toml [--min-margin-db M] [--max-repeaters N] [--json]
  [-o SITE_WITH_REPEATERS.toml]``: predicted margins of a planned site and the repeaters to
  add until every MDT reaches the margin (exit 1 when some device stays below).

The survey needs the site file (the field model, :mod:`openamr.field.site.survey`); the other
commands read the head-end's store (:mod:`openamr.web.health` and friends, shared with the
dashboard's ``/cit`` page).  ``--at latest`` judges lateness as of the last time anything was
heard (for simulated data dated in the past).
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from openamr.errors import InputError

__all__ = ["cit"]

_DB = click.option("--db", "db", required=True, metavar="PATH",
                   help="the head-end store: a SQLite file, sqlite:///path or postgresql://...")
_SITE = click.option("--site", "site_id", default=None, help="only this site's devices")
_AT = click.option("--at", "at", default=None, metavar="ISO|latest",
                   help="judge lateness as of this UTC instant (default: now; 'latest': the "
                        "last time anything was heard)")
_JSON = click.option("--json", "as_json", is_flag=True, help="print JSON")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cit() -> None:
    """Commissioning and installation tool: network status, checklist, checks, survey."""


def _open(db: str) -> Any:
    from openamr.headend.store import open_store

    if "://" not in db and not Path(db).exists():
        raise InputError("no such store", where=db)
    return open_store(db)


def _now_s(store: Any, at: str | None, site_id: str | None) -> int:
    from openamr.timeutil import epoch_s, parse_utc, utc_now

    if at is None:
        return epoch_s(utc_now())
    if at == "latest":
        heard = [s.last_heard_s for s in store.list_device_status(site_id=site_id)]
        if not heard:
            raise InputError("nothing has been heard yet", where="--at latest")
        return int(max(heard))
    return epoch_s(parse_utc(at, where="--at"))


def _check_site(store: Any, site_id: str | None) -> None:
    if site_id is not None and store.get_site(site_id) is None:
        raise InputError(f"no site {site_id!r} in the store", where="--site")


def _iso(t_s: int | None) -> str | None:
    from openamr.timeutil import format_utc

    return None if t_s is None else format_utc(int(t_s))


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


def _health_json(h: Any) -> dict[str, Any]:
    row = asdict(h)
    row["last_heard"] = _iso(row.pop("last_heard_s"))
    row["expected_by"] = _iso(row.pop("expected_by_s"))
    return row


@cit.command("status")
@_DB
@_SITE
@_AT
@_JSON
def status(db: str, site_id: str | None, at: str | None, as_json: bool) -> None:
    """Every device: join state (LED), parent, hops, RSSI, margin, battery, completeness."""
    from openamr.web.health import site_health

    with _open(db) as store:
        _check_site(store, site_id)
        now_s = _now_s(store, at, site_id)
        rows = site_health(store, site_id, now_s)
    if as_json:
        click.echo(json.dumps({"at": _iso(now_s), "site_id": site_id,
                               "devices": [_health_json(h) for h in rows]}, sort_keys=True))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} devices as of {_iso(now_s)}")
    for col in ("device", "role", "state", "parent", "hops", "RSSI dBm", "margin dB",
                "deliv 24h", "ETX", "batt days", "last heard", "compl 72h"):
        table.add_column(col)

    def fmt(v: object, spec: str = "") -> str:
        return "–" if v is None else format(v, spec)

    for h in rows:
        table.add_row(h.label, h.role, h.join_state, h.parent_label or "–", fmt(h.hops),
                      fmt(h.rssi_dbm), fmt(h.margin_db, ".1f"),
                      fmt(h.delivery_24h_ratio, ".1%"), fmt(h.etx, ".2f"),
                      fmt(h.battery_days_left, ".0f"), _iso(h.last_heard_s) or "–",
                      fmt(h.completeness_72h_ratio, ".1%"))
    Console(width=None if sys.stdout.isatty() else 200).print(table)


@cit.command("checklist")
@_DB
@_SITE
@_AT
@_JSON
def checklist(db: str, site_id: str | None, at: str | None, as_json: bool) -> None:
    """The manual's §5.2 commissioning checklist: DCAP, repeaters nearest first, MDTs."""
    from openamr.web.checklist import build_checklist
    from openamr.web.health import site_health

    with _open(db) as store:
        _check_site(store, site_id)
        sites = [site_id] if site_id else [s.site_id for s in store.list_sites()]
        if len(sites) != 1:
            raise InputError("the store holds several sites: choose one", where="--site")
        now_s = _now_s(store, at, sites[0])
        rows = site_health(store, sites[0], now_s)
        statuses = {s.device_id: s for s in store.list_device_status(site_id=sites[0])}
        has_data = {h.device_id: h.meter_id is not None
                    and store.last_interval_s(h.meter_id, site_id=h.site_id) is not None
                    for h in rows if h.role == "mdt"}
    result = build_checklist(rows, statuses, has_data, now_s)
    if as_json:
        click.echo(json.dumps(asdict(result), sort_keys=True))
        return
    marks = {"done": "[x]", "current": "[>]", "todo": "[ ]"}
    for st in result.steps:
        click.echo(f"{marks[st.state]} {st.number:>3}. {st.action}")
        for w in st.warnings:
            click.echo(f"         warning: {w}")
    click.echo(f"{result.done} of {len(result.steps)} steps done")


_REVERSE_PHASE_VALUES = {"off": 0, "L1": 1, "L2": 2, "both": 3}
"""``--reverse-phase`` → the ``meter.reverse_phase`` event's value (the element lit, 0: none)."""


@cit.command("register")
@_DB
@_SITE
@click.option("--meter", "meter_id", required=True, help="the meter whose LCD you read")
@click.option("--lcd-kwh", type=float, required=True, help="the LCD's reading now [kWh]")
@click.option("--lcd-at-install-kwh", type=float, default=0.0, show_default=True,
              help="the LCD's reading when the MDT was installed [kWh]")
@click.option("--reverse-phase", type=click.Choice(list(_REVERSE_PHASE_VALUES)), default=None,
              help="what the LCD's reverse phase indicator shows (manual §7): recorded as a "
                   "meter.reverse_phase event, which raises or clears alarm.reverse_phase")
@_JSON
def register(db: str, site_id: str | None, meter_id: str, lcd_kwh: float,
             lcd_at_install_kwh: float, reverse_phase: str | None, as_json: bool) -> None:
    """Compare the LCD's kWh with the MDT's total (flags a pulse input on the 100 Wh terminal);
    with --reverse-phase, record what the LCD's reverse phase indicator shows."""
    from openamr.web.register_check import check_register

    observed: dict[str, Any] | None = None
    with _open(db) as store:
        _check_site(store, site_id)
        found = store.find_meters(meter_id, site_id)
        if not found:
            raise InputError(f"no meter {meter_id!r} in the store", where="--meter")
        if len(found) > 1:
            raise InputError(f"meter {meter_id!r} exists at several sites "
                             f"({', '.join(m.site_id for m in found)}): give --site",
                             where="--meter")
        reads = store.get_register_reads(meter_id, site_id=found[0].site_id)
        if reverse_phase is not None:
            observed = _record_reverse_phase(store, found[0].site_id, meter_id,
                                             _REVERSE_PHASE_VALUES[reverse_phase])
    total = float(reads.register_wh[-1]) if len(reads) else None
    result = check_register(lcd_kwh, total, lcd_at_install_kwh)
    if as_json:
        out = asdict(result)
        if observed is not None:
            out["reverse_phase"] = observed
        click.echo(json.dumps(out, sort_keys=True))
    else:
        click.echo(f"{result.code}: {result.message}")
        if observed is not None:
            click.echo(f"reverse phase indicator: {reverse_phase} (alarm.reverse_phase "
                       f"{'open' if observed['alarm_open'] else 'not open'})")
    if not result.ok:
        raise SystemExit(1)


def _record_reverse_phase(store: Any, site_id: str, meter_id: str, value: int,
                          ) -> dict[str, Any]:
    """Store the installer's reading of the reverse phase indicator as the meter's MDT's
    ``meter.reverse_phase`` event (now, UTC) and apply the alarm rules to it.

    The manual's MDT reads only the pulse output, so nothing in the field reports the
    indicator (an LCD symbol, manual §3.2); the installer reads it at the register check (§7:
    "Check to make sure the reverse phase indicator is not on")."""
    import time

    from openamr.headend.alarms import ALARM_REVERSE_PHASE, AlarmRules
    from openamr.headend.store import EventRow

    mdts = [d for d in store.list_devices(site_id, role="mdt") if d.meter_id == meter_id]
    if not mdts:
        raise InputError(f"meter {meter_id!r} has no MDT in the store", where="--meter")
    now_s = int(time.time())
    event = EventRow(mdts[0].device_id, meter_id, "meter.reverse_phase", now_s, value,
                     received_s=now_s)
    store.put_events([event])
    rules = AlarmRules(store)
    rules.on_events([event])
    return {"device_id": event.device_id, "value": value, "t_s": now_s,
            "alarm_open": rules.is_active(ALARM_REVERSE_PHASE, event.device_id, meter_id)}


@cit.command("troubleshoot")
@_DB
@_SITE
@_AT
@click.option("--device", "device", required=True,
              help="the device: its label (REP-001, a meter id) or EUI-64")
@click.option("--symptom", type=click.Choice(["lcd_dark", "load_led", "consumption_low",
                                              "wireless"]), required=True,
              help="the manual's §7 problem")
@_JSON
def troubleshoot(db: str, site_id: str | None, at: str | None, device: str, symptom: str,
                 as_json: bool) -> None:
    """The manual's §7 problems, answered from what the head-end knows."""
    from openamr.web.health import site_health
    from openamr.web.troubleshoot import MANUAL_CHECKS, diagnose

    with _open(db) as store:
        _check_site(store, site_id)
        now_s = _now_s(store, at, site_id)
        rows = site_health(store, site_id, now_s)
        matches = [h for h in rows if device in (h.device_id, h.label, h.meter_id)]
        if len(matches) != 1:
            raise InputError(f"{'no' if not matches else 'more than one'} device {device!r}"
                             f"{'' if not matches else ': give --site'}", where="--device")
        h = matches[0]
        events = store.list_events(device_id=h.device_id, limit=50)
        energy = None
        if h.meter_id:
            arr = store.get_intervals(h.meter_id, now_s - 86_400, now_s, site_id=h.site_id)
            energy = float(arr.energy_wh.sum()) if len(arr) else None
        parent = next((p for p in rows if p.device_id == h.parent_id), None)
    findings = diagnose(symptom, h, events, energy, parent)
    if as_json:
        click.echo(json.dumps({"device_id": h.device_id, "symptom": symptom,
                               "findings": [asdict(f) for f in findings],
                               "manual": list(MANUAL_CHECKS[symptom])}, sort_keys=True))
        return
    for f in findings:
        click.echo(f"{f.severity:>8}  {f.message}")
    click.echo("the manual's checks:")
    for line in MANUAL_CHECKS[symptom]:
        click.echo(f"          {line}")


def _link_json(link: Any) -> dict[str, Any]:
    row = asdict(link)
    row["margin_db"] = _finite(row["margin_db"])
    return row


@cit.command("survey")
@click.argument("site_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--min-margin-db", type=click.FloatRange(min=0.0, max=100.0), default=20.0,
              show_default=True, help="the link margin every MDT must reach [dB]")
@click.option("--max-repeaters", type=click.IntRange(min=0, max=500), default=50,
              show_default=True, help="stop proposing after this many repeaters")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write the site file with the proposed repeaters added")
@_JSON
def survey(site_file: Path, min_margin_db: float, max_repeaters: int, output: Path | None,
           as_json: bool) -> None:
    """Predict link margins of a planned site; propose repeaters until every MDT reaches
    --min-margin-db (exit 1 when some device stays below)."""
    from openamr.field.site import load_site, write_site
    from openamr.field.site.survey import survey_site

    if not site_file.exists():
        raise InputError("no such file", where=str(site_file))
    site = load_site(site_file)
    result = survey_site(site, min_margin_db, max_repeaters=max_repeaters)
    if output is not None:
        write_site(result.site_with_proposed(site), output)
    if as_json:
        click.echo(json.dumps({
            "site_id": site.site_id, "min_margin_db": min_margin_db,
            "links": [_link_json(link) for link in result.links],
            "below_margin": list(result.below_margin),
            "proposed_repeaters": [asdict(p) for p in result.proposed_repeaters],
            "links_with_proposed": [_link_json(link) for link in result.links_with_proposed],
            "still_below": list(result.still_below)}, sort_keys=True))
    else:
        mdts = [link for link in result.links if link.role == "mdt"]
        click.echo(f"{len(mdts)} MDTs, {len(result.below_margin)} device(s) below "
                   f"{min_margin_db:g} dB: {', '.join(result.below_margin) or 'none'}")
        for p in result.proposed_repeaters:
            click.echo(f"add {p.device_id} on floor {p.floor} at x={p.x_m} m y={p.y_m} m "
                       f"(link to {p.parent_id}: {p.margin_db} dB; serves "
                       f"{', '.join(p.serves) or 'the backbone'})")
        if result.still_below:
            click.echo(f"still below the margin: {', '.join(result.still_below)}")
        elif result.proposed_repeaters:
            click.echo("with these repeaters every device reaches the margin")
        if output is not None:
            click.echo(f"wrote {output}")
    if result.still_below:
        raise SystemExit(1)
