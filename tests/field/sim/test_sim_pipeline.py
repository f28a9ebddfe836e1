"""The head-end in a worker process, one upload behind: same completeness, still deterministic."""

from functools import partial

from openamr.field.sim.loopback import LoopbackHeadEnd
from openamr.field.sim.pipeline import PipelinedBackhaul
from openamr.field.sim.runner import SimRun
from openamr.field.sim.scenario import scenario_from_links
from openamr.frames import DeviceRole as R

ROLES = [R.DCAP, R.REPEATER, R.MDT, R.MDT, R.MDT]
LINKS = [(0, 1, -75.0, 0.99), (1, 2, -85.0, 0.97), (1, 3, -88.0, 0.95), (0, 4, -90.0, 0.9)]


def _run() -> tuple[dict, dict]:
    sc = scenario_from_links(ROLES, LINKS, power_on_s=[0, 30, 200, 200, 200], days=1, seed=5)
    backhaul = PipelinedBackhaul(partial(LoopbackHeadEnd, sc.network_key,
                                         {n.eui: n.install_code for n in sc.nodes},
                                         epoch_s=sc.epoch_s))
    try:
        summary = SimRun(sc, backhaul).run(1)
        report = backhaul.report()
    finally:
        backhaul.close()
    summary.pop("wall_s")
    return summary, report


def test_pipelined_head_end_stores_everything_deterministically() -> None:
    s1, r1 = _run()
    assert s1["joined"] == {"repeater": 1, "mdt": 3}
    assert s1["intervals_delivered"] == s1["intervals_expected"] > 0
    assert r1["rejected"] == {}
    for records in r1["records"].values():
        assert sorted(records) == list(range(len(records)))
    s2, r2 = _run()
    assert (s1, r1) == (s2, r2)
