"""The scenario runner: builds the mesh from a :class:`Scenario` and runs it for N days.

Power-ups, mains outages and MDT turn-ons become kernel wake-ups; the DCAP hands frames to the
``backhaul`` callable.  After ``days`` the network runs ``drain_s`` more (no new interval counts
towards the KPIs) so the last reports of the run can arrive.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import IO, Any

from openamr.field.kernel import Kernel
from openamr.field.mdt.buffer import depth_for_days
from openamr.field.mdt.delivery import DeliveryLog
from openamr.field.mesh.dcap import Dcap
from openamr.field.mesh.mdt_node import MdtNode
from openamr.field.mesh.network import Backhaul, Network
from openamr.field.mesh.params import MeshParams
from openamr.field.mesh.repeater import Repeater
from openamr.field.sim.kpi import summarise
from openamr.field.sim.scenario import Scenario
from openamr.frames import DeviceRole
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["HOLD_S", "TAP_S", "SimRun"]

TAP_S = 0.5
"""How long a site file's ``tap`` holds the MDT's button [s] (under the 4 s of a hold)."""
HOLD_S = 5.0
"""How long a ``hold`` holds it [s] (manual §5.2: "until the LED flashes off (about four
seconds)")."""


class SimRun:
    """One simulation of a scenario."""

    def __init__(self, scenario: Scenario, backhaul: Backhaul, *,
                 params: MeshParams | None = None, trace: IO[str] | None = None) -> None:
        self.scenario = scenario
        self.params = params or MeshParams()
        self.kernel = Kernel()
        self.net = Network(self.kernel, scenario.medium, self.params, backhaul,
                           epoch_s=scenario.epoch_s, trace=trace)
        mdt_row = 0
        delivery = DeliveryLog(len(scenario.mdt_indices),
                               depth_for_days(self.params.buffer_days))
        """The MDT room's sent/acknowledged/gap state of every MDT (row = energy row)."""
        for i, spec in enumerate(scenario.nodes):
            if spec.role == DeviceRole.DCAP:
                if i != 0:
                    raise ValueError("the DCAP must be node 0")
                dcap = Dcap(self.net, i, spec.eui)
                self.net.add(dcap)
                self.kernel.at(spec.power_on_s, dcap.power_on)
                for start_s, length_s in spec.outages:
                    self.kernel.at(start_s, dcap.power_lost)
                    self.kernel.at(start_s + length_s, dcap.power_on)
            elif spec.role == DeviceRole.REPEATER:
                rep = Repeater(self.net, i, spec.eui, spec.install_code, spec.model or "TW-223")
                self.net.add(rep)
                self.kernel.at(spec.power_on_s, rep.power_on)
                for start_s, length_s in spec.outages:
                    self.kernel.at(start_s, rep.power_lost)
                    self.kernel.at(start_s + length_s, rep.power_restored)
            else:
                first = int(-(-spec.power_on_s // INTERVAL_LENGTH_S))
                mdt = MdtNode(self.net, i, spec.eui, spec.install_code,
                              scenario.energy_wh[mdt_row], first, model=spec.model or "MMSMT-C02",
                              clock_drift_ppm=spec.clock_drift_ppm, delivery=delivery,
                              row=mdt_row)
                mdt_row += 1
                self.net.add(mdt)
                self.kernel.at(spec.power_on_s, mdt.turn_on)
                for start_s, length_s in spec.outages:  # the meter is dark: no +12 VDC
                    mdt.supply_outages.append((start_s, length_s))
                    self.kernel.at(start_s, mdt.supply, False)
                    self.kernel.at(start_s + length_s, mdt.supply, True)
                for press_s, kind in spec.presses:
                    self.kernel.at(press_s, mdt.press,
                                   HOLD_S if kind == "hold" else TAP_S)
                for cover_off_s, cover_off_for_s in spec.tampers:
                    mdt.tamper_periods.append((cover_off_s, cover_off_for_s))
                    self.kernel.at(cover_off_s, mdt.tamper, True)
                    if cover_off_for_s is not None:
                        self.kernel.at(cover_off_s + cover_off_for_s, mdt.tamper, False)
        from openamr.field.sim.mdt_records import attach_fleet_records

        attach_fleet_records([n for n in self.net.nodes if isinstance(n, MdtNode)], scenario)
        self.end_s = 0.0
        self.wall_s = 0.0

    @property
    def nodes(self) -> list[Any]:
        """The mesh nodes (index 0 is the DCAP)."""
        return self.net.nodes

    def run(self, days: float, *, drain_s: float | None = None,
            progress: Callable[[float], None] | None = None) -> dict[str, Any]:
        """Simulate ``days`` (plus the drain) and return the summary (see :mod:`.kpi`)."""
        self.end_s = days * 86400.0
        drain = drain_s if drain_s is not None else (2 * self.params.report_period_s
                                                     + self.params.dcap_upload_s)
        t0 = time.perf_counter()
        # The network is millions of long-lived objects: move them out of the collector's
        # sight and collect young objects less often (frames and records die young).
        gc.collect()
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(200_000, 50, 1000)
        try:
            self._loop(days, drain, progress)
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()
        dcap = self.net.nodes[0]
        if isinstance(dcap, Dcap):
            dcap.flush(final=True)
        self.wall_s = time.perf_counter() - t0
        if self.net.trace is not None:
            self._trace_links()
        return summarise(self)

    def _trace_links(self) -> None:
        """One ``link`` trace record per parent link in use: the per-link KPIs."""
        net = self.net
        sens = net.medium.sensitivity_dbm
        for node in net.nodes:
            if node.parent is None:
                continue
            attempts, acked, frames = node.link_stats.get(node.parent, [0, 0, 0])
            rssi = net.medium.rssi_dbm(node.idx, node.parent)
            net.log("link", node, parent=f"{net.nodes[node.parent].eui:016x}",
                    frames=frames, attempts=attempts,
                    delivery_ratio=round(acked / frames, 4) if frames else None,
                    etx=round(node.estimator.etx.get(node.parent, float("nan")), 3),
                    margin_db=None if rssi is None else round(rssi - sens, 1),
                    hops=node.hops)

    def _loop(self, days: float, drain: float, progress: Callable[[float], None] | None,
              ) -> None:
        step_s = 86400.0 / 4
        t = self.kernel.now_s
        stop = self.end_s + drain
        while t < stop:
            t = min(stop, t + step_s)
            self.kernel.run(t)
            if progress is not None:
                progress(min(t, self.end_s) / 86400.0)
