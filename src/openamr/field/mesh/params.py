"""Every knob of the mesh model, with the defaults of the reference (mesh.md §7.3).

Tehama's beacon, routing and security protocol is not public; the model is an RPL/Wi-SUN-style
reconstruction (Trickle beacons from joined nodes only, MRHOF parent selection on ETX, link
ACKs with retries, end-to-end ACKs with gap requests), so everything here is configurable.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from openamr.errors import InputError
from openamr.field.overrides import with_numeric_overrides

__all__ = ["MeshParams"]


@dataclass(frozen=True)
class MeshParams:
    """Parameters of the mesh; names carry units (``docs/nomenclature/mesh-sim.md``)."""

    # --- beacons (Trickle, RFC 6206) ---
    beacon_imin_s: float = 32.768
    """Trickle Imin [s] (2^15 ms, Wi-SUN small)."""
    beacon_doublings: int = 2
    """Trickle doublings while the network is building (Imax = Imin x 2^d ≈ 131 s)."""
    beacon_stable_doublings: int = 4
    """Doublings once stable (Imax ≈ 524 s): Trickle-style slow-down of a quiet network."""
    beacon_redundancy_k: int = 1
    """Trickle redundancy constant k: a beacon is suppressed after k consistent ones were
    heard in the interval (0: never suppress)."""
    dis_answer_min_s: float = 30.0
    """A router answers solicitations (DIS) with at most one extra beacon per this time [s]."""
    discovery_imin_s: float = 15.0
    """Discovery Trickle Imin [s]: a searching node sends its solicitation (DIS) at a uniform
    time in [Imin/2, Imin) of its search, a joined router answers with a beacon at a uniform
    time in [Imin/2, Imin) after hearing it.  Assumption, from Wi-SUN FAN 1.0's discovery
    Trickle for small networks (DISC_IMIN 15 s): the slow flash before the first usable beacon
    then lasts 15-30 s, the manual's "about 30 seconds" (§5.2) emerging, not injected."""
    # --- routing (MRHOF, RFC 6719) ---
    min_hop_rank_increase: int = 256
    """Rank step per hop [rank units]; the DCAP's rank is this value."""
    max_link_etx: float = 4.0
    """Links with a higher ETX are never chosen as parent (MAX_LINK_METRIC 512/128)."""
    parent_switch_etx: float = 1.5
    """A node changes parent only for a path ETX gain of at least this (threshold 192/128)."""
    candidate_margin_db: float = 10.0
    """A candidate parent's RSSI must be at least sensitivity + this [dB]."""
    candidate_hysteresis_db: float = 3.0
    """A current parent stays a candidate down to sensitivity + margin − this [dB]."""
    etx_alpha: float = 0.1
    """EWMA weight of a new ETX sample (Contiki-NG link-stats)."""
    etx_noack_tx: float = 16.0
    """A frame that failed every retry counts as this many transmissions in the ETX."""
    max_hops: int = 8
    """Hops from the DCAP at most; beacons of deeper nodes are ignored."""
    # --- MAC ---
    mac_max_retries: int = 3
    """Link-layer retransmissions after the first attempt (MAC_MAX_RETRIES)."""
    dedup_window_frames: int = 512
    """(src, counter) pairs a node remembers to drop duplicate copies."""
    # --- repeaters ---
    rep_scan_window_s: float = 60.0
    """A searching repeater listens this long, then retries [s] (repeated forever on mains)."""
    rep_retry_s: float = 60.0
    """Pause between two scan windows of a repeater that found no joined node [s]."""
    rep_backup_battery_s: float = 8 * 3600.0
    """How long a repeater runs on its backup battery after mains is lost [s].  The Mini Meter
    manual describes no repeater battery; Tehama's repeater has an "internal backup battery"
    (reference mesh.md §1) whose endurance is not published: 8 h is an assumption."""
    rep_backup_battery_mv: int = 3700
    """Backup battery voltage a repeater reports while on it [mV] (assumption: one Li-ion
    cell's nominal voltage)."""
    rep_queue_frames: int = 512
    """Store-and-forward queue of a repeater [frames]; the oldest is dropped when full."""
    rep_retry_forward_s: float = 30.0
    """A repeater that could not forward its queue tries again after this [s]."""
    parent_loss_beacons: int = 3
    """A repeater declares its parent lost after this many missed beacon intervals (at Imax)."""
    # --- MDT ---
    report_period_s: float = 3600.0
    """How often a joined MDT uplinks its new records [s].  Source: Tehama's TW113 guide, "a
    typical MDT transmission rate of one per hour (four per hour for Time of Use)" (reference
    mesh.md §1; the Mini Meter manual says only that the MDT logs 15-minute intervals).  The
    head-end's JOIN_RESPONSE may set another period."""
    report_jitter_ratio: float = 0.1
    """Uniform jitter of each report, ± this fraction of the period."""
    join_timeout_s: float = 60.0
    """A join request not answered in this time failed [s]."""
    join_handshake_s: float = 15.0
    """Authentication time of the join [s]: after the PAN configuration arrives (a discovery
    Trickle interval half, as for the beacon), the 802.1X/EAPOL exchange with the head-end
    before the join request's answer.  Assumption (Wi-SUN FAN 1.0's authentication runs
    several EAPOL round trips through the mesh; no public figure for this product): with the
    configuration wait the rapid flash lasts ~25-35 s, near the manual's "another 30
    seconds" (§5.2).  The manual gives the LED behaviour, not these parameters."""
    max_missed_acks: int = 3
    """Consecutive reports without an end-to-end ACK before the MDT tries another parent."""
    ack_timeout_s: float = 3 * 3600.0
    """Records sent this long ago and still not acknowledged are sent again [s]."""
    records_per_report: int = 120
    """Interval records in one uplink frame at most (MAX_RECORDS_PER_FRAME)."""
    gap_frames_per_wake: int = 4
    """Gap-fill frames an MDT sends at most on one wake."""
    buffer_days: float = 35.0
    """The MDT's ring buffer [days] of 15-minute records."""
    status_period_s: float = 86400.0
    """A joined MDT or repeater sends a STATUS this often [s] (and once after a join or a
    parent change; 0: never).  Assumption: the manual gives no figure; once a day fills the
    daily report's health columns and raises the weak-link and low-battery alarms within a day
    for ~4 % more uplink frames (an MDT reports hourly)."""
    # --- DCAP ---
    dcap_upload_s: float = 900.0
    """The DCAP hands its batch of frames to the backhaul this often [s] (joins and events
    go at once)."""
    # --- energy (mesh.md §6, §7.3) ---
    battery_mah: float = 2000.0
    """Usable capacity of the MDT's 2 x AA [mAh]."""
    sleep_current_ma: float = 0.0015
    rx_current_ma: float = 5.4
    tx_current_ma: float = 13.4
    led_current_ma: float = 2.0
    search_rx_duty_ratio: float = 1.0
    """Fraction of a search window the receiver is on."""
    frame_tx_s: float = 0.015
    """Air time of one uplink attempt [s]."""
    ack_rx_s: float = 0.02
    """Receive window after each uplink attempt [s]."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"expected a number, got {value!r}", where=f"mesh.{f.name}")
            if not math.isfinite(value) or value < 0:
                raise InputError(f"must be a finite non-negative number, got {value!r}",
                                 where=f"mesh.{f.name}")
        for name in ("beacon_imin_s", "report_period_s", "dcap_upload_s", "battery_mah",
                     "rep_scan_window_s", "join_timeout_s", "max_link_etx"):
            if getattr(self, name) <= 0:
                raise InputError("must be positive", where=f"mesh.{name}")
        if not 0 < self.etx_alpha <= 1:
            raise InputError("must be in (0, 1]", where="mesh.etx_alpha")
        if not 1 <= self.records_per_report <= 120:
            raise InputError("must be in 1..120 (MAX_RECORDS_PER_FRAME)",
                             where="mesh.records_per_report")

    @property
    def beacon_imax_s(self) -> float:
        """Trickle Imax while building [s]."""
        return float(self.beacon_imin_s * 2.0 ** self.beacon_doublings)

    @property
    def beacon_stable_imax_s(self) -> float:
        """Trickle Imax once stable [s]."""
        return float(self.beacon_imin_s * 2.0 ** max(self.beacon_doublings,
                                                      self.beacon_stable_doublings))

    def with_overrides(self, overrides: dict[str, Any], *, where: str = "mesh") -> MeshParams:
        """A copy with ``overrides``; unknown names are refused with the allowed list."""
        return with_numeric_overrides(self, overrides, where=where)
