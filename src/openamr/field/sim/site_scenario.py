"""A :class:`~openamr.field.sim.scenario.Scenario` from a site file's :class:`Site`.

Radio: the site's own :class:`openamr.field.radio.Medium` (link table with frozen shadowing,
walls, floors and placement losses), seen by the mesh through
:meth:`openamr.field.mesh.medium.Medium.from_radio`.  Identity: each device's EUI-64 and install
code are derived from (site id, device id) (:func:`openamr.field.site.identity.device_identity`).
Energy: each meter's load (:func:`openamr.field.loads.site_leg_power_w`: synthetic household
and commercial loads, CSV profiles, single-element meters), both legs summed and turned into
completed Kh = 10 Wh pulses per 15-minute interval by
:func:`openamr.field.meter.outputs.pulse_counts_per_interval`, vectorised over chunks of meters.
A bad load (a missing or malformed CSV profile) raises :class:`openamr.errors.InputError`.
Tamper events of the site file become each MDT's cover removed / replaced times.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from openamr.field.mesh.medium import Medium
from openamr.field.meter.outputs import pulse_counts_per_interval
from openamr.field.sim.scenario import NodeSpec, Scenario
from openamr.frames import DeviceRole
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["DEFAULT_EPOCH_S", "scenario_from_site"]

DEFAULT_EPOCH_S = 1_767_225_600
"""2026-01-01T00:00:00Z: simulation time 0 when the site gives no ``start_s``."""

STEP_S = 300.0
"""Load-profile step [s] (a whole fraction of the 900 s interval)."""

_CHUNK = 128


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
    tampers: dict[str, list[tuple[float, float | None]]] = {}
    for t in site.tampers:
        tampers.setdefault(t.meter, []).append((t.start_s, t.duration_s))
    roles = {"dcap": DeviceRole.DCAP, "repeater": DeviceRole.REPEATER, "meter": DeviceRole.MDT}
    nodes = tuple(
        NodeSpec(d.id, roles[d.role], identity[i][0], identity[i][1], d.power_on_s,
                 tuple(outages.get(d.id, ())),
                 getattr(d, "model", "TW-222" if d.role == "dcap" else "TW-223"),
                 tuple(tampers.get(d.id, ())))
        for i, d in enumerate(devices))
    meters = site.meters
    n_int = int(np.ceil((days + extra_days) * 86400 / INTERVAL_LENGTH_S))
    steps = int(n_int * INTERVAL_LENGTH_S / STEP_S)
    energy = np.zeros((len(meters), n_int), dtype=np.int64)
    register = np.zeros((len(meters), n_int + 1), dtype=np.float64)
    per = int(INTERVAL_LENGTH_S / STEP_S)
    legs_w = site_leg_power_w(site, steps, STEP_S, epoch_s)  # InputError for a bad load
    for a in range(0, len(meters), _CHUNK):
        chunk = meters[a:a + _CHUNK]
        p = legs_w[a:a + _CHUNK].sum(axis=1, dtype=np.float64)
        counts = pulse_counts_per_interval(p, STEP_S, INTERVAL_LENGTH_S, 10.0)
        energy[a:a + len(chunk)] = counts * 10
        e_wh = p.reshape(len(chunk), n_int, per).sum(axis=2) * (STEP_S / 3600.0)
        np.cumsum(e_wh, axis=1, out=register[a:a + len(chunk), 1:])
    key = hashlib.blake2b(f"network:{site.name}:{seed}".encode(), digest_size=16).digest()
    return Scenario(nodes, medium, energy, register, epoch_s, key, site.name)
