"""A :class:`~openamr.field.sim.scenario.Scenario` from a site file's :class:`Site`.

Radio: the site's own :class:`openamr.field.radio.Medium` (link table with frozen shadowing,
walls, floors and placement losses), seen by the mesh through
:meth:`openamr.field.mesh.medium.Medium.from_radio`.  Identity: each device's EUI-64 is the
radio room's stable key of its id; its install code is derived from the id and the site seed.
Energy: each meter's load (``openamr.field.loads.synthetic_power_w``), turned into completed
Kh = 10 Wh pulses per 15-minute interval by
:func:`openamr.field.meter.outputs.pulse_counts_per_interval`, vectorised over chunks of meters.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import numpy.typing as npt

from openamr.field.mesh.medium import Medium
from openamr.field.meter.outputs import pulse_counts_per_interval
from openamr.field.sim.scenario import NodeSpec, Scenario, install_code_for
from openamr.frames import DeviceRole
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["DEFAULT_EPOCH_S", "power_w_for", "scenario_from_site"]

DEFAULT_EPOCH_S = 1_767_225_600
"""2026-01-01T00:00:00Z: simulation time 0 when the site gives no ``start_s``."""

STEP_S = 300.0
"""Load-profile step [s] (a whole fraction of the 900 s interval)."""

_CHUNK = 128


def _fallback_power_w(scale_w: npt.NDArray[np.float64], commercial: npt.NDArray[np.bool_],
                      steps: int, epoch_s: int, seed: int, first_row: int,
                      ) -> npt.NDArray[np.float64]:
    """A daily shape: households peak in the evening, offices in working hours [W]."""
    t_s = epoch_s + STEP_S * np.arange(steps)
    hour = (t_s % 86400) / 3600.0
    home = (0.6 + 0.5 * np.exp(-((hour - 19.0) / 2.5) ** 2)
            + 0.2 * np.exp(-((hour - 7.5) / 1.5) ** 2))
    office = 0.3 + 1.2 * ((hour >= 8) & (hour < 18))
    shape = np.where(commercial[:, None], office[None, :], home[None, :])
    rng = np.random.default_rng([seed, first_row])
    noise = rng.lognormal(0.0, 0.25, size=shape.shape)
    out: npt.NDArray[np.float64] = scale_w[:, None] * shape * noise
    return out


def power_w_for(meters: Any, steps: int, epoch_s: int, seed: int, first_row: int = 0,
                time_zone: str = "UTC") -> npt.NDArray[np.float64]:
    """(meters, steps) power [W] of each meter's synthetic load, step ``STEP_S``.

    Household and commercial loads come from :func:`openamr.field.loads.synthetic_power_w`;
    a CSV load (not vectorised there) takes the built-in daily shape at 800 W [A].
    """
    from openamr.field.loads import synthetic_power_w

    kinds = [str(m.load.kind) if str(m.load.kind) != "csv" else "household" for m in meters]
    scales = [m.load.scale_w or 800.0 for m in meters]
    try:
        return np.asarray(synthetic_power_w(kinds, scales, steps, STEP_S, epoch_s, seed,
                                            meter_ids=[m.id for m in meters],
                                            time_zone=time_zone), dtype=np.float64)
    except (ValueError, TypeError):
        scale = np.asarray(scales, dtype=np.float64)
        commercial = np.array([k == "commercial" for k in kinds])
        return _fallback_power_w(scale, commercial, steps, epoch_s, seed, first_row)


def scenario_from_site(site: Any, days: float, *, seed: int | None = None,
                       extra_days: float = 0.25, epoch_s: int | None = None) -> Scenario:
    """The scenario of ``site`` for ``days`` (+ ``extra_days`` of energy for the drain).

    ``epoch_s`` [UTC epoch s] overrides the site's ``start_s`` as simulation time 0.
    """
    from openamr.field.radio.hashing import device_keys

    seed = site.seed if seed is None else seed
    if epoch_s is None:
        epoch_s = int(site.start_s) if site.start_s is not None else DEFAULT_EPOCH_S
    epoch_s -= epoch_s % int(INTERVAL_LENGTH_S)
    radio = site.medium()
    medium = Medium.from_radio(radio, seed=seed)
    devices = site.devices
    euis = device_keys([d.id for d in devices])
    outages: dict[str, list[tuple[float, float]]] = {}
    for o in site.outages:
        outages.setdefault(o.device, []).append((o.start_s, o.duration_s))
    roles = {"dcap": DeviceRole.DCAP, "repeater": DeviceRole.REPEATER, "meter": DeviceRole.MDT}
    nodes = tuple(
        NodeSpec(d.id, roles[d.role], int(euis[i]), install_code_for(d.id, seed), d.power_on_s,
                 tuple(outages.get(d.id, ())),
                 getattr(d, "model", "TW-222" if d.role == "dcap" else "TW-223"))
        for i, d in enumerate(devices))
    meters = site.meters
    n_int = int(np.ceil((days + extra_days) * 86400 / INTERVAL_LENGTH_S))
    steps = int(n_int * INTERVAL_LENGTH_S / STEP_S)
    energy = np.zeros((len(meters), n_int), dtype=np.int64)
    register = np.zeros((len(meters), n_int + 1), dtype=np.float64)
    per = int(INTERVAL_LENGTH_S / STEP_S)
    for a in range(0, len(meters), _CHUNK):
        chunk = meters[a:a + _CHUNK]
        p = power_w_for(chunk, steps, epoch_s, seed, a, site.time_zone)
        counts = pulse_counts_per_interval(p, STEP_S, INTERVAL_LENGTH_S, 10.0)
        energy[a:a + len(chunk)] = counts * 10
        e_wh = p.reshape(len(chunk), n_int, per).sum(axis=2) * (STEP_S / 3600.0)
        np.cumsum(e_wh, axis=1, out=register[a:a + len(chunk), 1:])
    key = hashlib.blake2b(f"network:{site.name}:{seed}".encode(), digest_size=16).digest()
    return Scenario(nodes, medium, energy, register, epoch_s, key, site.name)
