"""One site simulated into a head-end store: the single-site job of ``openamr sim run`` and of
each task of ``openamr portfolio simulate``.

:func:`simulate_site` registers the site, its meters, devices (with their install codes),
units, positions and TOU periods in the store (:func:`prepare_store`), runs the simulator with
the head-end's ingest as its backhaul (:class:`IngestBackhaul`: in its own process, one upload
behind, or inline with the same timing), and counts what the run stored.  Tests and benchmarks
compose the simulator with the real head-end through :func:`register_scenario` and
:class:`IngestBackhaul`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import IO, Any

from openamr.errors import InputError

__all__ = ["FramesTap", "IngestBackhaul", "make_ingest_backhaul", "prepare_store",
           "register_scenario", "register_site", "rejection_counts", "simulate_site",
           "site_device_ids", "site_holds_data", "stored_interval_count"]


def register_scenario(store: Any, site_id: str, name: str, time_zone: str, scenario: Any, *,
                      units: dict[str, str | None] | None = None) -> None:
    """Put the site, its meters (with their ``units``: meter id -> unit) and devices (with
    install codes) into ``store``, all or nothing (a clash is an :class:`InputError`)."""
    from openamr.errors import StoreError
    from openamr.headend.store.base import Device, Meter, Site

    units = units or {}
    try:
        with store.transaction():  # all or nothing: a clash leaves the store as it was
            store.upsert_site(Site(site_id, name, time_zone))
            for spec in scenario.nodes:
                dev_id = f"{spec.eui:016x}"
                role = spec.role.name.lower()
                meter_id = spec.id if role == "mdt" else None
                if meter_id is not None:
                    store.upsert_meter(Meter(meter_id, site_id, dev_id, spec.model, 10.0,
                                             unit=units.get(spec.id)))
                store.upsert_device(Device(dev_id, role, site_id, meter_id, spec.model,
                                           spec.install_code.hex(), scenario.epoch_s,
                                           local_id=spec.id))
    except StoreError as exc:
        raise InputError(str(exc), where=f"site {site_id!r}") from None


def _register_positions(store: Any, site: Any, scenario: Any) -> None:
    """Where each device is mounted (floor, x/y [m], placement, its site-file name), for the
    dashboard's floor plans and the commissioning tool (``Store.put_device_positions``)."""
    from openamr.headend.store.base import DevicePosition

    store.put_device_positions([
        DevicePosition(f"{spec.eui:016x}", site.site_id, spec.id, placed.floor, placed.x_m,
                       placed.y_m, str(placed.placement))
        for spec in scenario.nodes for placed in (site.device(spec.id),)])


def _register_units(store: Any, site: Any) -> None:
    """Put the site's units into the store: the meters' ``unit`` keys grouped, with the name,
    kind and floor area of ``[[units]]`` (docs/units-tenants.md)."""
    from openamr.headend.store.units import Unit

    def safe(label: str) -> str:  # the store's id alphabet (headend.ids): "Shop A" -> "Shop-A"
        return re.sub(r"[^A-Za-z0-9._~-]+", "-", label).strip("-._~") or "unit"

    described = {u.id: u for u in site.units}
    members: dict[str, list[str]] = {u.id: [] for u in site.units}
    for meter in site.meters:
        if meter.unit is not None:
            members.setdefault(meter.unit, []).append(meter.id)
    with store.transaction():
        for label in members:
            info = described.get(label)
            name = (info.name if info and info.name else None) or label
            unit = Unit(safe(label), site.site_id, (), name if name != safe(label) else "",
                        (info.kind or "") if info else "", info.floor_area_m2 if info else None)
            store.upsert_unit(unit)  # empty first: a meter may move between units
        for label, meter_ids in members.items():
            unit = store.get_unit(safe(label), site_id=site.site_id)
            store.upsert_unit(Unit(unit.unit_id, unit.site_id, tuple(meter_ids), unit.name,
                                   unit.kind, unit.floor_area_m2))


def register_site(store: Any, site: Any, scenario: Any) -> None:
    """Register the site in ``store`` (devices, meters, units, positions and TOU periods), all
    or nothing: a bad ``[tou]`` leaves nothing registered."""
    from openamr.headend.tou import set_site_tou

    with store.transaction():
        register_scenario(store, site.site_id, site.name, site.time_zone, scenario,
                          units={m.id: m.unit for m in site.meters})
        _register_units(store, site)
        _register_positions(store, site, scenario)
        set_site_tou(store, site.site_id, site.tou, where=f"{site.source or 'site'}: tou",
                     updated_s=scenario.epoch_s)


def site_device_ids(site: Any) -> list[str]:
    """The store's device ids (EUI-64, hex) of every device of ``site`` (DCAP, repeaters,
    MDTs), as the simulator derives them from (site id, device id)."""
    from openamr.field.site.identity import device_identity

    return [f"{device_identity(site.site_id, d.id)[0]:016x}" for d in site.devices]


def site_holds_data(store: Any, site_id: str, device_ids: Iterable[str]) -> bool:
    """Whether ``store`` already holds intervals of ``site_id`` or heard one of ``device_ids``
    (its replay window moved): the simulated devices start with fresh frame counters, so
    against such a store every frame of a new run would be a replay."""
    if store.interval_count(site_id=site_id) > 0:
        return True
    heard = store.load_replay_windows()
    return any(d in heard for d in device_ids)


def prepare_store(db: str, site: Any, scenario: Any, *, refuse_used: bool = True) -> None:
    """Register the site in the store at ``db`` (:func:`register_site`); ``refuse_used``: an
    :class:`InputError` when the store already holds data of this site (other sites do not
    matter)."""
    from openamr.headend.store import open_store, redact

    store = open_store(db)
    try:
        if refuse_used and site_holds_data(store, site.site_id,
                                           (f"{n.eui:016x}" for n in scenario.nodes)):
            raise InputError(f"the store already holds data of site {site.site_id!r}; "
                             "simulate into a new --db", where=redact(db))
        register_site(store, site, scenario)
    finally:
        store.close()


class IngestBackhaul:
    """The head-end's ingest over a store, as the simulator's backhaul: every frame that
    reaches the DCAP is verified and stored, and the downlinks go back into the mesh.

    Stamps arrivals ``epoch_s + sim_t_s`` [UTC epoch s].  ``close_store``: close the store in
    :meth:`close` (the store was opened for this backhaul).  ``record``: a list that receives
    every batch as ``(frames, sim_t_s)``, in order (to hand the same batches to another
    store's ingest later: ``openamr.compose.portfolio``).

    ``alarms``: the head-end's alarm rules run on what is stored, as in ``openamr serve``
    (:class:`openamr.headend.alarms.AlarmRules` subscribed to the ingest), on simulated time:
    the event and status rules at each batch, the silence sweep (``alarm.no_data``) whenever
    the batches have advanced by its own threshold (``no_data_after_s``) and once more at
    :meth:`close`; the sweep looks at the DCAP's site only (the store may hold other sites,
    whose time is not this simulation's).  So a simulated tamper, outage, weak link or low
    battery leaves its alarm in the store."""

    def __init__(self, store: Any, epoch_s: int, dcap_eui: int, *,
                 close_store: bool = False,
                 record: list[tuple[list[bytes], float]] | None = None,
                 alarms: bool = True) -> None:
        from openamr.headend.alarms import AlarmRules
        from openamr.headend.ingest import Ingest

        self.store = store
        self.ingest = Ingest(store, dcap_id=dcap_eui)
        self.epoch_s = epoch_s
        self._close_store = close_store
        self.record = record
        self.now_s = epoch_s
        """UTC epoch second of the latest batch [s]: the alarm rules' clock."""
        self.alarms: AlarmRules | None = None
        self._swept_s: int | None = None
        self._dcap_id = f"{dcap_eui:016x}"
        if alarms:
            # quiet: the run's summary counts them (a DCAP outage raises one per meter)
            self.alarms = AlarmRules(store, clock=lambda: float(self.now_s), quiet=True)
            self.ingest.subscribe(self.alarms.on_stored)

    def __call__(self, frames: list[bytes], sim_t_s: float) -> list[bytes]:
        if self.record is not None:
            self.record.append((list(frames), sim_t_s))
        self.now_s = int(self.epoch_s + sim_t_s)
        replies = self.ingest.handle_batch(frames, self.now_s)
        if self.alarms is not None and (
                self._swept_s is None
                or self.now_s - self._swept_s >= self.alarms.config.no_data_after_s):
            self._sweep()
        return [d for per_frame in replies for d in per_frame]

    def _sweep(self) -> None:
        assert self.alarms is not None
        dcap = self.store.get_device(self._dcap_id)
        if dcap is not None:  # a DCAP the store does not know has no site to sweep
            self.alarms.sweep(self.now_s, site_id=dcap.site_id)
        self._swept_s = self.now_s

    def close(self) -> None:
        """Sweep the alarms once more at the last batch's time; close the store when this
        backhaul opened it."""
        if self.alarms is not None and self._swept_s != self.now_s:
            self._sweep()
        if self._close_store:
            self.store.close()


def make_ingest_backhaul(db: str, epoch_s: int, dcap_eui: int) -> IngestBackhaul:
    """An :class:`IngestBackhaul` over the store at ``db`` (picklable through
    ``functools.partial``: the pipelined worker builds it in its own process)."""
    from openamr.headend.store import open_store

    return IngestBackhaul(open_store(db), epoch_s, dcap_eui, close_store=True)


def rejection_counts(db: str) -> dict[str, int]:
    """The store's rejection counts by reason."""
    from openamr.headend.store import open_store

    store = open_store(db)
    try:
        return dict(store.rejection_counts())
    finally:
        store.close()


def stored_interval_count(store: Any, scenario: Any, end_s: int, site_id: str) -> int:
    """Intervals of the scenario's meters stored within the run ``[epoch_s, end_s)``."""
    from openamr.frames import DeviceRole

    meter_ids = [n.id for n in scenario.nodes if n.role == DeviceRole.MDT]
    if not meter_ids:
        return 0
    return len(store.get_intervals_bulk(meter_ids, start_s=scenario.epoch_s, end_s=end_s,
                                        site_id=site_id))


def _store_counts(db: str, summary: dict[str, Any], scenario: Any, end_s: int,
                  rejected_before: dict[str, int], site_id: str) -> None:
    """What THIS run stored: intervals of the scenario's meters within the run, the
    rejections added during the run (a store may hold other sites' data), and the site's
    alarms raised from the run's start: ``alarms`` = ``{"raised": {code: n}, "open":
    {code: n}}`` (open: not cleared at the end; acknowledged ones count as open)."""
    from openamr.headend.store import open_store

    store = open_store(db)
    try:
        after = store.rejection_counts()
        summary["frames_rejected"] = {k: v - rejected_before.get(k, 0) for k, v in after.items()
                                      if v - rejected_before.get(k, 0) > 0}
        summary["intervals_stored"] = stored_interval_count(store, scenario, end_s, site_id)
        raised: dict[str, int] = {}
        still_open: dict[str, int] = {}
        for alarm in store.list_alarms(limit=10_000_000, site_id=site_id):
            if alarm.raised_s < scenario.epoch_s:
                continue
            raised[alarm.code] = raised.get(alarm.code, 0) + 1
            if alarm.state != "cleared":
                still_open[alarm.code] = still_open.get(alarm.code, 0) + 1
        summary["alarms"] = {"raised": dict(sorted(raised.items())),
                             "open": dict(sorted(still_open.items()))}
    finally:
        store.close()


class FramesTap:
    """Writes every uplink batch to ``out`` (hex, JSONL: ``sim_t_s`` and ``frame``) on its way
    to the backhaul (``openamr sim run --frames-out``)."""

    def __init__(self, inner: Any, out: IO[str]) -> None:
        self.inner = inner
        self.out = out
        if hasattr(inner, "submit"):
            self.submit = self._submit
            self.collect = inner.collect
            if hasattr(inner, "urgent_delay_s"):
                self.urgent_delay_s = inner.urgent_delay_s

    def _write(self, frames: list[bytes], sim_t_s: float) -> None:
        for f in frames:
            self.out.write(json.dumps({"sim_t_s": round(sim_t_s, 3), "frame": f.hex()}) + "\n")

    def _submit(self, frames: list[bytes], sim_t_s: float) -> None:
        self._write(frames, sim_t_s)
        self.inner.submit(frames, sim_t_s)

    def __call__(self, frames: list[bytes], sim_t_s: float) -> list[bytes]:
        self._write(frames, sim_t_s)
        result: list[bytes] = self.inner(frames, sim_t_s)
        return result


def simulate_site(site: Any, scenario: Any, days: float, db: str | None, *,
                  backhaul: Any = None, pipelined: bool = True, params: Any = None,
                  trace: IO[str] | None = None, frames_out: IO[str] | None = None,
                  progress: Callable[[float], None] | None = None) -> dict[str, Any]:
    """Simulate ``site`` (its ``scenario``: :func:`openamr.field.sim.site_scenario.
    scenario_from_site`) for ``days`` and return the run's summary (:mod:`openamr.field.sim.kpi`
    plus ``intervals_stored``, ``frames_rejected`` and ``store``).

    ``db``: the store the site is registered in first (:func:`prepare_store`: refused when it
    holds this site's data already); None for a backhaul that reaches a store elsewhere (the
    counts are then None).  ``backhaul``: where the DCAP's frames go; None: the head-end's
    ingest over ``db``, in its own process one upload behind (``pipelined``) or inline with
    the same timing (:class:`openamr.field.sim.pipeline.InlineBackhaul`).  The backhaul is
    closed at the end.  ``frames_out`` receives every uplink frame (hex, JSONL), ``trace`` the
    network events, ``progress`` the simulated days so far.
    """
    from openamr.field.mesh.params import MeshParams
    from openamr.field.sim.pipeline import InlineBackhaul, PipelinedBackhaul
    from openamr.field.sim.runner import SimRun

    inner: Any = backhaul
    try:
        if db is not None:
            prepare_store(db, site, scenario)
        rejected_before = rejection_counts(db) if db is not None else {}
        if inner is None:
            if db is None:
                raise ValueError("simulate_site needs a store (db) or a backhaul")
            factory = partial(make_ingest_backhaul, db, scenario.epoch_s, scenario.nodes[0].eui)
            # the head-end works in its own process (the second core), one upload behind
            inner = PipelinedBackhaul(factory) if pipelined else InlineBackhaul(factory())
        tapped: Any = FramesTap(inner, frames_out) if frames_out is not None else inner
        simulation = SimRun(scenario, tapped, params=params or MeshParams(), trace=trace)
        summary = simulation.run(days, progress=progress)
    finally:
        if inner is not None:
            inner.close()
    end_s = int(scenario.epoch_s + days * 86400)
    if db is not None:
        _store_counts(db, summary, scenario, end_s, rejected_before, site.site_id)
    else:
        summary["frames_rejected"] = None  # known to the server (GET /rejections)
        summary["intervals_stored"] = None
        summary["alarms"] = None  # raised by the server (GET /alarms)
    summary["store"] = db
    return summary
