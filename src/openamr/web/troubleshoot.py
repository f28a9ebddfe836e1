"""The troubleshooting assistant: the manual's §7 symptoms, answered from what the head-end knows.

For each symptom the manual lists what to check by hand; the assistant first says what the
stored data already shows about the meter or device (events, join state, link, placement,
interval energy, register check), then the manual's remaining checks.  Findings are values with
dotted codes (``ts.*``); each says whether it points at the cause (``severity`` ``problem``),
rules something out (``ok``) or is only a hint (``info``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openamr.headend.store.base import EventRow
from openamr.web.health import DeviceHealth

__all__ = ["MANUAL_CHECKS", "SYMPTOMS", "Finding", "diagnose"]

SYMPTOMS: dict[str, str] = {
    "lcd_dark": "LCD not illuminated",
    "load_led": "Load LED not flashing",
    "consumption_low": "Registered consumption low",
    "wireless": "Wireless AMR communication not operating",
}
"""The manual's §7 problems, by key."""

MANUAL_CHECKS: dict[str, tuple[str, ...]] = {
    "lcd_dark": ("Make sure all connections are wired properly.",
                 "Test the voltage being supplied to the meter using an AC voltmeter.",
                 "With power off, remove any additional line fuses and test with ohmmeter."),
    "load_led": ("Verify CT connections and orientations.",
                 "Make sure there is sufficient load to draw the required current.",
                 "Test the voltage being supplied to the meter using an AC voltmeter."),
    "consumption_low": ("Check to make sure the reverse phase indicator is not on.",
                        "Make sure that current and voltage connections are in phase.",
                        "Check power connections and fuses."),
    "wireless": ("Refer to section 1 (placement cautions) before proceeding.",
                 "Verify wireless AMR is wired correctly per Section 5.1.",
                 "Verify wireless network commissioning per section 5.2."),
}
"""The manual's §7 "Solution" lines for each problem (quoted)."""

WEAK_MARGIN_DB = 10.0
"""Below this parent-link margin a link is weak (the CIT map's red band; assumption)."""


@dataclass(frozen=True)
class Finding:
    """One thing the stored data says about a symptom."""

    code: str
    severity: str
    """``problem`` | ``info`` | ``ok``."""
    message: str


def _recent(events: Sequence[EventRow], code: str) -> EventRow | None:
    return next((e for e in events if e.code == code), None)


def diagnose(symptom: str, device: DeviceHealth, events: Sequence[EventRow],
             energy_24h_wh: float | None, parent: DeviceHealth | None = None) -> list[Finding]:
    """What the head-end knows about ``symptom`` for ``device`` (an MDT or a repeater).

    ``events``: the device's recent events, newest first; ``energy_24h_wh``: its meter's energy
    over the last 24 h [Wh] (None: no meter or no data); ``parent``: its parent's row.
    """
    out: list[Finding] = []
    lost = _recent(events, "power.lost")
    restored = _recent(events, "power.restored")
    reverse = _recent(events, "meter.reverse_phase")
    if symptom == "lcd_dark":
        if lost is not None and (restored is None or restored.t_s < lost.t_s):
            out.append(Finding("ts.power_lost", "problem",
                               "the MDT reported the meter's power lost and no restore since: the "
                               "meter has no supply (check breaker, fuses and voltage)"))
        elif device.join_state == "joined" and energy_24h_wh:
            out.append(Finding("ts.meter_counting", "ok",
                               "the MDT is reporting energy from this meter: the meter is "
                               "powered; the LCD itself may be faulty"))
        else:
            out.append(Finding("ts.no_evidence", "info",
                               "no recent energy or power event from this meter"))
    elif symptom == "load_led":
        if energy_24h_wh is not None and energy_24h_wh == 0:
            out.append(Finding("ts.no_load", "problem",
                               "no energy in the last 24 h: with no load the LED stays on or off "
                               "(§3.2); check the load and the CTs"))
        elif energy_24h_wh:
            out.append(Finding("ts.load_present", "ok",
                               f"{energy_24h_wh / 1000:.2f} kWh in the last 24 h: the meter sees "
                               "load, so the LED should cycle"))
        if reverse is not None:
            out.append(Finding("ts.reverse_phase", "problem",
                               "the meter reported reverse phase: a CT is reversed or on the "
                               "wrong phase"))
    elif symptom == "consumption_low":
        if reverse is not None:
            out.append(Finding("ts.reverse_phase", "problem",
                               "the meter reported reverse phase: one element subtracts; check CT "
                               "orientation (LINE side to incoming line) and phases"))
        out.append(Finding("ts.register_check", "info",
                           "run the register check: a pulse input on the 100 Wh terminal "
                           "records 1/10 of the LCD"))
    elif symptom == "wireless":
        failed = _recent(events, "join.failed")
        if failed is not None:
            out.append(Finding("ts.join_failed", "problem",
                               f"{device.label} reported a failed join: check that the install "
                               "code registered for it matches its label"))
        lost_records = _recent(events, "buffer.records_lost")
        if lost_records is not None:
            out.append(Finding("ts.records_lost", "problem",
                               f"{device.label} lost {lost_records.value} buffered interval(s): "
                               "it was out of touch longer than its 35-day buffer"))
        out.extend(_wireless(device, parent))
    return out


def _wireless(device: DeviceHealth, parent: DeviceHealth | None) -> list[Finding]:
    out: list[Finding] = []
    state = device.join_state
    if state == "not_heard":
        out.append(Finding("ts.never_heard", "problem",
                           f"the head-end has never heard {device.label}: is it ON (hold the "
                           "button about 4 s; slow flash = searching), wired per §5.1, and is a "
                           "repeater or the DCAP within range?"))
    elif state in ("late", "silent"):
        out.append(Finding("ts.silent", "problem",
                           f"{device.label} is past its expected report time ({state}): its "
                           "parent, power or battery may have gone"))
    else:
        out.append(Finding("ts.joined", "ok", f"{device.label} is joined and reporting on time"))
    if device.placement in ("metal_box", "metal_box_window", "near_metal"):
        out.append(Finding("ts.metal", "problem",
                           f"{device.label} is mounted {device.placement.replace('_', ' ')}: "
                           "the manual says not to (§1); move it out or add a repeater"))
    if device.margin_db is not None and device.margin_db < WEAK_MARGIN_DB:
        out.append(Finding("ts.weak_link", "problem",
                           f"its parent link margin is {device.margin_db:.1f} dB (< "
                           f"{WEAK_MARGIN_DB:g} dB): add a repeater nearer (cit survey)"))
    if parent is not None and parent.join_state in ("late", "silent", "not_heard"):
        out.append(Finding("ts.parent_down", "problem",
                           f"its parent {parent.label} is {parent.join_state}: check the "
                           "repeater's power"))
    if device.battery_days_left is not None and device.battery_days_left < 90:
        out.append(Finding("ts.battery", "problem",
                           f"battery about {device.battery_days_left:.0f} days left"))
    return out
