"""Helpers of the bridge tests: ``openamr ingest-worker`` processes."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading


def start_worker(broker: str, dsn: str) -> tuple[subprocess.Popen[str], threading.Thread]:
    """An ``openamr ingest-worker`` process, started and subscribed; its stdout is pumped by
    the returned thread (join it after the process ends, then close ``proc.stdout``)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "openamr", "ingest-worker", "--broker", broker, "--db", dsn,
         "--group", "test"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    line = lines.get(timeout=60)
    assert line.startswith("openamr ingest-worker ready"), line
    return proc, thread
