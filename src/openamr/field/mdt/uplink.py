"""The MDT's side of the frame contract: its log and events as :mod:`openamr.frames` payloads,
and the DCAP's ACK / TIME_SYNC / TOU_SCHEDULE applied to it.

Sans-IO like the rest: these build and read payload objects; the simulator (or a radio) seals
them into frames and carries them.
"""

from __future__ import annotations

import math

import numpy as np

from openamr import frames
from openamr.errors import InputError
from openamr.field.mdt.device import Mdt
from openamr.field.mdt.events import MdtEventRecord
from openamr.field.mdt.intervals import IntervalBatch
from openamr.field.mdt.tou import TouSchedule
from openamr.units import S_PER_DAY

__all__ = [
    "apply_ack",
    "apply_time_sync",
    "event_payload",
    "frame_records",
    "intervals_payload",
    "tou_schedule_from_frame",
]

_KINDS = {kind.code: kind for kind in frames.EventKind}


def frame_records(batch: IntervalBatch) -> tuple[frames.IntervalRecord, ...]:
    """The batch as frame records (NaN temperature -> None; flag bits passed through)."""
    return tuple(
        frames.IntervalRecord(
            seq=int(batch.seq[i]), start_s=int(batch.start_s[i]),
            energy_wh=int(batch.energy_wh[i]), flags=frames.IntervalFlag(int(batch.flags[i])),
            temperature_c=(None if np.isnan(batch.temperature_c[i])
                           else round(float(batch.temperature_c[i]), 2)))
        for i in range(len(batch)))


def intervals_payload(mdt: Mdt, batch: IntervalBatch | None = None, *,
                      max_records: int = frames.MAX_RECORDS_PER_FRAME) -> frames.Intervals:
    """An ``INTERVALS`` payload: the oldest ``max_records`` of ``batch`` (default: the records
    not yet acknowledged), the running total and the TOU register totals (both including the
    interval in progress, so the registers add up to the total)."""
    chosen = mdt.unacknowledged() if batch is None else batch
    records = frame_records(chosen)[:max_records]
    return frames.Intervals(register_wh=mdt.total_wh, records=records,
                            tou_register_wh=mdt.tou_register_wh)


def event_payload(record: MdtEventRecord) -> frames.Event:
    """An ``EVENT`` payload; ``value`` in the frame's units (0.01 °C, whole s, a count)."""
    kind = _KINDS[record.kind]
    value = 0
    if record.value is not None and math.isfinite(record.value):
        scale = 100.0 if kind is frames.EventKind.TEMPERATURE_CHANGED else 1.0
        value = round(record.value * scale)
    return frames.Event(kind=kind, t_s=record.t_s, value=value)


def apply_ack(mdt: Mdt, ack: frames.Ack) -> list[IntervalBatch]:
    """Acknowledge up to ``ack.acked_seq`` and return the records of each requested gap that
    the log still holds (a gap already overwritten comes back empty)."""
    last_seq = int(mdt.buffer.next_seq[0]) - 1
    if ack.acked_seq != frames.NO_SEQ and ack.acked_seq > last_seq:
        raise InputError(f"ACK of seq {ack.acked_seq} beyond the last record {last_seq}",
                         where="acked_seq")
    mdt.acknowledge(ack.acked_seq, ack.gaps)
    return [mdt.records_in(first, last) for first, last in ack.gaps]


def apply_time_sync(mdt: Mdt, sim_t_s: float, payload: frames.TimeSync) -> float:
    """Set the MDT's clock from a ``TIME_SYNC``; return the step [s]."""
    return mdt.on_time_sync(sim_t_s, payload.utc_ms / 1000.0)


def tou_schedule_from_frame(payload: frames.TouSchedule, *,
                            valid_for_s: int = S_PER_DAY) -> TouSchedule:
    """A :class:`TouSchedule` from a ``TOU_SCHEDULE`` payload.

    The frame carries no validity: the schedule is taken as valid until ``valid_for_s`` after
    its last switch (a day by default).  The register before the first switch is the last one
    of the list (a daily pattern wraps around midnight).
    """
    if not payload.switches:
        raise InputError("a TOU schedule needs at least one switch", where="switches")
    times = tuple(int(t) for t, _ in payload.switches)
    regs = tuple(int(r) for _, r in payload.switches)
    return TouSchedule(register_names=tuple(f"register_{i}" for i in range(payload.registers)),
                       initial_register=regs[-1], switch_s=times, switch_register=regs,
                       valid_until_s=times[-1] + valid_for_s)
