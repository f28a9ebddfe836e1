"""A small deterministic building for the energy tests (America/Los_Angeles, February–March
2026, so the spring-forward day 8 March, 92 quarter-hours, is in the data).

Units: ``101`` (apartment, 55 m², meters ``m-101a`` + ``m-101b``), ``102`` (apartment, 60 m²,
``m-102``, a gap of 3 hours on 10 March), ``201`` (apartment, 120 m², ``m-201``), ``pv`` (kind
``pv``, ``m-pv``); ``m-lone`` belongs to no unit.  Energies follow the local hour, so the load
profile and the heatmap have a shape; every value is a whole number of Wh.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from openamr.headend.store import IntervalBatch, Meter, Site, Store, Unit
from openamr.timeutil import epoch_s, site_zone, utc_offsets_s

LA = site_zone("America/Los_Angeles")
START_S = epoch_s(datetime(2026, 2, 1, tzinfo=LA))
END_S = epoch_s(datetime(2026, 4, 1, tzinfo=LA))
GAP_S = epoch_s(datetime(2026, 3, 10, 9, tzinfo=LA))

#: meter -> (base Wh per interval, Wh added per local hour of the day)
SHAPES = {"m-101a": (20, 2), "m-101b": (5, 1), "m-102": (30, 1), "m-201": (60, 4),
          "m-pv": (0, 0), "m-lone": (10, 0)}


def seed_energy(store: Store) -> None:
    """Fill ``store`` with the building."""
    store.upsert_site(Site("s-1", "Energy building", "America/Los_Angeles"))
    for meter_id in SHAPES:
        store.upsert_meter(Meter(meter_id, "s-1"))
    store.upsert_unit(Unit("101", "s-1", ("m-101a", "m-101b"), "Apartment 101", "apartment",
                           55.0))
    store.upsert_unit(Unit("102", "s-1", ("m-102",), "Apartment 102", "apartment", 60.0))
    store.upsert_unit(Unit("201", "s-1", ("m-201",), "Apartment 201", "apartment", 120.0))
    store.upsert_unit(Unit("pv", "s-1", ("m-pv",), "Roof PV", "pv"))
    starts = np.arange(START_S, END_S, 900, dtype=np.int64)
    local_hour = ((starts + utc_offsets_s(starts, LA)) % 86_400) // 3600
    for meter_id, (base, slope) in SHAPES.items():
        energy = (base + slope * local_hour).astype(np.float64)
        keep = np.ones(starts.size, dtype=bool)
        if meter_id == "m-102":
            keep = (starts < GAP_S) | (starts >= GAP_S + 3 * 3600)
        if meter_id == "m-pv":
            energy = np.clip(100 - 4 * np.abs(local_hour - 12) ** 2, 0, None).astype(np.float64)
        store.put_intervals(IntervalBatch(meter_id, starts[keep], energy[keep]))
