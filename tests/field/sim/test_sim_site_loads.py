"""The scenario's energy comes from ``openamr.field.loads.site_leg_power_w``: CSV loads follow
their profile, and a bad profile is an InputError (never a silent built-in shape)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from openamr.errors import InputError
from openamr.field.sim.site_scenario import scenario_from_site
from openamr.field.site.generate import generate_site
from openamr.field.site.model import LoadKind, LoadSpec


def _site_with_csv(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    csv = tmp_path / "flat.csv"
    csv.write_text(text)
    site = generate_site(3, 1, 1, seed=5)
    m0 = dataclasses.replace(site.meters[0], load=LoadSpec(LoadKind.CSV, None, csv, "flat.csv"))
    return dataclasses.replace(site, meters=(m0, *site.meters[1:]))


def test_a_csv_load_follows_its_profile(tmp_path: Path) -> None:
    site = _site_with_csv(tmp_path, "t_s,l1_w,l2_w\n0,1500,500\n86400,1500,500\n")
    sc = scenario_from_site(site, 1.0)
    row = sc.energy_wh[0, 4:90]  # 2000 W: 500 Wh per 15 minutes, within a pulse
    assert np.all(np.abs(row - 500) <= 10)


def test_a_bad_csv_profile_is_an_input_error(tmp_path: Path) -> None:
    site = _site_with_csv(tmp_path, "t_s,l1_w,l2_w\n0,1500,500\n")
    (tmp_path / "flat.csv").write_text("not,a,profile\nx,y,z\n")
    with pytest.raises(InputError):
        scenario_from_site(site, 1.0)
