"""A :class:`~openamr.field.sim.scenario.Scenario` from a site file's :class:`Site`.

Radio: the site's own :class:`openamr.field.radio.Medium` (link table with frozen shadowing,
walls, floors and placement losses), seen by the mesh through
:meth:`openamr.field.mesh.medium.Medium.from_radio`.  Identity: each device's EUI-64 and install
code are derived from (site id, device id) (:func:`openamr.field.site.identity.device_identity`).

Energy goes through the meter model, vectorised over chunks of meters
(:func:`meter_registered_power_w`):
each meter's true load per leg (:func:`openamr.field.loads.site_leg_power_w`) → the wiring of
the meter (its ``[[faults]]``: ``ct1``/``ct2``/``v2`` as in ``openamr meter simulate``) through
:func:`openamr.field.meter.wiring.measured_element_powers_w` → the register rule (anti-creep,
negative clamp: :func:`openamr.field.meter.metrology.register_power_w`) → 0 while the meter is
dark (its ``[[outages]]``, or no voltage lead at the operating minimum) → closures of the
Kh = 10 Wh output per 15-minute interval
(:func:`openamr.field.meter.outputs.closure_counts_per_interval`: the MDT's pulse input counts a
pulse when the contact closes), the output reserved for the MDT.  Counting per interval, not
edge by edge, loses nothing: at the largest kit's maximum load the output closes every ~0.6 s,
far beyond the input's 50 ms dead time, so debouncing each edge accepts every closure (a test
holds the two paths equal).  ``register_wh`` is the meter's register, the same integral.
A bad load (a missing or malformed CSV profile) raises :class:`openamr.errors.InputError`.
Tamper events of the site file become each MDT's cover removed / replaced times; outages of a
meter its MDT's supply lost / restored; presses its button; ``clock_drift_ppm`` its crystal.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.field.mdt.clock import draw_drift_ppm
from openamr.field.mesh.mdt_node import KH_WH
from openamr.field.mesh.medium import Medium
from openamr.field.meter.ct import CT
from openamr.field.meter.metrology import DEFAULT_CREEP, DEFAULT_SUPPLY, lcd_on, register_power_w
from openamr.field.meter.outputs import closure_counts_per_interval
from openamr.field.meter.wiring import Wiring, measured_element_powers_w
from openamr.field.sim.scenario import NodeSpec, Scenario
from openamr.frames import DeviceRole
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["DEFAULT_EPOCH_S", "meter_registered_power_w", "scenario_from_site", "wiring_segments"]

DEFAULT_EPOCH_S = 1_767_225_600
"""2026-01-01T00:00:00Z: simulation time 0 when the site gives no ``start_s``."""

STEP_S = 300.0
"""Load-profile step [s] (a whole fraction of the 900 s interval)."""

_CHUNK = 128


def wiring_segments(faults: list[Any], n_steps: int, step_s: float,
                    ) -> list[tuple[int, int, Wiring]]:
    """``(first_step, end_step, wiring)`` spans of a meter's run from its ``[[faults]]`` (sorted
    by ``start_s``; each fault sets the keys it gives, the others keep their earlier value)."""
    spans: list[tuple[int, int, Wiring]] = []
    wiring = Wiring()
    start = 0
    for f in sorted(faults, key=lambda f: f.start_s):
        step = min(n_steps, int(np.ceil(f.start_s / step_s)))
        if step > start:
            spans.append((start, step, wiring))
            start = step
        wiring = Wiring(ct1=f.ct1 if f.ct1 != "normal" else wiring.ct1,
                        ct2=f.ct2 if f.ct2 != "normal" else wiring.ct2,
                        v1=wiring.v1, v2=f.v2 if f.v2 != "connected" else wiring.v2)
    if start < n_steps:
        spans.append((start, n_steps, wiring))
    return spans


def meter_registered_power_w(service: str, l1_w: npt.NDArray[np.float64],
                             l2_w: npt.NDArray[np.float64], segments: list[tuple[int, int, Wiring]],
                             dark: npt.NDArray[np.bool_] | None = None, voltage_v: float = 120.0,
                             ct: CT | None = None) -> npt.NDArray[np.float64]:
    """Power [W] the register accumulates per step, for true L-N loads per leg [W] (PF 1: the
    site's loads are active power only) under the wiring of each segment of steps; 0 where
    ``dark`` (the meter has no supply) or where no voltage lead reaches the operating minimum.
    ``l1_w``/``l2_w`` are ``(steps,)`` for one meter or ``(meters, steps)`` for several meters
    wired alike (vectorised).  ``ct``: the CTs' errors (:class:`CT`; ``None``: ideal)."""
    out = np.zeros(l1_w.shape, dtype=np.float64)
    for a, b, wiring in segments:
        p1, p2 = measured_element_powers_w(service, l1_w[..., a:b], l2_w[..., a:b],
                                           wiring=wiring, voltage_v=voltage_v, ct=ct)
        v1 = voltage_v if wiring.voltage_leg(1) is not None else 0.0
        v2 = voltage_v if wiring.voltage_leg(2) is not None and service != "single" else 0.0
        if bool(lcd_on(v1, v2, DEFAULT_SUPPLY)):
            out[..., a:b] = register_power_w(p1, p2, mode="net", creep=DEFAULT_CREEP)
    if dark is not None:
        out[..., dark] = 0.0
    return out


def _plain(meter: Any, faults: dict[str, Any], outages: dict[str, Any]) -> bool:
    """Correct wiring, ideal CTs, never dark: the vectorised path."""
    return (meter.id not in faults and meter.id not in outages
            and not meter.ct_ratio_error_pct and not meter.ct_phase_error_deg)


def _check_currents(chunk: Any, legs_w: npt.NDArray[np.floating[Any]]) -> None:
    """Refuse a meter whose load exceeds its kit's maximum rated current (manual Table 2:
    220 A for 200 A kits, 110 A for 100 A kits) at 120 V, PF 1."""
    from openamr.errors import InputError
    from openamr.field.meter.catalogue import get_model

    peaks_a = np.abs(legs_w).max(axis=(1, 2)) / VOLTAGE_V
    for m, peak_a in zip(chunk, peaks_a.tolist(), strict=True):
        max_a = get_model(m.model, m.rating_a).max_primary_current_a
        if peak_a > max_a:
            raise InputError(f"its load draws up to {peak_a:.0f} A on a leg, above the "
                             f"{m.rating_a} A kit's maximum rated current of {max_a:g} A "
                             "(manual Table 2)", where=f"meters.{m.id}.load")


VOLTAGE_V = 120.0
"""L-N voltage of every simulated meter [V] (the nominal of the manual's 102–138 V)."""


def scenario_from_site(site: Any, days: float, *, seed: int | None = None,
                       extra_days: float = 0.25, epoch_s: int | None = None) -> Scenario:
    """The scenario of ``site`` for ``days`` (+ ``extra_days`` of energy for the drain).

    ``epoch_s`` [UTC epoch s] overrides the site's ``start_s`` as simulation time 0.
    """
    from openamr.field.loads import site_leg_power_w
    from openamr.field.site.identity import device_identity

    seed = site.seed if seed is None else seed
    if epoch_s is None:
        epoch_s = int(site.start_s) if site.start_s is not None else DEFAULT_EPOCH_S
    epoch_s -= epoch_s % int(INTERVAL_LENGTH_S)
    radio = site.medium()
    medium = Medium.from_radio(radio, seed=seed)
    devices = site.devices
    identity = [device_identity(site.site_id, d.id) for d in devices]
    outages: dict[str, list[tuple[float, float]]] = {}
    for o in site.outages:
        outages.setdefault(o.device, []).append((o.start_s, o.duration_s))
    presses: dict[str, list[tuple[float, str]]] = {}
    for pr in site.presses:
        presses.setdefault(pr.mdt, []).append((pr.start_s, pr.kind))
    faults: dict[str, list[Any]] = {}
    for f in site.faults:
        faults.setdefault(f.meter, []).append(f)
    drawn = draw_drift_ppm(seed + 0x5EED, len(devices))
    tampers: dict[str, list[tuple[float, float | None]]] = {}
    for t in site.tampers:
        tampers.setdefault(t.meter, []).append((t.start_s, t.duration_s))
    roles = {"dcap": DeviceRole.DCAP, "repeater": DeviceRole.REPEATER, "meter": DeviceRole.MDT}
    nodes = tuple(
        NodeSpec(d.id, roles[d.role], identity[i][0], identity[i][1], d.power_on_s,
                 tuple(outages.get(d.id, ())),
                 getattr(d, "model", "TW-222" if d.role == "dcap" else "TW-223"),
                 tuple(tampers.get(d.id, ())), tuple(presses.get(d.id, ())),
                 float(drawn[i]) if getattr(d, "clock_drift_ppm", None) is None
                 else float(d.clock_drift_ppm))
        for i, d in enumerate(devices))
    meters = site.meters
    n_int = int(np.ceil((days + extra_days) * 86400 / INTERVAL_LENGTH_S))
    steps = int(n_int * INTERVAL_LENGTH_S / STEP_S)
    energy = np.zeros((len(meters), n_int), dtype=np.int64)
    register = np.zeros((len(meters), n_int + 1), dtype=np.float64)
    per = int(INTERVAL_LENGTH_S / STEP_S)
    legs_w = site_leg_power_w(site, steps, STEP_S, epoch_s)  # InputError for a bad load
    t_step = np.arange(steps, dtype=np.float64) * STEP_S  # step starts [sim s]
    for a in range(0, len(meters), _CHUNK):
        chunk = meters[a:a + _CHUNK]
        _check_currents(chunk, legs_w[a:a + _CHUNK])
        p = np.empty((len(chunk), steps), dtype=np.float64)
        plain: dict[str, list[int]] = {}
        for i, m in enumerate(chunk):
            if _plain(m, faults, outages):
                plain.setdefault(m.service, []).append(i)
        for service, rows in plain.items():
            # correct wiring, never dark: one vectorised pass per service (the usual case)
            legs = legs_w[a + np.asarray(rows)].astype(np.float64)
            p[rows] = meter_registered_power_w(service, legs[:, 0], legs[:, 1],
                                               [(0, steps, Wiring())])
        for i, m in enumerate(chunk):
            if _plain(m, faults, outages):
                continue
            dark = np.zeros(steps, dtype=bool)
            for start_s, length_s in outages.get(m.id, ()):
                dark |= (t_step + STEP_S > start_s) & (t_step < start_s + length_s)
            legs = legs_w[a + i].astype(np.float64)
            p[i] = meter_registered_power_w(
                m.service, legs[0], legs[1],
                wiring_segments(faults.get(m.id, []), steps, STEP_S), dark,
                ct=(CT(ratio_error_pct=m.ct_ratio_error_pct, phase_error_deg=m.ct_phase_error_deg)
                    if m.ct_ratio_error_pct or m.ct_phase_error_deg else None))
        counts = closure_counts_per_interval(p, STEP_S, INTERVAL_LENGTH_S, float(KH_WH))
        energy[a:a + len(chunk)] = counts * KH_WH
        e_wh = p.reshape(len(chunk), n_int, per).sum(axis=2) * (STEP_S / 3600.0)
        np.cumsum(e_wh, axis=1, out=register[a:a + len(chunk), 1:])
    key = hashlib.blake2b(f"network:{site.name}:{seed}".encode(), digest_size=16).digest()
    return Scenario(nodes, medium, energy, register, epoch_s, key, site.name)
