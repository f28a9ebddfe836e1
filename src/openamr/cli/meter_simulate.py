"""``openamr meter simulate``: run the meter model on a constant load or a load profile.

Example::

    openamr meter simulate --model 6PSMT-C02 --l1-w 200 --duration-s 180 --json
    openamr meter simulate --model MMSMT-C02 --profile loads.csv --duration-s 86400 --ct1 reversed

``--json`` prints one object whose keys are stable (see docs/nomenclature/meter-outputs.md):
``register_wh``, ``pulses``, ``counter_counts``, ``led_toggle_times_s``, ``max_demand_w``,
``instant_power_w``, ``reverse_phase``, ``lcd``, ``tamper_events`` and more.  Bad input (unknown
model, non-positive duration, malformed CSV, PF out of range) exits with status 2.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from openamr.cli import InputErrorExit
from openamr.errors import InputError
from openamr.field.meter.catalogue import Service, get_model
from openamr.field.meter.demand import DEMAND_FILLS, DEMAND_METHODS, DemandSettings
from openamr.field.meter.meter import DEFAULT_SERIAL, Meter, MeterRunResult
from openamr.field.meter.profile import LoadProfile, check_pf, read_profile_csv
from openamr.field.meter.wiring import CT1_VALUES, CT2_VALUES, V1_VALUES, V2_VALUES, Wiring

__all__ = ["simulate"]

_SERVICES = [s.value for s in Service]


def _build(
    model: str, rating_a: int, service: str, l1_w: float | None, l2_w: float | None,
    pf: float, profile_path: Path | None, duration_s: float, wiring: Wiring, voltage_v: float,
    register_mode: str, demand_method: str, demand_fill: str, counter_wh: float | None,
    start_on: bool, serial: str, tamper_open_s: float | None, tamper_close_s: float | None,
) -> MeterRunResult:
    if not math.isfinite(duration_s) or duration_s <= 0:
        raise InputError(f"must be a positive number of seconds, got {duration_s!r}",
                         where="--duration-s")
    meter_model = get_model(model, rating_a)
    if profile_path is not None:
        profile = read_profile_csv(profile_path)
    else:
        assert l1_w is not None
        check_pf(pf, where="--pf")
        for name, value in (("--l1-w", l1_w), ("--l2-w", l2_w)):
            if value is not None and not math.isfinite(value):
                raise InputError(f"must be a finite number of watts, got {value!r}", where=name)
        profile = LoadProfile.constant(l1_w, l2_w or 0.0, pf)
    meter = Meter(
        meter_model,
        service=service,
        wiring=wiring,
        serial=serial,
        voltage_v=voltage_v,
        register_mode="element" if register_mode == "element" else "net",
        demand_settings=DemandSettings(method=demand_method, fill=demand_fill),
        counter_wh_per_count=counter_wh,
        start_on=start_on,
    )
    if tamper_open_s is not None:
        meter.remove_cover(tamper_open_s)
    if tamper_close_s is not None:
        if tamper_open_s is None:
            raise InputError("needs --tamper-open-s (the cover must be removed first)",
                             where="--tamper-close-s")
        meter.replace_cover(tamper_close_s)
    return meter.run(profile, duration_s)


def _print_table(result: MeterRunResult, data: dict[str, object]) -> None:
    console = Console()
    table = Table(title=f"{result.model} ({result.service}), {result.duration_s:g} s, "
                        f"serial {result.serial}")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    lcd = result.lcd
    rows = [
        ("meter powered (LCD on)", str(result.powered)),
        ("register [kWh] (LCD)", lcd.total_kwh or "-"),
        ("register [Wh]", f"{result.register_wh:.6g}"),
        ("instantaneous [kW] (LCD)", lcd.instant_kw or "-"),
        ("max demand [kW] (LCD)", lcd.demand_kw or "-"),
        ("present demand [W]", f"{result.demand.present_demand_w:.6g}"),
        ("reverse phase L1 / L2", " / ".join("ON" if f else "off" for f in result.reverse_phase)),
    ]
    rows += [(f"Kh {out.kh_wh:g} pulses (rising edges)"
              + (" (the MDT's: not for field wiring)" if out.kh_wh == 10 else ""),
              f"{out.completed} ({out.rising})")
             for out in result.outputs.values()]
    if result.limits is not None:
        rows += [("supply in 102–138 V", str(result.limits.supply_in_range)),
                 ("peak current / kit maximum [A]",
                  f"{result.limits.peak_current_a:.4g} / {result.limits.max_current_a:g}")]
    rows += [
        (f"counter ({result.counter_wh_per_count:g} Wh/count)", str(result.counter_counts)),
        ("load LED toggles / on at end", f"{data['led_toggles']} / {result.led.on_at_end}"),
        ("element power P1 / P2 [W]",
         " / ".join(f"{p:.6g}" for p in result.element_power_w)),
    ]
    rows += [(f"tamper: {e.kind}", f"{e.sim_t_s:g} s") for e in result.tamper_events]
    for name, value in rows:
        table.add_row(escape(name), escape(value))
    console.print(table)


@click.command("simulate")
@click.option("--model", required=True, help="Catalogue number, e.g. 6PSMT-C02 (manual §2.4).")
@click.option("--rating-a", type=click.Choice(["200", "100"]), default="200", show_default=True,
              help="Current rating of the kit [A].")
@click.option("--service", type=click.Choice(_SERVICES, case_sensitive=False), default="split",
              show_default=True, help="Electrical service.")
@click.option("--l1-w", type=float, default=None, help="Constant true load on leg 1 [W].")
@click.option("--l2-w", type=float, default=None, help="Constant true load on leg 2 [W] "
              "(default 0).")
@click.option("--pf", type=float, default=None,
              help="Load power factor of both legs, 0.5 ≤ |PF| ≤ 1 (negative = leading); "
                   "default 1.0.")
@click.option("--profile", "profile_path", type=click.Path(path_type=Path), default=None,
              help="Load profile CSV: t_s,l1_w,l2_w[,pf1,pf2] (mutually exclusive with --l1-w).")
@click.option("--duration-s", type=float, required=True, help="Length of the run [s].")
@click.option("--ct1", type=click.Choice(list(CT1_VALUES)), default="normal", show_default=True)
@click.option("--ct2", type=click.Choice(list(CT2_VALUES)), default="normal", show_default=True)
@click.option("--v1", type=click.Choice(list(V1_VALUES)), default="connected", show_default=True)
@click.option("--v2", type=click.Choice(list(V2_VALUES)), default="connected", show_default=True)
@click.option("--voltage-v", type=float, default=120.0, show_default=True,
              help="L-N voltage of each leg [V].")
@click.option("--register-mode", type=click.Choice(["net", "element"]), default="net",
              show_default=True, help="Negative-power clamp: net sum (a) or per element (b).")
@click.option("--demand-method", type=click.Choice(list(DEMAND_METHODS)), default="rolling",
              show_default=True)
@click.option("--demand-fill", type=click.Choice(list(DEMAND_FILLS)), default="zero",
              show_default=True, help="First-interval rule of the window demand methods.")
@click.option("--counter-wh", type=click.Choice(["100", "1000"]), default=None,
              help="Counter output weight [Wh per count] (default: 100).")
@click.option("--start-on", is_flag=True,
              help="Pulse outputs and LED start ON at power-up (the other phase).")
@click.option("--serial", default=DEFAULT_SERIAL, show_default=True,
              help="Serial number shown on the LCD at boot.")
@click.option("--tamper-open-s", type=float, default=None,
              help="Remove the cover at this time [s from power-up].")
@click.option("--tamper-close-s", type=float, default=None,
              help="Replace the cover at this time [s] (needs --tamper-open-s).")
@click.option("--max-led-toggles", type=click.IntRange(min=0), default=None,
              help="Cap the JSON list of LED toggle times (default: complete, up to "
                   "10,000,000).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def simulate(
    model: str, rating_a: str, service: str, l1_w: float | None, l2_w: float | None,
    pf: float | None, profile_path: Path | None, duration_s: float, ct1: str, ct2: str,
    v1: str, v2: str,
    voltage_v: float, register_mode: str, demand_method: str, demand_fill: str,
    counter_wh: str | None, start_on: bool, serial: str, tamper_open_s: float | None,
    tamper_close_s: float | None, max_led_toggles: int | None, as_json: bool,
) -> None:
    """Simulate a meter: registers, pulse/counter outputs, load LED, demand, LCD.

    Example: openamr meter simulate --model 6PSMT-C02 --l1-w 200 --duration-s 180 --json
    """
    if (l1_w is None) == (profile_path is None):
        raise click.UsageError("give exactly one of --l1-w (constant load) or --profile (CSV)")
    if profile_path is not None and (l2_w is not None or pf is not None):
        raise click.UsageError("--l2-w and --pf go with --l1-w; a profile has its own columns")
    try:
        result = _build(
            model, int(rating_a), service.lower(), l1_w, l2_w, 1.0 if pf is None else pf,
            profile_path, duration_s,
            Wiring(ct1=ct1, ct2=ct2, v1=v1, v2=v2), voltage_v, register_mode, demand_method,
            demand_fill, None if counter_wh is None else float(counter_wh), start_on, serial,
            tamper_open_s, tamper_close_s)
    except InputError as exc:
        raise InputErrorExit(str(exc)) from exc
    try:
        data = result.to_json_dict(max_led_toggles=max_led_toggles)
    except InputError as exc:
        raise InputErrorExit(f"{exc} (--max-led-toggles N)") from exc
    if as_json:
        click.echo(json.dumps(data))
        return
    _print_table(result, data)
    for warning in data["warnings"]:
        click.echo(f"warning: {warning}", err=True)
