"""The daily CSV never hands a spreadsheet a formula.

Regression: ids starting with ``=``, ``+``, ``-`` or ``@`` reached the report as they were, so
opening it in a spreadsheet evaluated them (CSV injection).  Text cells are now prefixed with
``'``; numeric cells (``rssi_dbm`` = ``-85``) stay numbers.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from openamr.headend.export.csv_daily import export_daily_csv
from openamr.headend.store import Device, DeviceStatus, Meter, Site, open_store


@pytest.mark.parametrize("evil", ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)",
                                  "\tcmd"])
def test_formula_like_ids_are_neutralised(tmp_path: Path, evil: str) -> None:
    with open_store(str(tmp_path / "h.db")) as store:
        store.upsert_site(Site("s1", "S", "UTC"))
        store.upsert_device(Device(evil, "mdt", "s1", None, "MMSMT-C02", "00" * 16, 0))
        store.upsert_meter(Meter("M-01", "s1", evil))
        store.put_device_status(DeviceStatus(evil, 1_767_225_600, parent_id=evil,
                                             rssi_dbm=-85.0))
        text = export_daily_csv(store, date(2026, 1, 1), "s1")
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["meter_id"] == "M-01")
    assert row["device_id"] == "'" + evil
    assert row["parent_id"] == "'" + evil
    assert row["rssi_dbm"] == "-85"
    for cell in row.values():
        assert not cell.startswith(("=", "+", "@", "\t")), cell
