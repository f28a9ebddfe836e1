"""Helpers shared by the simulator tests: small hand-made topologies and a loopback head-end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from openamr.field.mesh.params import MeshParams
from openamr.field.sim.loopback import LoopbackHeadEnd
from openamr.field.sim.runner import SimRun
from openamr.field.sim.scenario import Scenario, scenario_from_links
from openamr.frames import DeviceRole


def build(roles: list[DeviceRole], links: list[tuple[int, int, float, float]],
          params: MeshParams | None = None, **kw: Any) -> tuple[SimRun, LoopbackHeadEnd, Scenario]:
    sc = scenario_from_links(roles, links, **kw)
    he = LoopbackHeadEnd(sc.network_key, {n.eui: n.install_code for n in sc.nodes},
                         epoch_s=sc.epoch_s)
    return SimRun(sc, he, params=params), he, sc


@pytest.fixture
def mesh() -> Callable[..., tuple[SimRun, LoopbackHeadEnd, Scenario]]:
    return build
