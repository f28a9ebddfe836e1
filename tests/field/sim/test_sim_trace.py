import io
import json

from openamr.field.sim.loopback import LoopbackHeadEnd
from openamr.field.sim.runner import SimRun
from openamr.field.sim.scenario import scenario_from_links
from openamr.frames import DeviceRole as R


def test_trace_is_jsonl_with_joins_and_per_link_kpis() -> None:
    sc = scenario_from_links([R.DCAP, R.REPEATER, R.MDT], [(0, 1, -70.0, 1.0),
                                                          (1, 2, -80.0, 0.98)],
                             power_on_s=[0, 30, 200], days=0.25)
    out = io.StringIO()
    he = LoopbackHeadEnd(sc.network_key, {n.eui: n.install_code for n in sc.nodes},
                         epoch_s=sc.epoch_s)
    SimRun(sc, he, trace=out).run(0.25)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    kinds = {r["kind"] for r in records}
    assert {"power_on", "joined", "search", "link"} <= kinds
    links = [r for r in records if r["kind"] == "link"]
    assert {r["role"] for r in links} == {"repeater", "mdt"}
    mdt_link = next(r for r in links if r["role"] == "mdt")
    assert mdt_link["frames"] > 0
    assert 0.0 <= mdt_link["delivery_ratio"] <= 1.0
    assert mdt_link["margin_db"] == 30.0
    assert all(r["sim_t_s"] >= 0 for r in records)
