"""The dashboard's pages: sites and floor plans, meters, alarms, the commissioning tool.

Every page is server-rendered HTML (``render``); the only scripts are the vendored chart
library and ``meter.js``.  Every page first signs the request in (:func:`_gate`): a ``?token=``
in the URL becomes the session cookie and a redirect; no valid session redirects to
``/signin``.  Pages show only the sites the token may see (404 for another site's meter).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openamr.errors import InputError, StoreError
from openamr.headend.auth import describe, verify_token
from openamr.headend.store.base import AlarmRow, DevicePosition, Meter, Site, Store, TokenRow
from openamr.web.checklist import MDT_WIRING, ChecklistStep, build_checklist
from openamr.web.health import LED_PATTERNS, DeviceHealth, site_health
from openamr.web.meter_data import meter_view
from openamr.web.register_check import RegisterCheck, check_register
from openamr.web.render import render
from openamr.web.session import (
    can,
    current_token,
    form_fields,
    redirect_without_token,
    set_session,
    visible_sites,
)
from openamr.web.svg import floor_plan_svg, network_map_svg
from openamr.web.troubleshoot import MANUAL_CHECKS, SYMPTOMS, Finding, diagnose

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_ALARM_STATES = ("open", "acknowledged", "cleared", "all")
WATCH_REFRESH_S = 15
"""How often the CIT page reloads while an installer watches devices join [s]."""


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _now_s(request: Request) -> int:
    return int(request.app.state.clock())


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status,
                        headers={"Cache-Control": "no-store",
                                 "X-Content-Type-Options": "nosniff",
                                 "Referrer-Policy": "same-origin"})


def _error(token: TokenRow | None, status: int, heading: str, message: str) -> HTMLResponse:
    return _html(render("error.html", token=token, status=status, heading=heading,
                        message=message), status)


def _refused(gate: TokenRow, permission: str, action: str) -> HTMLResponse | None:
    """The 403 page unless the token's role has ``permission`` (``action``: what it may not
    do), else None."""
    if can(gate, permission):
        return None
    return _error(gate, 403, "Not allowed", f"role {gate.role!r} may not {action}")


def _gate(request: Request, permission: str | None = None,
          action: str = "") -> TokenRow | Response:
    """The signed-in token, or the response to send instead (redirect or sign-in page; the
    403 page when it lacks ``permission``, see :func:`_refused`)."""
    secret = request.query_params.get("token")
    if secret is not None:
        row = verify_token(_store(request), secret)
        if row is None:
            return _html(render("signin.html", token=None, next=request.url.path,
                                error="That token is unknown or revoked."), 401)
        response = redirect_without_token(request)
        set_session(response, request, secret)
        return response
    row = current_token(request)
    if row is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)
    return row if permission is None else _refused(row, permission, action) or row


_SIGNIN_FORM_BYTES = 64_000
"""The sign-in form is read up to this size (it is read before anyone is signed in)."""


async def _form(request: Request, max_bytes: int) -> dict[str, str] | None:
    """The request's url-encoded form, or None as soon as its body passes ``max_bytes`` (the
    rest is not read)."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            return None
    return form_fields(bytes(body))


def _download(content: bytes, media_type: str, name: str, *, inline: bool = False) -> Response:
    """A file answer: ``name`` made a safe file name, never cached, never sniffed."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    disposition = "inline" if inline else "attachment"
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'{disposition}; filename="{safe}"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def _safe_next(path: str | None) -> str:
    """Only a local path may follow sign-in (no open redirect)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, next: str = "/") -> Response:
    return _html(render("signin.html", token=None, next=_safe_next(next), error=None))


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    fields = await _form(request, _SIGNIN_FORM_BYTES)
    if fields is None:
        return _error(None, 413, "Too large", "the form is too large")
    secret = fields.get("token", "").strip()
    target = _safe_next(fields.get("next"))
    if not secret or verify_token(_store(request), secret) is None:
        return _html(render("signin.html", token=None, next=target,
                            error="That token is unknown or revoked."), 401)
    response = RedirectResponse(target, status_code=303)
    set_session(response, request, secret)
    return response


@router.get("/signout")
def signout() -> Response:
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie("openamr_session", path="/")
    return response


def _site_or_none(sites: Sequence[Site], wanted: str | None) -> Site | None:
    if wanted is None:
        return sites[0] if sites else None
    return next((s for s in sites if s.site_id == wanted), None)


# -- sites ------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> Response:
    gate = _gate(request)
    if isinstance(gate, Response):
        return gate
    store = _store(request)
    now_s = _now_s(request)
    cards = []
    for site in visible_sites(store, gate):
        rows = site_health(store, site.site_id, now_s)
        states = Counter(h.join_state for h in rows)
        cards.append({"site": site, "total": len(rows),
                      "states": sorted(states.items()),
                      "open_alarms": len(store.list_alarms(state="open", site_id=site.site_id))})
    return _html(render("overview.html", token=gate, nav="sites", sites=cards))


@router.get("/sites/{site_id}", response_class=HTMLResponse)
def site_page(request: Request, site_id: str) -> Response:
    gate = _gate(request)
    if isinstance(gate, Response):
        return gate
    store = _store(request)
    site = _site_or_none(visible_sites(store, gate), site_id)
    if site is None:
        return _error(gate, 404, "No such site", f"no site {site_id!r} is visible to you")
    rows = site_health(store, site.site_id, _now_s(request))
    floors = sorted({h.floor for h in rows if h.floor is not None})
    query = f"?site={quote(site.site_id, safe='')}"
    plans = [(f, floor_plan_svg(rows, f, meter_href="/meters/", meter_query=query))
             for f in floors]
    return _html(render("site.html", token=gate, nav="sites", site=site, rows=rows,
                        floors=plans))


# -- meters -----------------------------------------------------------------------------------


def _find_meter(store: Store, sites: Sequence[Site], meter_id: str,
                site_id: str | None) -> tuple[Meter, Site] | list[Meter] | None:
    """The meter among the visible sites (of ``site_id`` if given); the candidates when the id
    names meters at several visible sites; None when there is none."""
    visible = {s.site_id: s for s in sites}
    scope = [site_id] if site_id is not None else list(visible)
    found = [m for m in store.find_meters(meter_id, scope) if m.site_id in visible]
    if len(found) > 1:
        return found
    if not found:
        return None
    return found[0], visible[found[0].site_id]


@router.get("/meters/{meter_id}", response_class=HTMLResponse)
def meter_page(request: Request, meter_id: str, site: str | None = None,
               days: int = 35, view: str = "raw") -> Response:
    gate = _gate(request)
    if isinstance(gate, Response):
        return gate
    store = _store(request)
    found = _find_meter(store, visible_sites(store, gate), meter_id, site)
    if found is None:
        return _error(gate, 404, "No such meter", f"no meter {meter_id!r} is visible to you")
    if isinstance(found, list):
        return _html(render("ambiguous.html", token=gate, nav="sites", meter_id=meter_id,
                            candidates=found), 409)
    meter, where = found
    refused = _refused(gate, "data.read", "read meter data")
    if refused is not None:
        return refused
    days = min(max(days, 1), 400)
    now_s = _now_s(request)
    shown = meter_view(store, meter, where.timezone, now_s, days=days,
                       view="validated" if view == "validated" else "raw")
    health = next((h for h in site_health(store, where.site_id, now_s)
                   if h.meter_id == meter.meter_id), None)
    chart = {"timezone": where.timezone, "intervals": shown.intervals, "daily": shown.daily,
             "monthly": shown.monthly, "heatmap": shown.heatmap, "temperature": shown.temperature}
    chart_json = json.dumps(chart, separators=(",", ":")).replace("</", "<\\/")
    return _html(render("meter.html", token=gate, nav="sites", site=where, view=shown,
                        label=health.label if health else meter.meter_id, health=health,
                        chart_json=chart_json, days=days))


# -- alarms -----------------------------------------------------------------------------------


def _alarm_rows(store: Store, sites: Sequence[Site], state: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for site in sites:
        labels = {p.device_id: p.label for p in store.list_device_positions(site.site_id)}
        found = store.list_alarms(state=None if state == "all" else state, limit=500,
                                  site_id=site.site_id)
        for a in found:
            row = asdict(a)
            row["site_id"] = site.site_id
            row["device_label"] = labels.get(a.device_id or "", a.device_id)
            out.append(row)
    out.sort(key=lambda r: (-int(r["raised_s"]), -int(r["alarm_id"] or 0)))
    return out


@router.get("/alarms", response_class=HTMLResponse)
def alarms_page(request: Request, state: str = "open", done: str | None = None) -> Response:
    gate = _gate(request)
    if isinstance(gate, Response):
        return gate
    if state not in _ALARM_STATES:
        state = "open"
    store = _store(request)
    rows = _alarm_rows(store, visible_sites(store, gate), state)
    message = f"Alarm {done} acknowledged." if done and done.isdigit() else None
    return _html(render("alarms.html", token=gate, nav="alarms", alarms=rows, state=state,
                        may_ack=can(gate, "alarms.ack"), done=message))


def _alarm_visible(store: Store, sites: Sequence[Site], alarm: AlarmRow) -> bool:
    ids = {s.site_id for s in sites}
    if alarm.site_id is not None:
        return alarm.site_id in ids
    if alarm.meter_id:
        meters = store.find_meters(alarm.meter_id)
        if len(meters) == 1:
            return meters[0].site_id in ids
    if alarm.device_id:
        device = store.get_device(alarm.device_id)
        if device is not None:
            return device.site_id in ids
    return len(ids) == len(store.list_sites())


@router.post("/alarms/{alarm_id}/ack", response_class=HTMLResponse)
def ack_alarm(request: Request, alarm_id: int) -> Response:
    gate = _gate(request)
    if isinstance(gate, Response):
        return gate
    store = _store(request)
    alarm = store.get_alarm(alarm_id)
    if alarm is None or not _alarm_visible(store, visible_sites(store, gate), alarm):
        return _error(gate, 404, "No such alarm", f"no alarm {alarm_id} is visible to you")
    refused = _refused(gate, "alarms.ack", "acknowledge alarms")
    if refused is not None:
        return refused
    if not store.ack_alarm(alarm_id, describe(gate), _now_s(request)):
        current = store.get_alarm(alarm_id)
        return _error(gate, 409, "Not open",
                      f"alarm {alarm_id} is {current.state if current else 'gone'}; only an "
                      "open alarm can be acknowledged")
    return RedirectResponse(f"/alarms?done={alarm_id}", status_code=303)


# -- commissioning tool -----------------------------------------------------------------------


def _provisioning(site_id: str) -> Any:
    def command(step: ChecklistStep) -> str:
        return (f"openamr device add --db DB --site {site_id} --id {step.label} "
                f"--role {step.role} --eui {step.device_id} --install-code HEX")
    return command


def _register_result(store: Store, site_id: str, meter_id: str | None, lcd: str | None,
                     base: str | None) -> tuple[RegisterCheck | None, str | None]:
    if not meter_id or lcd is None or lcd == "":
        return None, None
    try:
        lcd_kwh = float(lcd)
        base_kwh = float(base) if base else 0.0
    except ValueError:
        return None, "LCD readings must be numbers of kWh"
    reads = store.get_register_reads(meter_id, site_id=site_id)
    total = float(reads.register_wh[-1]) if len(reads) else None
    try:
        return check_register(lcd_kwh, total, base_kwh), None
    except InputError as exc:
        return None, str(exc)


def _troubleshoot(store: Store, rows: Sequence[DeviceHealth], device_id: str | None,
                  symptom: str | None, now_s: int) -> list[Finding] | None:
    if not device_id or symptom not in SYMPTOMS:
        return None
    by_id = {h.device_id: h for h in rows}
    device = by_id.get(device_id) or next((h for h in rows if h.label == device_id), None)
    if device is None:
        return [Finding("ts.unknown_device", "info", f"no device {device_id!r} in this site")]
    events = store.list_events(device_id=device.device_id, limit=50)
    energy = None
    if device.meter_id:
        arr = store.get_intervals(device.meter_id, now_s - 86_400, now_s,
                                  site_id=device.site_id)
        energy = float(arr.energy_wh.sum()) if len(arr) else None
    parent = by_id.get(device.parent_id or "")
    return diagnose(str(symptom), device, events, energy, parent)


@router.get("/cit", response_class=HTMLResponse)
def cit_page(request: Request, site: str | None = None, meter: str | None = None,
             lcd_kwh: str | None = None, lcd_at_install_kwh: str | None = None,
             device: str | None = None, symptom: str | None = None,
             watch: int = 0, added: str | None = None) -> Response:
    gate = _gate(request)
    if isinstance(gate, Response):
        return gate
    store = _store(request)
    sites = visible_sites(store, gate)
    chosen = _site_or_none(sites, site)
    if chosen is None:
        if site is not None:
            return _error(gate, 404, "No such site", f"no site {site!r} is visible to you")
        return _error(gate, 404, "No site", "no site is visible to this token")
    now_s = _now_s(request)
    rows = site_health(store, chosen.site_id, now_s)
    statuses = {s.device_id: s for s in store.list_device_status(site_id=chosen.site_id)}
    has_data = {h.device_id: (h.completeness_72h_ratio or 0) > 0
                or (h.meter_id is not None
                    and store.last_interval_s(h.meter_id, site_id=h.site_id) is not None)
                for h in rows if h.role == "mdt"}
    checklist = build_checklist(rows, statuses, has_data, now_s)
    meter_ids = {h.meter_id for h in rows if h.meter_id}
    reg: RegisterCheck | None = None
    reg_error: str | None = None
    if meter and meter not in meter_ids:
        reg_error = f"no meter {meter!r} in this site"
    else:
        reg, reg_error = _register_result(store, chosen.site_id, meter, lcd_kwh,
                                          lcd_at_install_kwh)
    findings = _troubleshoot(store, rows, device, symptom, now_s)
    states = sorted(Counter(h.join_state for h in rows).items())
    return _html(render(
        "cit.html", token=gate, nav="cit", site=chosen, sites=sites, rows=rows,
        states=states, now_s=now_s, map_svg=network_map_svg(rows), checklist=checklist,
        mdt_wiring=MDT_WIRING, led_patterns=LED_PATTERNS, watch=bool(watch), added=added,
        watch_s=WATCH_REFRESH_S,
        site_q=quote(chosen.site_id, safe=""),
        provisioning=_provisioning(chosen.site_id) if can(gate, "alarms.ack") else None,
        reg=reg, reg_error=reg_error, reg_meter=meter, reg_lcd=lcd_kwh,
        reg_base=lcd_at_install_kwh, symptoms=SYMPTOMS, ts_device=device, ts_symptom=symptom,
        ts_findings=findings, ts_manual=MANUAL_CHECKS.get(symptom or "", ())))


# -- site survey ------------------------------------------------------------------------------

_SURVEY_DEFAULT_DB = 20.0


@router.get("/cit/survey", response_class=HTMLResponse)
def survey_form(request: Request) -> Response:
    gate = _gate(request)
    if isinstance(gate, Response):
        return gate
    return _html(render("survey.html", token=gate, nav="cit", site_toml="", view=None,
                        error=None, min_margin_db=_SURVEY_DEFAULT_DB))


@router.post("/cit/survey", response_class=HTMLResponse)
async def survey_run(request: Request) -> Response:
    from openamr.web.survey_page import MAX_SITE_BYTES, run_survey

    gate = _gate(request)
    if isinstance(gate, Response):
        return gate
    fields = await _form(request, 4 * MAX_SITE_BYTES)  # url-encoding may triple the text
    if fields is None:
        return _error(gate, 413, "Too large", "the site file is too large for the form; "
                      "use openamr cit survey")
    text = fields.get("site_toml", "")
    margin_text = fields.get("min_margin_db", "") or str(_SURVEY_DEFAULT_DB)
    try:
        margin = float(margin_text)
    except ValueError:
        return _html(render("survey.html", token=gate, nav="cit", site_toml=text, view=None,
                            error="the margin must be a number of dB",
                            min_margin_db=margin_text), 400)
    try:
        view = await run_in_threadpool(run_survey, text, margin)
    except InputError as exc:
        return _html(render("survey.html", token=gate, nav="cit", site_toml=text, view=None,
                            error=str(exc), min_margin_db=margin_text), 400)
    return _html(render("survey.html", token=gate, nav="cit", site_toml=text, view=view,
                        error=None, min_margin_db=margin))


# -- bills ------------------------------------------------------------------------------------


def _default_period(now_s: int) -> str:
    """The last full month before now, ``YYYY-MM`` (UTC calendar, a form default only)."""
    from datetime import timedelta

    from openamr.timeutil import from_epoch_s

    first = from_epoch_s(now_s).replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


@router.get("/bills", response_class=HTMLResponse)
def bills_form(request: Request) -> Response:
    gate = _gate(request, "data.export", "make bills")
    if isinstance(gate, Response):
        return gate
    store = _store(request)
    return _html(render("bills.html", token=gate, nav="bills", sites=visible_sites(store, gate),
                        form=None, run=None, error=None,
                        default_period=_default_period(_now_s(request))))


@router.post("/bills", response_class=HTMLResponse)
async def bills_run(request: Request) -> Response:
    from openamr.web.bills_page import bill_file, bill_run, parse_bill_form

    gate = _gate(request, "data.export", "make bills")
    if isinstance(gate, Response):
        return gate
    store = _store(request)
    sites = visible_sites(store, gate)
    fields = await _form(request, 1_000_000)
    if fields is None:
        return _error(gate, 413, "Too large", "the form is too large")
    form = None
    try:
        form = parse_bill_form(fields)
        if not any(s.site_id == form.site_id for s in sites):
            raise InputError(f"no site {form.site_id!r} is visible to you", where="site")
        run = await run_in_threadpool(bill_run, store, form)
        if form.fmt != "view":
            content, media, name = await run_in_threadpool(bill_file, store, run, form.fmt)
            return _download(content, media, name, inline=form.fmt == "html")
    except InputError as exc:
        return _html(render("bills.html", token=gate, nav="bills", sites=sites, form=form,
                            run=None, error=str(exc),
                            default_period=_default_period(_now_s(request))), 400)
    return _html(render("bills.html", token=gate, nav="bills", sites=sites, form=form, run=run,
                        error=None, default_period=form.period))


# -- energy reports ---------------------------------------------------------------------------


def _energy_query(request: Request) -> dict[str, str]:
    q = request.query_params
    return {k: q.get(k, "") for k in ("site", "kind", "id", "from", "to")}


def _energy_report(store: Store, sites: Sequence[Site], q: dict[str, str]) -> Any:
    """The report the query asks for (``InputError`` naming the field otherwise)."""
    from openamr.headend.energy import energy_report

    if not any(s.site_id == q["site"] for s in sites):
        raise InputError(f"no site {q['site']!r} is visible to you", where="site")
    kind = q["kind"] or "site"
    if kind not in ("site", "meter", "unit"):
        raise InputError(f"unknown subject {kind!r}", where="kind")
    if kind != "site" and not q["id"]:
        raise InputError(f"give the {kind} id", where="id")
    first, last = _civil_date(q["from"], "from"), _civil_date(q["to"], "to")
    subject = {"site_id": q["site"]}
    if kind != "site":
        subject[f"{kind}_id"] = q["id"]
    try:
        report = energy_report(store, first, last, **subject)
    except StoreError as exc:  # e.g. an id several sites use
        raise InputError(str(exc), where="id") from None
    if report.subject.site_id != q["site"]:
        raise InputError(f"that {kind} is not in site {q['site']!r}", where="id")
    return report


@router.get("/energy", response_class=HTMLResponse)
def energy_page(request: Request) -> Response:
    from urllib.parse import urlencode

    from openamr.headend.energy import report_json

    gate = _gate(request, "data.read", "read meter data")
    if isinstance(gate, Response):
        return gate
    store = _store(request)
    sites = visible_sites(store, gate)
    q = _energy_query(request)
    if not q["site"] and sites:
        q["site"] = sites[0].site_id
    report = error = None
    if q["from"] and q["to"]:
        try:
            report = report_json(_energy_report(store, sites, q))
        except InputError as exc:
            error = str(exc)
    chart_json = json.dumps({k: report[k] for k in ("daily", "load_profile")}
                            if report else {}, separators=(",", ":")).replace("</", "<\\\\/")
    return _html(render("energy.html", token=gate, nav="energy", sites=sites, q=q,
                        report=report, error=error, chart_json=chart_json, kwh=_kwh,
                        query=urlencode(q)), 400 if error else 200)


def _civil_date(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"expected a date YYYY-MM-DD, got {text!r}", where=where) from None


def _kwh(energy_wh: float | None) -> str:
    return "–" if energy_wh is None else f"{energy_wh / 1000:.3f}"


@router.get("/energy.{fmt}")
def energy_download(request: Request, fmt: str) -> Response:
    from openamr.headend.energy import report_csv, report_json

    gate = _gate(request, "data.read", "read meter data")
    if isinstance(gate, Response):
        return gate
    if fmt not in ("csv", "json"):
        return _error(gate, 404, "Not found", "no such download")
    store = _store(request)
    q = _energy_query(request)
    try:
        report = _energy_report(store, visible_sites(store, gate), q)
    except InputError as exc:
        return _error(gate, 400, "Bad request", str(exc))
    if fmt == "csv":
        body, media = report_csv(report).encode("utf-8"), "text/csv; charset=utf-8"
    else:
        body, media = json.dumps(report_json(report)).encode("utf-8"), "application/json"
    return _download(body, media, f"energy-{q['site']}-{q['from']}-{q['to']}.{fmt}")


# -- provisioning from the CIT page -----------------------------------------------------------


@router.post("/cit/devices", response_class=HTMLResponse)
async def cit_add_device(request: Request) -> Response:
    """Register a device at the site (``openamr device add``'s checks), with its position."""
    from openamr.headend.provision import DeviceSpec, add_devices

    gate = _gate(request, "devices.manage", "add devices")
    if isinstance(gate, Response):
        return gate
    store = _store(request)
    f = await _form(request, 20_000)
    if f is None:
        return _error(gate, 413, "Too large", "the form is too large")
    site_id = f.get("site", "")
    if not any(s.site_id == site_id for s in visible_sites(store, gate)):
        return _error(gate, 404, "No such site", f"no site {site_id!r} is visible to you")
    try:
        floor = int(f.get("floor") or 0)
        x_m = float(f.get("x_m") or "nan")
        y_m = float(f.get("y_m") or "nan")
    except ValueError:
        return _add_device_error(request, gate, site_id, "floor, x and y must be numbers")
    placement = f.get("placement", "open")
    if placement not in ("open", "near_metal", "metal_box_window", "metal_box"):
        return _add_device_error(request, gate, site_id, f"unknown placement {placement!r}")
    spec = DeviceSpec(f.get("id", "").strip(), f.get("role", ""), f.get("eui", ""),
                      f.get("install_code", ""), f.get("meter_model") or None,
                      installed_s=_now_s(request))
    try:
        with store.transaction():
            (device,) = add_devices(store, site_id, [spec])
            if x_m == x_m and y_m == y_m:  # both given (not NaN)
                store.put_device_positions([DevicePosition(device.device_id, site_id,
                                                           spec.local_id, floor, x_m, y_m,
                                                           placement)])
    except InputError as exc:
        return _add_device_error(request, gate, site_id, str(exc))
    return RedirectResponse(f"/cit?site={quote(site_id, safe='')}&added="
                            f"{quote(spec.local_id, safe='')}#check-h", status_code=303)


def _add_device_error(request: Request, gate: TokenRow, site_id: str, message: str) -> Response:
    del request, site_id
    return _error(gate, 400, "Cannot add the device", message)
