"""``sim run --live`` exits non-zero with a message when the head-end dies.

Regression: it exited with status 1 and no message (a traceback swallowed by the CLI).
The "head-end" here accepts the connection, reads a little, then closes everything.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from click.testing import CliRunner

from openamr.cli import main
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
