"""``openamr meter``: the meter model from the command line.

* ``openamr meter diagnose``: installation findings from what each element measures;
* ``openamr meter accuracy``: ANSI-style accuracy test of the model with given CT errors;
* ``openamr meter simulate`` (module :mod:`openamr.cli.meter_simulate`, when installed).

Bad input (a PF outside its range, a negative current, an unknown service) is a usage error:
a clear message and exit status 2.
"""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from openamr.errors import InputError
from openamr.field.meter.accuracy import run_accuracy_test
from openamr.field.meter.catalogue import Service
from openamr.field.meter.diagnosis import ElementReading, diagnose

__all__ = ["meter"]

@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def meter() -> None:
    """The CT-rated kWh meter: diagnose an installation, test accuracy, simulate."""


try:
    from openamr.cli.meter_simulate import simulate
except ModuleNotFoundError as exc:  # the outputs half is not installed
    if exc.name != "openamr.cli.meter_simulate":
        raise
else:
    meter.add_command(simulate)


def _usage(exc: InputError) -> click.BadParameter:
    return click.BadParameter(exc.message, param_hint=f"'{exc.where}'" if exc.where else None)


def _non_negative(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not value >= 0:
        raise click.BadParameter(f"must be >= 0, got {value}")
    return value


def _measured_pf(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not -1.0 <= value <= 1.0:
        raise click.BadParameter(f"a measured power factor lies in [-1, 1], got {value}")
    return value


_SERVICES = [s.value for s in Service]


@meter.command("diagnose")
@click.option("--service", required=True, type=click.Choice(_SERVICES, case_sensitive=False),
              help="Electrical service: split (120/240 V), network (120/208 V A-B), network-ac, "
                   "single (2-wire).")
@click.option("--p1-w", type=float, required=True, help="Active power of element 1 [W].")
@click.option("--p2-w", type=float, default=None,
              help="Active power of element 2 [W] (required unless --service single).")
@click.option("--pf1", type=float, default=None, callback=_measured_pf,
              help="Measured PF of element 1, signed like P, in [-1, 1].")
@click.option("--pf2", type=float, default=None, callback=_measured_pf,
              help="Measured PF of element 2, signed like P, in [-1, 1].")
@click.option("--v1-v", type=float, default=None, callback=_non_negative,
              help="Voltage at element 1 [V rms].")
@click.option("--v2-v", type=float, default=None, callback=_non_negative,
              help="Voltage at element 2 [V rms].")
@click.option("--i1-a", type=float, default=None, callback=_non_negative,
              help="Current through CT1 [A rms primary].")
@click.option("--i2-a", type=float, default=None, callback=_non_negative,
              help="Current through CT2 [A rms primary].")
@click.option("--angle1-deg", type=click.FloatRange(-360, 360), default=None,
              help="Angle of element 1, theta = angle(V) - angle(I) [deg] (used without --pf1).")
@click.option("--angle2-deg", type=click.FloatRange(-360, 360), default=None,
              help="Angle of element 2 [deg] (used without --pf2).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def diagnose_cmd(service: str, p1_w: float, p2_w: float | None, pf1: float | None,
                 pf2: float | None, v1_v: float | None, v2_v: float | None, i1_a: float | None,
                 i2_a: float | None, angle1_deg: float | None, angle2_deg: float | None,
                 as_json: bool) -> None:
    """Installation findings from per-element measurements (codes such as wiring.ct_reversed).

    Example: openamr meter diagnose --service split --p1-w -1200 --p2-w 1200 --json
    """
    svc = Service.parse(service)
    if svc.elements == 2 and p2_w is None:
        raise click.BadParameter("required for a dual-element service", param_hint="'--p2-w'")
    try:
        readings = [ElementReading(p1_w, pf1, v1_v, i1_a, angle1_deg)]
        if svc.elements == 2:
            assert p2_w is not None
            readings.append(ElementReading(p2_w, pf2, v2_v, i2_a, angle2_deg))
        findings = diagnose(svc, readings)
    except InputError as exc:
        raise _usage(exc) from exc
    if as_json:
        click.echo(json.dumps({"findings": [f.to_dict() for f in findings]}, indent=2))
        return
    console = Console()
    if not findings:
        console.print(f"[green]No findings[/green]: the {svc.value} installation looks right.")
        return
    table = Table(title=f"Diagnosis ({svc.value} service)")
    for col in ("code", "element", "message", "remedy"):
        table.add_column(col, overflow="fold")
    for f in findings:
        table.add_row(f.code, "-" if f.element is None else str(f.element), f.message, f.remedy)
    console.print(table)



@meter.command()
@click.option("--ta-a", type=float, required=True,
              help="Test amperes TA [A primary per element], 0 < TA <= 220 (110 for the 100 A "
                   "kit).")
@click.option("--ct-phase-error-deg", type=float, default=0.0, show_default=True,
              help="Net uncompensated CT phase lead [deg] (positive = secondary leads).")
@click.option("--ct-ratio-error-pct", type=float, default=0.0, show_default=True,
              help="CT ratio error [%] (negative = the CT reads low).")
@click.option("--voltage-v", type=float, default=120.0, show_default=True,
              help="Test voltage per element [V].")
@click.option("--pulses", type=click.IntRange(min=1), default=400, show_default=True,
              help="Kh 10 pulses timed per point.")
@click.option("--rating-a", type=click.Choice(["200", "100"]), default="200", show_default=True,
              help="Current rating of the kit [A]: the high corner is tested at it and TA may "
                   "not exceed its maximum (220 A / 110 A).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def accuracy(ta_a: float, ct_phase_error_deg: float, ct_ratio_error_pct: float, voltage_v: float,
             pulses: int, rating_a: str, as_json: bool) -> None:
    """ANSI-style accuracy points (FL, LL, PF lag/lead, 2 A and 200 A corners) through the model.

    Example: openamr meter accuracy --ta-a 30 --ct-phase-error-deg 0.25 --json
    """
    if not 0 < voltage_v <= 300:
        raise click.BadParameter(f"must be in (0, 300] V, got {voltage_v}",
                                 param_hint="'--voltage-v'")
    try:
        report = run_accuracy_test(ta_a, ct_phase_error_deg, ct_ratio_error_pct,
                                   voltage_v=voltage_v, pulses=pulses, rating_a=int(rating_a))
    except InputError as exc:
        hint = {"ta_a": "'--ta-a'", "ct": "'--ct-phase-error-deg' / '--ct-ratio-error-pct'"}
        raise click.BadParameter(exc.message, param_hint=hint.get(exc.where or "")) from exc
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    table = Table(title=f"Accuracy test, TA = {ta_a:g} A, CT lead {ct_phase_error_deg:g} deg, "
                        f"ratio {ct_ratio_error_pct:g} %")
    for col in ("point", "current [A]", "PF", "% REG", "limit [±%]", "result"):
        table.add_column(col, justify="right" if col != "point" else "left")
    for p in report.points:
        pf = f"{abs(p.pf):g} {'lead' if p.pf < 0 else 'lag' if abs(p.pf) < 1 else ''}".strip()
        table.add_row(p.name, f"{p.current_a:g}", pf, f"{p.registration_pct:.3f}",
                      f"{p.limit_pct:g}", "[green]pass[/green]" if p.passed else "[red]FAIL[/red]")
    console = Console()
    console.print(table)
    avg = report.averages
    console.print(f"(4FL+LL)/5 = {avg['method_1_pct']:.3f} %   (FL+LL)/2 = "
                  f"{avg['method_2_pct']:.3f} %   (4FL+2LL+PF)/7 = {avg['method_4_pct']:.3f} %")
