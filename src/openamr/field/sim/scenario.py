"""What a run simulates: the devices, the medium between them and the meters' energy.

A :class:`Scenario` is independent of where it came from: a site file
(:func:`openamr.field.sim.site_scenario.scenario_from_site`) or a hand-made topology in a test
(:func:`scenario_from_links`).  Energy is computed up front for every meter: ``energy_wh`` has
one row per MDT and one column per 15-minute interval of the run (pulses × Kh, integers), so
the MDTs close intervals by index and never count pulses one by one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.field.mesh.medium import Medium
from openamr.frames import DeviceRole

__all__ = ["NodeSpec", "Scenario", "install_code_for", "scenario_from_links"]


def install_code_for(device_id: str, seed: int = 0) -> bytes:
    """A deterministic 16-byte install code for a simulated device (as printed on its label)."""
    return hashlib.blake2b(f"{seed}:{device_id}".encode(), digest_size=16,
                           person=b"openamr-install").digest()


@dataclass(frozen=True)
class NodeSpec:
    """One device of the scenario (node index = position in ``Scenario.nodes``)."""

    id: str
    role: DeviceRole
    eui: int
    """EUI-64."""
    install_code: bytes
    power_on_s: float = 0.0
    """When it is powered / turned on [sim s]."""
    outages: tuple[tuple[float, float], ...] = ()
    """Mains outages ``(start_s, duration_s)`` [sim s]: a repeater or the DCAP loses mains; a
    meter goes dark and its MDT loses the meter's +12 VDC (it runs on its battery)."""
    model: str = ""
    tampers: tuple[tuple[float, float | None], ...] = ()
    """Enclosure cover removed ``(start_s, duration_s)`` [sim s] (MDTs; ``None``: never
    refitted)."""
    presses: tuple[tuple[float, str], ...] = ()
    """Button presses ``(start_s, kind)`` [sim s], ``kind`` ``tap`` or ``hold`` (MDTs)."""
    clock_drift_ppm: float = 0.0
    """The MDT's crystal error [ppm] (positive: fast)."""


@dataclass(frozen=True)
class Scenario:
    """Devices (index 0 is the DCAP), medium, and per-MDT interval energy."""

    nodes: tuple[NodeSpec, ...]
    medium: Medium
    energy_wh: npt.NDArray[np.int64]
    """(n_mdts, n_intervals) energy counted in each interval [Wh], MDTs in node order."""
    register_wh: npt.NDArray[np.float64]
    """(n_mdts, n_intervals + 1) the meters' registers at interval boundaries [Wh]."""
    epoch_s: int = 1_767_225_600
    """UTC epoch of simulation time 0 [s] (aligned to 900 s)."""
    network_key: bytes = bytes(range(16))
    site_id: str = "site"

    @property
    def mdt_indices(self) -> list[int]:
        """Node indices of the MDTs, in energy-row order."""
        return [i for i, n in enumerate(self.nodes) if n.role == DeviceRole.MDT]


def scenario_from_links(roles: list[DeviceRole], links: list[tuple[int, int, float, float]], *,
                        power_on_s: list[float] | None = None,
                        outages: dict[int, tuple[tuple[float, float], ...]] | None = None,
                        tampers: dict[int, tuple[tuple[float, float | None], ...]] | None = None,
                        power_w: float | npt.ArrayLike = 500.0, days: float = 1.0,
                        kh_wh: float = 10.0, seed: int = 0) -> Scenario:
    """A hand-made scenario: ``links`` are ``(a, b, rssi_dbm, delivery_probability)`` used in
    both directions; every MDT draws a constant ``power_w`` [W] (scalar or one per MDT);
    ``tampers``: per MDT node index, cover removed ``(start_s, duration_s | None)`` [sim s]."""
    from openamr.field.meter.outputs import closure_counts_per_interval

    n = len(roles)
    on = power_on_s or [0.0] * n
    nodes = tuple(
        NodeSpec(f"{r.name.lower()}-{i}", r, 0x0200_0000_0000_0000 + i,
                 install_code_for(f"n{i}", seed), on[i], (outages or {}).get(i, ()),
                 {DeviceRole.DCAP: "TW-222", DeviceRole.REPEATER: "TW-223"}.get(r, "MMSMT-C02"),
                 (tampers or {}).get(i, ()))
        for i, r in enumerate(roles))
    src, dst, rssi, p = [], [], [], []
    for a, b, r, q in links:
        src += [a, b]
        dst += [b, a]
        rssi += [r, r]
        p += [q, q]
    medium = Medium(n, src, dst, rssi, p, seed=seed)
    n_mdts = sum(1 for r in roles if r == DeviceRole.MDT)
    n_int = int(np.ceil(days * 86400 / 900)) + 16
    steps = n_int * 15
    pw = np.broadcast_to(np.asarray(power_w, dtype=np.float64).reshape(-1, 1)
                         if np.ndim(power_w) else np.asarray(power_w, dtype=np.float64),
                         (n_mdts, steps))
    counts = closure_counts_per_interval(np.ascontiguousarray(pw), 60.0, 900.0, kh_wh)
    energy = (counts * int(kh_wh)).astype(np.int64)
    reg = np.concatenate([np.zeros((n_mdts, 1)), np.cumsum(pw.reshape(n_mdts, n_int, 15)
                                                          .sum(axis=2) * 60.0 / 3600.0, axis=1)],
                         axis=1)
    return Scenario(nodes, medium, energy, reg)
