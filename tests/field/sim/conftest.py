"""Helpers shared by the simulator tests: small hand-made topologies run against the real
head-end ingest (``openamr.headend.ingest``) over a SQLite store, composed as ``openamr sim run``
composes them (:func:`openamr.cli.sim.register_scenario`, :class:`openamr.cli.sim.IngestBackhaul`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openamr.compose.site_sim import IngestBackhaul, register_scenario
from openamr.field.mesh.params import MeshParams
from openamr.field.sim.runner import SimRun
from openamr.field.sim.scenario import Scenario, scenario_from_links
from openamr.frames import DeviceRole
from openamr.headend.store import open_store


class HeadEnd(IngestBackhaul):
    """The real ingest over a store, with read helpers for the tests (by EUI-64)."""

    def __init__(self, db: str, scenario: Scenario, time_zone: str = "UTC",
                 site_id: str = "site") -> None:
        store = open_store(db)
        register_scenario(store, site_id, site_id, time_zone, scenario)
        super().__init__(store, scenario.epoch_s, scenario.nodes[0].eui, close_store=True)
        self.scenario = scenario
        self.meter_of = {n.eui: n.id for n in scenario.nodes if n.role == DeviceRole.MDT}

    @property
    def network_key(self) -> bytes:
        """The key the head-end hands out at join (frames in tests are opened with it)."""
        key: bytes = self.store.get_or_create_network_key()
        return key

    @property
    def rejected(self) -> dict[str, int]:
        """Rejected frames by reason."""
        return dict(self.store.rejection_counts())

    def intervals(self, eui: int) -> dict[int, float]:
        """Stored intervals of the MDT ``eui``: start [UTC epoch s] -> energy [Wh]."""
        a = self.store.get_intervals(self.meter_of[eui])
        return dict(zip(a.start_s.tolist(), a.energy_wh.tolist(), strict=True))

    def interval_rows(self, eui: int) -> Any:
        """The store's interval arrays of the MDT ``eui`` (start, energy, quality, flags)."""
        return self.store.get_intervals(self.meter_of[eui])

    def seq_index(self, eui: int, first_interval: int) -> list[int]:
        """Stored intervals as record seqs (interval index since the MDT's first one)."""
        starts = np.asarray(sorted(self.intervals(eui)), dtype=np.int64)
        return ((starts - self.scenario.epoch_s) // 900 - first_interval).tolist()

    def event_codes(self, eui: int) -> list[str]:
        """Stored event codes of device ``eui``, oldest first."""
        rows = self.store.list_events(device_id=f"{eui:016x}", limit=10_000)
        return [e.code for e in sorted(rows, key=lambda e: (e.t_s, e.event_id or 0))]

    def register_wh(self, eui: int) -> float | None:
        """The latest register read stored for the MDT ``eui`` [Wh]."""
        reads = self.store.get_register_reads(self.meter_of[eui])
        return float(reads.register_wh[-1]) if len(reads.t_s) else None


def build(db: str, roles: list[DeviceRole], links: list[tuple[int, int, float, float]],
          params: MeshParams | None = None, time_zone: str = "UTC", **kw: Any,
          ) -> tuple[SimRun, HeadEnd, Scenario]:
    sc = scenario_from_links(roles, links, **kw)
    he = HeadEnd(db, sc, time_zone)
    return SimRun(sc, he, params=params), he, sc


@pytest.fixture
def site_mesh(tmp_path: Path) -> Iterator[Callable[..., tuple[SimRun, HeadEnd, Scenario]]]:
    """``site_mesh(site, days, params=None)``: a site (``openamr.field.site.Site``) through
    ``scenario_from_site`` (the meter model, faults, outages, presses) against the real ingest."""
    from openamr.field.sim.site_scenario import scenario_from_site

    made: list[HeadEnd] = []
    counter = iter(range(1_000_000))

    def make(site: Any, days: float, params: MeshParams | None = None,
             ) -> tuple[SimRun, HeadEnd, Scenario]:
        sc = scenario_from_site(site, days)
        he = HeadEnd(str(tmp_path / f"site-{next(counter)}.db"), sc, site.time_zone,
                     site.site_id)
        made.append(he)
        return SimRun(sc, he, params=params), he, sc

    yield make
    for he in made:
        he.close()


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[Callable[..., tuple[SimRun, HeadEnd, Scenario]]]:
    made: list[HeadEnd] = []
    counter = iter(range(1_000_000))

    def make(*args: Any, **kw: Any) -> tuple[SimRun, HeadEnd, Scenario]:
        run, he, sc = build(str(tmp_path / f"headend-{next(counter)}.db"), *args, **kw)
        made.append(he)
        return run, he, sc

    yield make
    for he in made:
        he.close()



@pytest.fixture
def sim_run_cli(tmp_path: Path) -> Callable[..., tuple[dict[str, Any], Path]]:
    """``sim_run_cli(meters, floors, seed, extra_toml="", start_utc=...)``: ``openamr sim run
    --days 1 --json --require-all-joined`` of a generated site (UTC, from ``start_utc``,
    2026-01-01T00:00:00Z by default; ``extra_toml`` appended to its file) into the test's
    SQLite store (one per test: a second call adds a second site); every device must join.
    Returns the summary and the store's path."""
    import json

    from click.testing import CliRunner

    from openamr.cli import main
    from openamr.field.site import write_site
    from openamr.field.site.generate import generate_site

    def run(meters: int, floors: int, seed: int, extra_toml: str = "",
            start_utc: str = "2026-01-01T00:00:00Z") -> tuple[dict[str, Any], Path]:
        site_file = tmp_path / "site.toml"
        write_site(generate_site(meters, floors, seed=seed, time_zone="UTC",
                                 start_utc=start_utc), site_file)
        with site_file.open("a") as f:
            f.write(extra_toml)
        db = tmp_path / "sim.db"
        result = CliRunner().invoke(main, ["sim", "run", str(site_file), "--days", "1", "--db",
                                           str(db), "--json", "--require-all-joined"])
        assert result.exit_code == 0, result.output
        summary: dict[str, Any] = json.loads(result.output)
        assert summary["never_joined"] == []
        return summary, db

    return run
