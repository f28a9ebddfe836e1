"""``sim run --live``: the simulated DCAP talks TCP to the head-end's frame listener."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from openamr.cli import main
from openamr.field.site import write_site
from openamr.field.site.generate import generate_site


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    from openamr.headend.ingest import Ingest
    from openamr.headend.listener import FrameListener
    from openamr.headend.store import open_store

    db = tmp_path / "server.db"
    store = open_store(str(db))
    loop = asyncio.new_event_loop()
    listener = FrameListener(Ingest(store), tcp_port=0, commit_interval_ms=20)
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(listener.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10)
    assert listener.tcp_address is not None
    host, port = listener.tcp_address
    yield f"{host}:{port}", db
    asyncio.run_coroutine_threadsafe(listener.stop(), loop).result(10)
    asyncio.run_coroutine_threadsafe(asyncio.sleep(0.05), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    gc.collect()  # finalise the connection's stream objects while their loop is still open
    loop.close()
    store.close()


# the listener's server-side stream of a closed connection may be finalised in this test's
# teardown (asyncio's StreamWriter.__del__ warns); that is the listener's shutdown, not ours
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_live_run_stores_through_the_server(server: tuple[str, Path], tmp_path: Path) -> None:
    address, db = server
    site = tmp_path / "site.toml"
    write_site(generate_site(6, 1, 1, seed=4), site)
    result = CliRunner().invoke(main, ["sim", "run", str(site), "--days", "0.25", "--live",
                                       address, "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    s = json.loads(result.output)
    assert s["live"] == address
    assert s["joined"] == {"repeater": 1, "mdt": 6}
    assert s["frames_rejected"] == {}
    assert s["intervals_stored"] == s["intervals_expected"] > 0


def test_live_address_is_checked() -> None:
    result = CliRunner().invoke(main, ["sim", "run", "x.toml", "--days", "1", "--live", "nope"])
    assert result.exit_code == 2
