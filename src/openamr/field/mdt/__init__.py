"""The Meter Data Transceiver (MDT): counts the meter's Kh 10 pulses, closes 15-minute
intervals, keeps them for the radio, and shows its power state on an LED.

Sans-IO: the simulator drives it with events and simulation times ``sim_t_s`` [s].  The parts:

* :mod:`~openamr.field.mdt.pulse_input` debounce and running total;
* :mod:`~openamr.field.mdt.clock` drifting clock synced by the DCAP;
* :mod:`~openamr.field.mdt.intervals` interval records and flags;
* :mod:`~openamr.field.mdt.buffer` numpy ring buffer of records (one or many MDTs);
* :mod:`~openamr.field.mdt.fleet` the vectorised path for many MDTs;
* :mod:`~openamr.field.mdt.delivery` sent / acknowledged / asked-again records (the ACK and gap
  protocol), one row per MDT;
* :mod:`~openamr.field.mdt.tou`, :mod:`~openamr.field.mdt.temperature` variant features;
* :mod:`~openamr.field.mdt.events` tamper/supply/temperature/clock events for the radio;
* :mod:`~openamr.field.mdt.battery` charge ledger and life projections;
* :mod:`~openamr.field.mdt.power_states` the transition table of manual §5.2;
* :mod:`~openamr.field.mdt.device` the :class:`Mdt` composing them;
* :mod:`~openamr.field.mdt.uplink` its log and events as :mod:`openamr.frames` payloads.

See docs/mdt.md.
"""

from openamr.field.mdt.battery import (
    BatteryCurrents,
    BatteryLedger,
    mah_from_as,
    project_unjoined_life_days,
    search_cycle_mah,
)
from openamr.field.mdt.buffer import DEFAULT_DEPTH, IntervalRing, depth_for_days
from openamr.field.mdt.clock import MdtClock, draw_drift_ppm
from openamr.field.mdt.delivery import DeliveryLog
from openamr.field.mdt.device import Mdt, MdtParams
from openamr.field.mdt.events import EVENT_KINDS, EventQueue, MdtEventRecord
from openamr.field.mdt.fleet import DEFAULT_TOU_REGISTERS, MdtFleet
from openamr.field.mdt.intervals import (
    NO_TOU_REGISTER,
    IntervalBatch,
    IntervalFlag,
    IntervalRecord,
)
from openamr.field.mdt.power_states import (
    LED_PATTERNS,
    TIMER_EVENTS,
    TRANSITIONS,
    Action,
    ActionSpec,
    MdtEvent,
    PowerParams,
    PowerState,
    PowerStateMachine,
    Transition,
)
from openamr.field.mdt.pulse_input import (
    EDGE_TOLERANCE_S,
    PulseInput,
    PulseInputParams,
    debounce_mask,
)
from openamr.field.mdt.temperature import DeltaTemperatureRule, delta_report_mask
from openamr.field.mdt.tou import TouSchedule
from openamr.field.mdt.uplink import (
    apply_ack,
    apply_time_sync,
    event_payload,
    frame_records,
    intervals_payload,
    tou_schedule_from_frame,
)
from openamr.field.mdt.variants import VARIANTS, MdtVariant, TemperatureMode, variant_for_model

__all__ = [
    "DEFAULT_DEPTH",
    "DEFAULT_TOU_REGISTERS",
    "EDGE_TOLERANCE_S",
    "EVENT_KINDS",
    "LED_PATTERNS",
    "NO_TOU_REGISTER",
    "TIMER_EVENTS",
    "TRANSITIONS",
    "VARIANTS",
    "Action",
    "ActionSpec",
    "BatteryCurrents",
    "BatteryLedger",
    "DeliveryLog",
    "DeltaTemperatureRule",
    "EventQueue",
    "IntervalBatch",
    "IntervalFlag",
    "IntervalRecord",
    "IntervalRing",
    "Mdt",
    "MdtClock",
    "MdtEvent",
    "MdtEventRecord",
    "MdtFleet",
    "MdtParams",
    "MdtVariant",
    "PowerParams",
    "PowerState",
    "PowerStateMachine",
    "PulseInput",
    "PulseInputParams",
    "TemperatureMode",
    "TouSchedule",
    "Transition",
    "apply_ack",
    "apply_time_sync",
    "debounce_mask",
    "delta_report_mask",
    "depth_for_days",
    "draw_drift_ppm",
    "event_payload",
    "frame_records",
    "intervals_payload",
    "mah_from_as",
    "project_unjoined_life_days",
    "search_cycle_mah",
    "tou_schedule_from_frame",
    "variant_for_model",
]
