import io
import json

from openamr.frames import DeviceRole as R


def test_trace_is_jsonl_with_joins_and_per_link_kpis(mesh) -> None:
    run, _, _ = mesh([R.DCAP, R.REPEATER, R.MDT], [(0, 1, -70.0, 1.0), (1, 2, -80.0, 0.98)],
                     power_on_s=[0, 30, 200], days=0.25)
    out = io.StringIO()
    run.net.trace = out
    run.run(0.25)
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
