"""``sim run --live`` exits non-zero with a message when the head-end dies.

Regression: it exited with status 1 and no message (a traceback swallowed by the CLI).
The "head-end" here accepts the connection, reads a little, then closes everything.
"""

from __future__ import annotations

import select
import socket
import threading
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from openamr.cli import main
from openamr.cli.sim import LiveBackhaul
from openamr.field.site import write_site
from openamr.field.site.generate import generate_site


def test_live_run_reports_a_dead_server(tmp_path: Path) -> None:
    listening = socket.create_server(("127.0.0.1", 0))
    host, port = listening.getsockname()[:2]
    served = threading.Event()

    def die_after_first_bytes() -> None:
        conn, _ = listening.accept()
        conn.recv(64)  # the first frame arrives: the server "crashes"
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()
        listening.close()
        served.set()

    thread = threading.Thread(target=die_after_first_bytes, daemon=True)
    thread.start()
    site = tmp_path / "site.toml"
    write_site(generate_site(6, 1, 1, seed=4), site)
    result = CliRunner().invoke(main, ["sim", "run", str(site), "--days", "0.25", "--live",
                                       f"{host}:{port}", "--live-wait-s", "0.2"])
    thread.join(10)
    assert served.is_set()
    assert result.exit_code == 1
    assert f"the head-end at {host}:{port} went away" in result.output


def test_sim_run_errors_do_not_show_the_postgres_password(tmp_path: Path) -> None:
    """Regression: ``sim run`` errors printed the DSN with its password."""
    site = tmp_path / "site.toml"
    write_site(generate_site(2, 1, 1, seed=4), site)
    result = CliRunner().invoke(main, ["sim", "run", str(site), "--days", "0.1", "--db",
                                       "postgresql://amr:pa55word@127.0.0.1:1/amr"])
    assert result.exit_code == 2
    assert "pa55word" not in result.output
    assert "amr:***@127.0.0.1:1" in result.output


def test_a_send_that_fails_and_cannot_reconnect_says_the_server_went_away() -> None:
    """Regression: when a send failed (the server had reset the connection) and the reconnect
    was refused, the socket closed by the reconnect was touched again and ``Bad file
    descriptor`` replaced the message.  It showed when the simulator was fast enough to send
    before it read the server's close."""
    listening = socket.create_server(("127.0.0.1", 0))
    host, port = listening.getsockname()[:2]
    backhaul = LiveBackhaul(host, port)
    conn, _ = listening.accept()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.close()  # a reset, and nobody listens any more
    listening.close()
    select.select([backhaul._sock], [], [], 5.0)  # the reset has arrived
    with pytest.raises(click.ClickException, match=f"the head-end at {host}:{port} went away"):
        backhaul.submit([b"\x00" * 40], 0.0)
