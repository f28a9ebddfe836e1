"""``openamr serve`` in a subprocess for end-to-end tests: its frame ports and API URL."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx
import pytest

READY_TIMEOUT_S = 60.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServeProcess:
    """``openamr serve --db DB`` with UDP, TCP and the API on free ports; ready when it prints
    its ready line (which names the bound ports)."""

    def __init__(self, db: str, log: Path, *, env: dict[str, str] | None = None) -> None:
        self.db = db
        self.log = log
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.udp = ""
        self.tcp = ""
        self.api = ""

    def start(self) -> ServeProcess:
        api_port = free_port()
        env = {**os.environ, "OPENAMR_INGEST_COMMIT_INTERVAL_MS": "5",
               "OPENAMR_ALARMS_SWEEP_INTERVAL_S": "3600", **self.env}
        with self.log.open("ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "openamr", "serve", "--db", self.db, "--create",
                 "--udp-port", str(free_port()), "--tcp-port", str(free_port()), "--port",
                 str(api_port)],
                stdout=subprocess.PIPE, stderr=err, env=env)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        line = b""
        while b"openamr serve ready" not in line:
            ready, _, _ = select.select([self.proc.stdout], [], [],
                                        max(deadline - time.monotonic(), 0))
            if not ready:
                self.kill()
                pytest.fail(f"openamr serve not ready: {self.log.read_text()[-2000:]}")
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                pytest.fail(f"openamr serve exited: {self.log.read_text()[-2000:]}")
        for part in line.decode().split():
            key, _, value = part.partition("=")
            if key == "udp":
                self.udp = value
            elif key == "tcp":
                self.tcp = value
            elif key == "api":
                self.api = value
        return self

    def client(self, token: str) -> httpx.Client:
        """An HTTP client of the API with a bearer token."""
        return httpx.Client(base_url=self.api, headers={"Authorization": f"Bearer {token}"},
                            timeout=30.0)

    def kill(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> int:
        """SIGTERM (graceful) and the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(60)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return code

    def __enter__(self) -> ServeProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            assert self.stop() == 0, self.log.read_text()[-2000:]
        else:
            self.kill()
            if self.proc is not None and self.proc.stdout is not None:
                self.proc.stdout.close()
