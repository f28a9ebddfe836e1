"""The MDTs' interval records, made up front by the MDT room's :class:`MdtFleet`.

The simulated MDTs do not keep their own records: for every model, chunks of MDTs go through
:meth:`openamr.field.mdt.fleet.MdtFleet.append_counts` once (pulse counts = the meter model's
Kh 10 energy / Kh), which applies the pulse input's rate limit (``RATE_LIMITED``), the TOU
registers (``TOU_STALE`` until the head-end's TOU_SCHEDULE arrives: the MDT then re-runs the
intervals not closed yet through the fleet with the schedule,
:meth:`~openamr.field.mesh.mdt_node.MdtNode.apply_tou_schedule`), the temperature of the
D02/E02 variants in every record (:func:`~openamr.field.mdt.temperature.indoor_temperature_c`)
and the per-record flags given here: ``TAMPER_OPEN`` while the cover is off; ``POWER_FAIL |
PARTIAL`` while the meter was dark and the MDT ran on its battery (the head-end stores those
intervals with quality ``partial``, not ``measured``).  Each MDT then holds its records packed
as on the wire (:meth:`openamr.field.mesh.mdt_node.MdtNode.set_records`): the report path only
slices bytes.  ``CLOCK_UNSYNCED`` is added at the first report (the join time decides it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from openamr.field.mdt.fleet import MdtFleet
from openamr.field.mdt.intervals import IntervalFlag
from openamr.field.mdt.temperature import (
    DeltaTemperatureRule,
    delta_report_mask,
    indoor_temperature_c,
)
from openamr.field.mesh.mdt_node import KH_WH, MdtNode
from openamr.field.sim.scenario import Scenario
from openamr.units import INTERVAL_LENGTH_S

__all__ = ["attach_fleet_records"]

_CHUNK = 128


def _schedule_delta_events(mdts: Sequence[MdtNode], temps: npt.NDArray[np.float64],
                           start_s: npt.NDArray[np.int64]) -> None:
    """The E02's ``temperature.changed`` events: the readings at each interval's close that
    the 1 % delta rule reports (:func:`delta_report_mask`, vectorised over the MDTs), each
    queued at its time by the MDT."""
    held = temps.copy()
    for i, mdt in enumerate(mdts):  # before it was on, an MDT read nothing: hold its first
        first = min(mdt.first_interval, held.shape[1] - 1)
        held[i, :first] = held[i, first]
    mask = delta_report_mask(held, DeltaTemperatureRule())
    for i, mdt in enumerate(mdts):
        first = mdt.first_interval
        if first < mask.shape[1]:
            mask[i, first] = True  # the first reading is always reported
        for k in np.flatnonzero(mask[i, first:]) + first:
            t_sim = float(start_s[k] + INTERVAL_LENGTH_S)
            mdt.net.kernel.at(t_sim, mdt.temperature_changed, float(temps[i, k]),
                              int(mdt.net.epoch_s + t_sim))


def attach_fleet_records(mdts: Sequence[MdtNode], scenario: Scenario) -> None:
    """Give every MDT (energy-row order) its interval records from an :class:`MdtFleet`."""
    by_model: dict[str, list[int]] = defaultdict(list)
    for row, mdt in enumerate(mdts):
        by_model[mdt.model].append(row)
    n_int = scenario.energy_wh.shape[1]
    days = n_int * INTERVAL_LENGTH_S / 86400 + 1
    start = np.arange(n_int, dtype=np.int64) * INTERVAL_LENGTH_S  # [sim s]
    for model, rows in by_model.items():
        for a in range(0, len(rows), _CHUNK):
            chunk = rows[a:a + _CHUNK]
            counts = scenario.energy_wh[chunk] // KH_WH
            flags = np.zeros(counts.shape, np.uint16)
            for i, row in enumerate(chunk):
                mdt = mdts[row]
                counts[i, :mdt.first_interval] = 0  # the MDT was not on yet
                for t0, length_s in mdt.tamper_periods:
                    t1 = np.inf if length_s is None else t0 + length_s
                    cover_off = (start < t1) & (start + INTERVAL_LENGTH_S > t0)
                    flags[i, cover_off] |= np.uint16(IntervalFlag.TAMPER_OPEN)
                for t0, length_s in mdt.supply_outages:
                    dark = (start < t0 + length_s) & (start + INTERVAL_LENGTH_S > t0)
                    flags[i, dark] |= np.uint16(IntervalFlag.POWER_FAIL | IntervalFlag.PARTIAL)
            fleet = MdtFleet(len(chunk), model, buffer_days=days)
            temps = None
            if fleet.ring.has_temperature:
                # read at each interval's close; a per-MDT offset, deterministic per row
                rng = np.random.default_rng([0x7E3, *chunk])
                offsets = rng.normal(0.0, 1.0, (len(chunk), 1))
                temps = indoor_temperature_c(scenario.epoch_s + start + INTERVAL_LENGTH_S,
                                             offsets)
            fleet.append_counts(scenario.epoch_s, counts, flags=flags, temperature_c=temps)
            if temps is not None and fleet.variant.delta_events:
                _schedule_delta_events([mdts[r] for r in chunk], temps, start)
            for i, row in enumerate(chunk):
                mdt = mdts[row]
                batch = fleet.ring.records_in(i, mdt.first_interval, n_int - 1)
                mdt.set_records(batch.wire_records(), batch.tou_register_wh)
