"""The head-end in a worker process, one upload behind: same completeness, still deterministic."""

from functools import partial
from pathlib import Path

from openamr.compose.site_sim import make_ingest_backhaul, register_scenario
from openamr.field.sim.pipeline import InlineBackhaul, PipelinedBackhaul
from openamr.field.sim.runner import SimRun
from openamr.field.sim.scenario import scenario_from_links
from openamr.frames import DeviceRole as R
from openamr.headend.store import open_store

ROLES = [R.DCAP, R.REPEATER, R.MDT, R.MDT, R.MDT]
LINKS = [(0, 1, -75.0, 0.99), (1, 2, -85.0, 0.97), (1, 3, -88.0, 0.95), (0, 4, -90.0, 0.9)]


def _run(db: Path, *, inline: bool = False) -> tuple[dict, dict]:
    sc = scenario_from_links(ROLES, LINKS, power_on_s=[0, 30, 200, 200, 200], days=1, seed=5)
    with open_store(str(db)) as store:
        register_scenario(store, "site", "site", "UTC", sc)
    factory = partial(make_ingest_backhaul, str(db), sc.epoch_s, sc.nodes[0].eui)
    backhaul: InlineBackhaul | PipelinedBackhaul = (
        InlineBackhaul(factory()) if inline else PipelinedBackhaul(factory))
    try:
        summary = SimRun(sc, backhaul).run(1)
    finally:
        backhaul.close()
    summary.pop("wall_s")
    with open_store(str(db)) as store:
        stored = {n.id: store.get_intervals(n.id).start_s.tolist() for n in sc.nodes
                  if n.role == R.MDT}
        registers = {n.id: store.get_register_reads(n.id).register_wh.tolist()
                     for n in sc.nodes if n.role == R.MDT}
        windows = store.load_replay_windows()
        rejected = store.rejection_counts()
    return summary, {"stored": stored, "rejected": rejected, "registers": registers,
                     "windows": windows}


def test_pipelined_head_end_stores_everything_deterministically(tmp_path: Path) -> None:
    s1, r1 = _run(tmp_path / "a.db")
    assert s1["joined"] == {"repeater": 1, "mdt": 3}
    assert s1["intervals_delivered"] == s1["intervals_expected"] > 0
    assert r1["rejected"] == {}
    for starts in r1["stored"].values():
        assert starts == list(range(starts[0], starts[0] + 900 * len(starts), 900))
    s2, r2 = _run(tmp_path / "b.db")
    assert (s1, r1) == (s2, r2)


def test_the_inline_backhaul_gives_what_the_pipelined_one_gives(tmp_path: Path) -> None:
    """The same interface and simulated timing in one process (a Dask worker's): the same
    summary and the same stored data as the head-end in its own process."""
    assert _run(tmp_path / "inline.db", inline=True) == _run(tmp_path / "pipelined.db")
