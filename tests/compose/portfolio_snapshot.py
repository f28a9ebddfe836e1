"""Everything a store holds of one site, comparable across stores (no store-internal ids)."""

from __future__ import annotations

import dataclasses
from typing import Any

from openamr.headend.store.base import Store


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()
                if k not in ("event_id", "meter_key")}
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _arrays(value: Any) -> dict[str, Any]:
    return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}


def site_snapshot(store: Store, site_id: str) -> dict[str, Any]:
    """The site's registration, readings, events, device state and history."""
    meters = store.list_meters(site_id)
    devices = store.list_devices(site_id)
    device_ids = {d.device_id for d in devices}
    meter_ids = [m.meter_id for m in meters]
    windows = store.load_replay_windows()
    seqs = store.load_seq_states()
    dcap = next(d.device_id for d in devices if d.role == "dcap")
    return {
        "site": _plain(store.get_site(site_id)),
        "meters": _plain(meters),
        "devices": _plain(devices),
        "positions": _plain(store.list_device_positions(site_id)),
        "units": _plain(store.list_units(site_id)),
        "tou": _plain(store.get_site_tou(site_id)),
        "intervals": _arrays(store.get_intervals_bulk(meter_ids, site_id=site_id)),
        "registers": {m: _arrays(store.get_register_reads(m, site_id=site_id))
                      for m in meter_ids},
        "tou_registers": {m: _arrays(store.get_tou_register_reads(m, site_id=site_id))
                          for m in meter_ids},
        "temperatures": {m: _arrays(store.get_temperatures(m, site_id=site_id))
                         for m in meter_ids},
        "events": _plain(store.list_events(site_id, limit=100_000)),
        "statuses": _plain(store.list_device_status(site_id)),
        "status_reports": {d: _plain(store.list_status_reports(d, limit=100_000))
                           for d in sorted(device_ids)},
        "replay_windows": {d: list(w) for d, w in windows.items() if d in device_ids},
        "seq_states": {d: _plain(s) for d, s in seqs.items() if d in device_ids},
        "dcap_counter_reservation": store.get_counter_reservation(dcap),
    }
