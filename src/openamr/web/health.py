"""The commissioning tool's device table: every device of a site with its join state, link,
battery and data completeness, from what the head-end has stored.

One function, :func:`site_health`, serves the CIT page, ``openamr cit status`` and the
troubleshooting assistant.  It reads the store once per table (devices, statuses, positions,
meters, and the site's intervals of the last 7 days in one bulk query) and computes the
per-meter ratios with ``numpy.bincount``, so a 1,000-MDT site costs a handful of queries.

Definitions (docs/cit.md explains them with their sources):

* **join state** (``not_heard`` | ``joined`` | ``late`` | ``silent``): never heard; heard and
  on time; past its expected report time; silent for more than :data:`SILENT_AFTER_REPORTS`
  report periods.  The LED pattern an installer would see on the device is the manual's §5.2
  "Power-up LED Indications" for the state (``LED_PATTERNS``);
* **expected report time**: ``last_heard_s + report_period_s + upload_s`` (assumption: MDTs
  report hourly, repeaters send a STATUS daily, and the DCAP uploads every 15 minutes: the
  simulator's ``MeshParams`` defaults, reference mesh.md; settings of :class:`HealthSettings`);
* **delivery ratio** over 24 h and 7 d: intervals the head-end holds / intervals already *due*
  (ended at least one report period and one upload before now), so readings still on their
  way do not count as lost;
* **completeness** over 24 h and 72 h: intervals held / every interval that has ended in the
  window (the billing view: a hole is a hole, whatever the reason);
* **battery days left**: remaining charge / mean drain since installation, with the drain from
  ``battery_capacity_mah`` minus the remaining charge (assumption: a 2,000 mAh primary cell, as
  the field model's ``BatteryLedger``), never beyond the cell's shelf life counted from the
  installation (``battery_shelf_life_years``: the field model's assumed 20 years, from the
  Li-SOCl2 makers' 10-20 year service life), so a device that draws microamps shows years left,
  not a century.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openamr.field.mdt.battery import SHELF_LIFE_YEARS
from openamr.headend.settings import REPEATER_REPORT_PERIOD_S
from openamr.headend.store.base import Device, DevicePosition, DeviceStatus, Store
from openamr.units import INTERVAL_LENGTH_S, S_PER_DAY

__all__ = [
    "JOIN_STATES",
    "LED_PATTERNS",
    "SILENT_AFTER_REPORTS",
    "DeviceHealth",
    "HealthSettings",
    "device_label",
    "site_health",
]

JOIN_STATES: tuple[str, ...] = ("not_heard", "joined", "late", "silent")

LED_PATTERNS: dict[str, str] = {
    "not_heard": "slow flash (searching for beacons) or off",
    "joined": "solid (joined the network)",
    "late": "solid when last seen; now unknown",
    "silent": "single flash (light sleep: lost the network) or off",
}
"""The MDT LED an installer would see for each join state (manual §5.2 "Power-up LED
Indications"; which pattern a silent device shows is an assumption: it may also be off)."""

SILENT_AFTER_REPORTS = 3
"""A device not heard for this many report periods past its expected time is ``silent``."""



@dataclass(frozen=True)
class HealthSettings:
    """The figures :func:`site_health` assumes (see the module docstring for sources)."""

    report_period_s: int = 3600
    """How often an MDT reports [s] (assumption: hourly, the simulator's default)."""
    repeater_report_period_s: int = REPEATER_REPORT_PERIOD_S
    """How often a repeater sends a frame of its own (a STATUS) [s] (the assumption of
    :data:`openamr.headend.settings.REPEATER_REPORT_PERIOD_S`); its forwarded traffic does not
    count as heard."""
    upload_s: int = 900
    """How long a report may wait at the DCAP before it is stored [s]."""
    battery_capacity_mah: float = 2000.0
    """Capacity of a new MDT battery [mAh] (assumption, as the field model)."""
    battery_shelf_life_years: float = SHELF_LIFE_YEARS
    """No battery outlives this from its installation [years] (assumption, as the field model:
    :data:`openamr.field.mdt.battery.SHELF_LIFE_YEARS`)."""


@dataclass(frozen=True)
class DeviceHealth:
    """One row of the commissioning tool's device table."""

    device_id: str
    site_id: str
    role: str
    label: str
    """The device's name in the site (``REP-001``, the meter id of an MDT, else the EUI)."""
    meter_id: str | None
    join_state: str
    led_pattern: str
    parent_id: str | None
    parent_label: str | None
    hops: int | None
    rssi_dbm: int | None
    margin_db: float | None
    """Link margin of the parent link [dB]."""
    etx: float | None
    battery_mv: int | None
    battery_remaining_mah: int | None
    battery_days_left: float | None
    last_heard_s: int | None
    expected_by_s: int | None
    """When the next report is due [UTC epoch s]."""
    delivery_24h_ratio: float | None
    delivery_7d_ratio: float | None
    completeness_24h_ratio: float | None
    completeness_72h_ratio: float | None
    floor: int | None
    x_m: float | None
    y_m: float | None
    placement: str | None


def device_label(device: Device, position: DevicePosition | None) -> str:
    """A device's name for people: its site-scoped id where known, else the name the site file
    gave it, else its meter id or EUI-64."""
    if device.local_id:
        return device.local_id
    if position is not None and position.label:
        return position.label
    return device.meter_id or device.device_id


def _join_state(role: str, status: DeviceStatus | None, now_s: int,
                s: HealthSettings) -> tuple[str, int | None]:
    if status is None or status.last_heard_s is None:
        return "not_heard", None
    period_s = s.repeater_report_period_s if role == "repeater" else s.report_period_s
    expected_s = int(status.last_heard_s) + period_s + s.upload_s
    if now_s <= expected_s:
        return "joined", expected_s
    if now_s <= expected_s + SILENT_AFTER_REPORTS * period_s:
        return "late", expected_s
    return "silent", expected_s


def _battery_days_left(device: Device, status: DeviceStatus | None,
                       s: HealthSettings) -> float | None:
    if status is None or status.battery_remaining_mah is None or device.installed_s is None:
        return None
    if device.role != "mdt" and not status.on_battery:
        return None  # mains powered: its backup battery is not being drawn
    used_mah = s.battery_capacity_mah - float(status.battery_remaining_mah)
    elapsed_days = (int(status.last_heard_s) - int(device.installed_s)) / S_PER_DAY
    if used_mah <= 0 or elapsed_days <= 0:
        return None
    at_mean_drain_days = float(status.battery_remaining_mah) / (used_mah / elapsed_days)
    shelf_left_days = max(0.0, s.battery_shelf_life_years * 365.25 - elapsed_days)
    return round(min(at_mean_drain_days, shelf_left_days), 1)


def _ratios(store: Store, site_id: str, meters: Sequence[tuple[str, int | None]], now_s: int,
            s: HealthSettings) -> dict[str, tuple[float | None, ...]]:
    """Per meter id: (delivery 24 h, delivery 7 d, completeness 24 h, completeness 72 h).

    ``meters``: (meter id, installed_s or None); a window's expected count is cut at the
    installation (a device is judged only on the time it has been there; an interval stored
    from before it still counts, so a ratio is capped at 1); an empty window gives None."""
    if not meters:
        return {}
    ids = [m for m, _ in meters]
    installed = np.array([-(2**62) if t is None else -(-int(t) // INTERVAL_LENGTH_S)
                          * INTERVAL_LENGTH_S for _, t in meters], dtype=np.int64)
    end_s = now_s - now_s % INTERVAL_LENGTH_S  # intervals that have ended
    due_s = now_s - s.report_period_s - s.upload_s
    due_s -= due_s % INTERVAL_LENGTH_S
    windows = [(due_s - S_PER_DAY, due_s), (due_s - 7 * S_PER_DAY, due_s),
               (end_s - S_PER_DAY, end_s), (end_s - 3 * S_PER_DAY, end_s)]
    held = store.interval_counts(ids, windows, site_id=site_id)
    cols: list[npt.NDArray[np.float64]] = []
    for j, (lo_s, hi_s) in enumerate(windows):
        want = np.maximum(hi_s - np.maximum(lo_s, installed), 0) // INTERVAL_LENGTH_S
        cols.append(np.where(want > 0, np.minimum(held[:, j] / np.maximum(want, 1), 1.0),
                             np.nan))
    return {m: tuple(None if not np.isfinite(c[i]) else round(float(c[i]), 4) for c in cols)
            for i, m in enumerate(ids)}


def site_health(store: Store, site_id: str | None, now_s: int,
                settings: HealthSettings | None = None) -> list[DeviceHealth]:
    """The device table of ``site_id`` (every site, one after the other, when None): DCAP,
    repeaters, then MDTs, each group by label.  ``now_s`` [UTC epoch s] is "now" for
    late/silent and the windows."""
    if site_id is None:
        return [row for site in store.list_sites()
                for row in site_health(store, site.site_id, now_s, settings)]
    s = settings or HealthSettings()
    devices = store.list_devices(site_id=site_id)
    statuses = {st.device_id: st for st in store.list_device_status(site_id=site_id)}
    positions = {p.device_id: p for p in store.list_device_positions(site_id=site_id)}
    labels = {d.device_id: device_label(d, positions.get(d.device_id)) for d in devices}
    ratios = _ratios(store, site_id, [(d.meter_id, d.installed_s) for d in devices
                                      if d.role == "mdt" and d.meter_id], now_s, s)
    heard = [st.last_heard_s for st in statuses.values() if st.last_heard_s is not None]
    rows: list[DeviceHealth] = []
    for d in devices:
        st = statuses.get(d.device_id)
        if d.role == "dcap" and st is None and heard:
            # the DCAP is the head-end's own radio: it is up when anything was heard through it
            st = DeviceStatus(d.device_id, max(heard), hops=0)
        pos = positions.get(d.device_id)
        state, expected_s = _join_state(d.role, st, now_s, s)
        d24, d7, c24, c72 = ratios.get(d.meter_id or "", (None, None, None, None))
        parent = st.parent_id if st else None
        rows.append(DeviceHealth(
            device_id=d.device_id, site_id=d.site_id, role=d.role, label=labels[d.device_id],
            meter_id=d.meter_id, join_state=state, led_pattern=LED_PATTERNS[state],
            parent_id=parent, parent_label=labels.get(parent, parent) if parent else None,
            hops=st.hops if st else None, rssi_dbm=st.rssi_dbm if st else None,
            margin_db=st.link_margin_db if st else None, etx=st.etx if st else None,
            battery_mv=st.battery_mv if st else None,
            battery_remaining_mah=st.battery_remaining_mah if st else None,
            battery_days_left=_battery_days_left(d, st, s),
            last_heard_s=st.last_heard_s if st else None, expected_by_s=expected_s,
            delivery_24h_ratio=d24, delivery_7d_ratio=d7,
            completeness_24h_ratio=c24, completeness_72h_ratio=c72,
            floor=pos.floor if pos else None, x_m=pos.x_m if pos else None,
            y_m=pos.y_m if pos else None, placement=pos.placement if pos else None))
    order = {"dcap": 0, "repeater": 1, "mdt": 2}
    rows.sort(key=lambda h: (order.get(h.role, 3), h.site_id, h.label))
    return rows
