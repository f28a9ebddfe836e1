"""What the ingest knows of each device, cached from the store: keys, meter, bounds.

One :class:`KnownDevice` per EUI-64 (unique across the head-end, whatever the site): its
install-code key (HKDF of the label's code), its site, the meter it reads (integer key and id),
that meter's largest plausible interval energy and the oldest plausible record start.  Loaded
with three queries; an unknown sender is looked up again at most once a minute of receive time
(devices registered while the head-end runs are picked up; a flood of frames from strangers does
not become a flood of queries).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from openamr.frames import install_code_key
from openamr.headend.store import Device, DeviceStatus, Meter, Store
from openamr.headend.variants import has_tou
from openamr.units import INTERVAL_LENGTH_S, S_PER_H

__all__ = ["FORGET_UNKNOWN_S", "DeviceRegistry", "KnownDevice"]

log = logging.getLogger(__name__)

FORGET_UNKNOWN_S = 60
"""An unknown sender is looked up in the store again after this long [s of receive time]."""


@dataclass
class KnownDevice:
    """A registered device as the ingest uses it."""

    eui: int
    device_id: str
    role: str
    site_id: str = ""
    """The site the device is registered at."""
    meter_key: int = -1
    """The store's key of the meter it reads (-1: none)."""
    meter_id: str | None = None
    max_energy_wh: float = 0.0
    """Largest plausible interval energy of that meter [Wh] (``max_power_w * 900 / 3600``)."""
    install_key: bytes | None = None
    lower_bound_s: int | None = None
    """Oldest plausible record start [UTC epoch s] (install or join minus the buffer)."""
    tou: bool = False
    """An MDT of a TOU variant (manual Table 1): it gets TOU schedules."""


class DeviceRegistry:
    """``eui -> KnownDevice``, cached from the store."""

    def __init__(self, store: Store, buffer_horizon_s: int) -> None:
        self.store = store
        self.buffer_horizon_s = buffer_horizon_s
        self.devices: dict[int, KnownDevice] = {}
        self._unknown: dict[int, int] = {}
        self.refresh()

    def refresh(self) -> None:
        """Re-read every device (three queries, not three per device)."""
        meters = {(m.site_id, m.meter_id): m for m in self.store.list_meters()}
        by_device = {m.device_id: m.meter_id for m in meters.values() if m.device_id}
        statuses = {st.device_id: st for st in self.store.list_device_status()}
        fresh = {int(dev.device_id, 16): self._info(dev, meters, by_device,
                                                    statuses.get(dev.device_id))
                 for dev in self.store.list_devices()}
        self.devices.clear()  # in place: the ingest holds this dict
        self.devices.update(fresh)
        self._unknown.clear()

    def get(self, eui: int, received_s: int) -> KnownDevice | None:
        """The device, looking an unknown one up in the store (at most once a minute)."""
        dev = self.devices.get(eui)
        if dev is not None:
            return dev
        if self._unknown.get(eui, -1) > received_s:
            return None
        dev = self._load_one(f"{eui:016x}")
        if dev is None:
            self._unknown[eui] = received_s + FORGET_UNKNOWN_S
        return dev

    def _load_one(self, device_id: str) -> KnownDevice | None:
        dev = self.store.get_device(device_id)
        if dev is None:
            return None
        meters: dict[tuple[str, str], Meter] = {}
        by_device: dict[str, str] = {}
        if dev.meter_id is not None:
            meter = self.store.get_meter(dev.meter_id, site_id=dev.site_id)
            if meter is not None:
                meters[(meter.site_id, meter.meter_id)] = meter
        elif dev.role == "mdt":
            for m in self.store.list_meters(dev.site_id):
                if m.device_id == dev.device_id:
                    meters[(m.site_id, m.meter_id)] = m
                    by_device[dev.device_id] = m.meter_id
        info = self._info(dev, meters, by_device, self.store.get_device_status(dev.device_id))
        self.devices[info.eui] = info
        return info

    def _info(self, dev: Device, meters: dict[tuple[str, str], Meter],
              by_device: dict[str, str], status: DeviceStatus | None) -> KnownDevice:
        info = KnownDevice(int(dev.device_id, 16), dev.device_id, dev.role, dev.site_id)
        if dev.install_code:
            try:
                info.install_key = install_code_key(dev.install_code)
            except ValueError:
                log.warning("device %s: install code unusable", dev.device_id)
        meter_id = dev.meter_id or (by_device.get(dev.device_id) if dev.role == "mdt" else None)
        meter = meters.get((dev.site_id, meter_id)) if meter_id is not None else None
        if meter is not None:
            info.meter_id = meter.meter_id
            info.meter_key = self.store.meter_key(meter.meter_id, site_id=meter.site_id)
            info.max_energy_wh = meter.max_power_w * INTERVAL_LENGTH_S / S_PER_H
        info.tou = dev.role == "mdt" and (has_tou(dev.model)
                                          or (meter is not None and has_tou(meter.model)))
        anchors = [t for t in (dev.installed_s, status.joined_s if status else None)
                   if t is not None]
        if anchors:
            info.lower_bound_s = min(anchors) - self.buffer_horizon_s
        return info
