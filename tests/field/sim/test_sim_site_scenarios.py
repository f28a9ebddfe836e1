"""What can happen to a building, from the site file, against the real head-end ingest:
a meter outage, a 2-day DCAP outage with nothing lost, and a reversed CT whose stored energy is
the meter model's register (not the true load)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from openamr.field.mesh.mdt_node import MdtNode
from openamr.field.mesh.repeater import Repeater
from openamr.field.meter import Meter
from openamr.field.meter.catalogue import get_model
from openamr.field.meter.profile import LoadProfile
from openamr.field.meter.wiring import Wiring
from openamr.field.site.generate import generate_site
from openamr.field.site.model import Fault, LoadKind, LoadSpec, Outage

H = 3600.0
DAY = 86400.0


def _site(meters: int = 3, **changes):
    site = generate_site(meters, 1, 1, seed=4, time_zone="UTC")
    return dataclasses.replace(site, **changes)


def test_meter_outage_stores_zero_partial_intervals_and_power_events(site_mesh) -> None:
    base = _site()
    dark = base.meters[0].id
    site = dataclasses.replace(base, outages=(Outage(dark, 6 * H, 3 * H),))
    run, he, sc = site_mesh(site, 1.0)
    summary = run.run(1.0)
    assert summary["never_joined"] == []
    node = next(n for n in run.nodes if isinstance(n, MdtNode) and sc.nodes[n.idx].id == dark)
    rows = he.interval_rows(node.eui)
    t = rows.start_s - sc.epoch_s
    during = (t >= 6 * H) & (t < 9 * H)
    assert during.sum() == 12
    assert np.all(rows.energy_wh[during] == 0.0)  # the meter was dark: it registered nothing
    assert set(rows.quality[during].tolist()) == {"partial"}  # not "measured"
    assert np.all(rows.flags[during] & 0x20)  # POWER_FAIL: the MDT ran on its battery
    outside = (t < 5 * H) & (t >= 3 * H)
    assert rows.energy_wh[outside].sum() > 0
    assert set(rows.quality[outside].tolist()) == {"measured"}
    codes = he.event_codes(node.eui)
    assert codes.count("power.lost") == 1
    assert codes.count("power.restored") == 1
    assert codes.index("power.lost") < codes.index("power.restored")


def test_dcap_outage_of_two_days_loses_nothing(site_mesh) -> None:
    base = _site(4)
    site = dataclasses.replace(base, outages=(Outage(base.dcap.id, 1 * DAY, 2 * DAY),))
    run, he, sc = site_mesh(site, 5.0)
    summary = run.run(5.0)
    assert summary["intervals_expected"] > 4 * 4 * 96 - 50
    assert summary["intervals_delivered"] == summary["intervals_expected"]
    end_s = sc.epoch_s + 5 * DAY
    for node in run.nodes:
        if not isinstance(node, MdtNode):
            continue
        starts = np.asarray(sorted(he.intervals(node.eui)), dtype=np.int64)
        starts = starts[starts + 900 <= end_s]
        first = sc.epoch_s + node.first_interval * 900
        # every interval from the MDT's first to the end of the run, none missing
        assert starts.tolist() == list(range(first, int(end_s), 900))
    assert he.rejected == {}
    # the repeater lost its parent with the DCAP and found it again when it came back (its
    # failed link to the silent DCAP does not keep it out for good)
    repeaters = [n for n in run.nodes if isinstance(n, Repeater)]
    assert repeaters
    for rep in repeaters:
        assert rep.joined, rep.eui
        assert rep.parent is not None


def test_reversed_ct_on_one_element_stores_the_meter_models_register(site_mesh,
                                                                     tmp_path: Path) -> None:
    profile = tmp_path / "load.csv"
    profile.write_text("t_s,l1_w,l2_w\n0,300,1000\n")
    base = _site(2)
    m0 = dataclasses.replace(base.meters[0], power_on_s=0.0,
                             load=LoadSpec(LoadKind.CSV, csv_path=profile, csv_text="load.csv"))
    site = dataclasses.replace(base, meters=(m0, *base.meters[1:]),
                               faults=(Fault(m0.id, ct1="reversed"),))
    days = 1.0
    run, he, sc = site_mesh(site, days)
    run.run(days)
    node = next(n for n in run.nodes if isinstance(n, MdtNode) and sc.nodes[n.idx].id == m0.id)
    stored = he.intervals(node.eui)
    first = sc.epoch_s + node.first_interval * 900
    span = [s for s in stored if s + 900 <= sc.epoch_s + days * DAY]
    assert span == list(range(first, first + 900 * len(span), 900))
    stored_wh = sum(stored[s] for s in span)
    t0 = first - sc.epoch_s
    t1 = t0 + 900 * len(span)
    # the meter model on its own, same load, same wiring: P1 = -300 W, P2 = +1000 W, net 700 W
    model = Meter(get_model("MMSMT-C02"), "split", Wiring(ct1="reversed"))
    reg = model.run(LoadProfile.constant(300.0, 1000.0), t1).curve
    register_wh = float(reg.energy_ws_at(np.array([t1]))[0] - reg.energy_ws_at(np.array([t0]))[0]
                        ) / 3600.0
    assert abs(stored_wh - register_wh) < 10.0  # within one Kh 10 pulse
    true_wh = 1300.0 * (t1 - t0) / 3600.0
    assert stored_wh < 0.6 * true_wh  # the fault's signature: 700 W registered of 1,300 W


def test_dcap_outage_holds_delivery_until_the_dcap_is_back(site_mesh) -> None:
    base = _site(2)
    site = dataclasses.replace(base, outages=(Outage(base.dcap.id, 1 * DAY, 2 * DAY),))
    run, _, _ = site_mesh(site, 4.0)
    run.run(4.0)
    for node in run.nodes:
        if not isinstance(node, MdtNode):
            continue
        ends = (node.first_interval + 1 + np.arange(node.delivered_s.size)) * 900.0
        closed_in_outage = (ends > 1 * DAY + 3600) & (ends <= 3 * DAY)
        delivered = node.delivered_s[closed_in_outage]
        assert delivered.size > 150
        assert np.all(delivered >= 3 * DAY)  # nothing reached the head-end while it was dark
        assert np.all(np.isfinite(delivered))  # and everything did afterwards


def test_a_load_above_the_kits_maximum_current_is_refused(site_mesh, tmp_path: Path) -> None:
    import pytest

    from openamr.errors import InputError

    profile = tmp_path / "big.csv"
    profile.write_text("t_s,l1_w,l2_w\n0,15000,1000\n")  # 125 A on L1
    base = _site(2)
    m0 = dataclasses.replace(base.meters[0], rating_a=100,
                             load=LoadSpec(LoadKind.CSV, csv_path=profile, csv_text="big.csv"))
    with pytest.raises(InputError, match="110 A") as err:
        site_mesh(dataclasses.replace(base, meters=(m0, *base.meters[1:])), 0.25)
    assert err.value.where == f"meters.{m0.id}.load"
    # the same load on a 200 A kit (220 A maximum) runs
    m0 = dataclasses.replace(m0, rating_a=200)
    site_mesh(dataclasses.replace(base, meters=(m0, *base.meters[1:])), 0.25)


def test_presses_from_the_site_file_turn_an_idle_meters_mdt_off_and_on(site_mesh) -> None:
    """On a meter with no load (no pulses), a hold turns the MDT off until the next hold."""
    from openamr.field.mdt.power_states import PowerState
    from openamr.field.site.model import Press

    base = _site(2)
    idle = dataclasses.replace(base.meters[0], load=LoadSpec(LoadKind.HOUSEHOLD, 0.0))
    target = idle.id
    site = dataclasses.replace(base, meters=(idle, *base.meters[1:]), presses=(
        Press(target, 4 * H, "hold"), Press(target, 6 * H, "tap"), Press(target, 8 * H, "hold")))
    run, he, sc = site_mesh(site, 1.0)
    node = next(n for n in run.nodes if isinstance(n, MdtNode) and sc.nodes[n.idx].id == target)
    assert node.next_closure_s(0.0) is None  # the meter never pulses
    run.kernel.run(4 * H - 1)
    assert node.psm.state in (PowerState.JOINED, PowerState.JOINED_LED)
    run.kernel.run(4 * H + 1)
    assert node.psm.state is PowerState.OFF  # a hold turns it off (two flashes)
    run.kernel.run(7 * H)
    assert node.psm.state is PowerState.OFF  # a tap on an OFF MDT only flashes twice
    run.run(1.0)
    assert node.psm.state in (PowerState.JOINED, PowerState.JOINED_LED)  # held on again
    # joined and off both show no light; the hold at 8 h starts a new search
    after = [(t, p) for t, p in node.led_log if t >= 4 * H]
    assert [p for _, p in after][:4] == ["slow_flash", "rapid_flash", "solid", "off"]
    assert after[0][0] == 8 * H
    assert he.rejected == {}


def test_a_pulsing_meter_turns_its_mdt_back_on_after_a_hold(site_mesh) -> None:
    """Manual §5.2: "the first pulse will automatically turn on the MDT": switched off on a
    meter with a load, the MDT comes back on at the meter's next pulse, searches and joins."""
    from openamr.field.mdt.power_states import PowerState
    from openamr.field.site.model import Press

    base = _site(2)
    target = base.meters[0].id
    site = dataclasses.replace(base, presses=(Press(target, 4 * H, "hold"),))
    run, he, sc = site_mesh(site, 1.0)
    node = next(n for n in run.nodes if isinstance(n, MdtNode) and sc.nodes[n.idx].id == target)
    next_pulse_s = node.next_closure_s(4 * H)
    assert next_pulse_s is not None
    assert 4 * H < next_pulse_s < 5 * H  # a household load pulses within minutes
    run.kernel.run(4 * H + 0.5 * (next_pulse_s - 4 * H))
    assert node.psm.state is PowerState.OFF
    run.kernel.run(next_pulse_s + 1e-3)
    assert node.psm.state is PowerState.SEARCHING  # the pulse turned it on
    summary = run.run(1.0)
    assert node.psm.state in (PowerState.JOINED, PowerState.JOINED_LED)
    assert summary["never_joined"] == []
    after = [(t, p) for t, p in node.led_log if t >= 4 * H]
    assert after[0] == (next_pulse_s, "slow_flash")
    assert [p for _, p in after][:4] == ["slow_flash", "rapid_flash", "solid", "off"]
    assert he.rejected == {}


def test_a_meters_ct_error_shows_in_the_stored_energy(site_mesh, tmp_path: Path) -> None:
    profile = tmp_path / "load.csv"
    profile.write_text("t_s,l1_w,l2_w\n0,1000,1000\n")
    base = _site(2)
    load = LoadSpec(LoadKind.CSV, csv_path=profile, csv_text="load.csv")
    ideal = dataclasses.replace(base.meters[0], power_on_s=0.0, load=load)
    low = dataclasses.replace(base.meters[1], power_on_s=0.0, load=load, ct_ratio_error_pct=-2.0)
    run, he, sc = site_mesh(dataclasses.replace(base, meters=(ideal, low)), 1.0)
    run.run(1.0)
    by_id = {sc.nodes[n.idx].id: n for n in run.nodes if isinstance(n, MdtNode)}
    end_s = sc.epoch_s + 86400
    ideal_wh = sum(e for s, e in he.intervals(by_id[ideal.id].eui).items() if s + 900 <= end_s)
    low_wh = sum(e for s, e in he.intervals(by_id[low.id].eui).items() if s + 900 <= end_s)
    assert ideal_wh == pytest.approx(2000.0 * 24, abs=20.0)
    assert low_wh == pytest.approx(0.98 * ideal_wh, abs=20.0)  # reads 2 % low


def test_a_dcap_outage_longer_than_the_buffer_loses_only_what_was_overwritten(site_mesh,
                                                                             ) -> None:
    base = _site(2)
    site = dataclasses.replace(base, outages=(Outage(base.dcap.id, 1 * DAY, 40 * DAY),))
    run, he, sc = site_mesh(site, 43.0)
    run.run(43.0)
    back_s = sc.epoch_s + 41 * DAY
    for node in run.nodes:
        if not isinstance(node, MdtNode):
            continue
        starts = np.asarray(sorted(he.intervals(node.eui)), dtype=np.int64)
        # the day before the outage and the 35 days the buffer held when the DCAP came back
        assert np.any(starts < sc.epoch_s + 1 * DAY)
        held_from = back_s - 35 * DAY
        lost = starts[(starts >= sc.epoch_s + 1 * DAY + 3600) & (starts < held_from - 2 * DAY)]
        assert lost.size == 0  # overwritten in the MDT's 35-day buffer: never stored
        kept = starts[(starts >= held_from + DAY) & (starts < back_s)]
        assert kept.size >= 33 * 96  # everything the buffer still held got through
