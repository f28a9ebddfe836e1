"""Run the backhaul (the head-end) in a worker process, one upload behind the simulator.

On a 2-core machine the head-end's work (verifying every frame, storing it, sealing the ACKs)
can run beside the mesh instead of inside its event loop.  The DCAP hands each periodic batch
to the worker and routes the answers to the *previous* batch, which the worker computed in the
meantime; the answers therefore reach the mesh one upload period (900 s) later than in-process
— well before the MDT's next hourly wake, when it would collect them anyway.  Urgent frames
(join requests, events) are submitted at once and their answers collected ``urgent_delay_s``
(2 s) of simulated time later, so a power-up's thousands of joins do not each wait for the
worker.  Answers are applied at fixed simulated times,
so a run stays deterministic for a seed.

The backhaul is built *in the worker* by ``factory()`` (a picklable callable: a module-level
function or a ``functools.partial`` of one), so a store connection never crosses processes.
The worker is started with ``spawn``: a script that uses this must keep its top level behind
``if __name__ == "__main__":``.

:class:`InlineBackhaul` has the same interface and the same simulated timing but computes each
batch at once in the calling process: for callers that parallelise across sites instead (a Dask
worker is a daemonic process and may not start one of its own).  Since answers are applied at
the same simulated times, a run gives the same frames and the same stored data either way
(``tests/field/sim/test_sim_pipeline.py``).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["InlineBackhaul", "PipelinedBackhaul"]

Backhaul = Callable[[list[bytes], float], list[bytes]]


def _worker(conn: Connection, factory: Callable[[], Backhaul]) -> None:
    backhaul = factory()
    try:
        while True:
            msg = conn.recv()
            if msg[0] == "batch":
                conn.send(backhaul(msg[1], msg[2]))
            elif msg[0] == "report":
                report = getattr(backhaul, "report", None)
                conn.send(report() if callable(report) else {})
            else:
                close = getattr(backhaul, "close", None)
                if callable(close):
                    close()
                conn.send(None)
                return
    finally:
        conn.close()


class PipelinedBackhaul:
    """A backhaul running in its own process; ``submit`` now, ``collect`` at the next upload."""

    def __init__(self, factory: Callable[[], Backhaul], *, urgent_delay_s: float = 2.0,
                 ) -> None:
        self.urgent_delay_s = urgent_delay_s
        """Simulated delay [s] after which the answers to urgent frames (joins, events) are
        collected: the DCAP submits them at once and keeps simulating meanwhile."""
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_worker, args=(child, factory), daemon=True)
        self._proc.start()
        child.close()
        self._pending = 0

    def submit(self, frames: list[bytes], sim_t_s: float) -> None:
        """Hand a batch over; its answers come from the next :meth:`collect`."""
        self._conn.send(("batch", frames, sim_t_s))
        self._pending += 1

    def collect(self) -> list[bytes]:
        """The downlinks of every batch submitted so far (waits for the worker)."""
        out: list[bytes] = []
        while self._pending:
            out.extend(self._conn.recv())
            self._pending -= 1
        return out

    def __call__(self, frames: list[bytes], sim_t_s: float) -> list[bytes]:
        """Synchronous: earlier batches' answers first, then this one's."""
        self.submit(frames, sim_t_s)
        return self.collect()

    def report(self) -> dict[str, Any]:
        """The backhaul's ``report()`` (if it has one), after every batch was answered."""
        self.collect()
        self._conn.send(("report",))
        result: dict[str, Any] = self._conn.recv()
        return result

    def close(self) -> None:
        """Stop the worker (it closes its backhaul first)."""
        if self._proc.is_alive():
            self.collect()
            self._conn.send(("close",))
            self._conn.recv()
        self._proc.join(timeout=30)
        self._conn.close()


class InlineBackhaul:
    """:class:`PipelinedBackhaul`'s interface and timing, computed in this process: ``submit``
    runs the backhaul at once and keeps its answers for the next :meth:`collect`."""

    def __init__(self, backhaul: Backhaul, *, urgent_delay_s: float = 2.0) -> None:
        self.backhaul = backhaul
        self.urgent_delay_s = urgent_delay_s
        """As :attr:`PipelinedBackhaul.urgent_delay_s` [s simulated]."""
        self._answers: list[bytes] = []

    def submit(self, frames: list[bytes], sim_t_s: float) -> None:
        """Run the batch; its answers come from the next :meth:`collect`."""
        self._answers.extend(self.backhaul(frames, sim_t_s))

    def collect(self) -> list[bytes]:
        """The downlinks of every batch submitted so far."""
        out, self._answers = self._answers, []
        return out

    def __call__(self, frames: list[bytes], sim_t_s: float) -> list[bytes]:
        """Synchronous: earlier batches' answers first, then this one's."""
        self.submit(frames, sim_t_s)
        return self.collect()

    def report(self) -> dict[str, Any]:
        """The backhaul's ``report()`` (if it has one)."""
        report = getattr(self.backhaul, "report", None)
        return dict(report()) if callable(report) else {}

    def close(self) -> None:
        """Close the backhaul (if it can be closed)."""
        close = getattr(self.backhaul, "close", None)
        if callable(close):
            close()
