"""Prometheus metrics of the head-end (``GET /metrics``, text exposition format).

Built on ``prometheus-client`` with a registry per :class:`Metrics` (no process-global state).
Counts come from the running ingest, gauges from the store, both read at scrape time (nothing
is added to the ingest's hot path); the batch latency is observed by the frame listener.

=====================================  =======  ============================================
metric                                 type     meaning
=====================================  =======  ============================================
``openamr_ingest_frames_total``        counter  frames received, ``outcome`` = ``accepted`` |
                                                ``refused``
``openamr_ingest_readings_total``      counter  interval readings, ``outcome`` = ``stored`` |
                                                ``duplicate``
``openamr_ingest_rejections_total``    counter  rejected items by ``reason`` (frames, or
                                                records for record-level reasons)
``openamr_ingest_batches_total``       counter  committed batches
``openamr_ingest_batch_seconds``       histo.   time to verify, store and commit one batch [s]
``openamr_outbox_depth``               gauge    push items waiting, per ``channel``
``openamr_alarms_active``              gauge    alarms not cleared, ``state`` = ``open`` |
                                                ``acknowledged``
``openamr_devices``                    gauge    registered devices
``openamr_devices_heard``              gauge    devices heard within ``heard_window_s``
=====================================  =======  ============================================

Counters count since the process started (Prometheus handles restarts).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from openamr.headend.store.protocols import MetricsStore

__all__ = ["CONTENT_TYPE", "HEARD_WINDOW_S", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
HEARD_WINDOW_S = 3 * 3600
"""A device counts as heard when its last frame is at most this old [s] (three report periods
of the manual's hourly MDT reports)."""
_CHANNELS = ("mqtt", "webhook")
_BATCH_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The metrics of one head-end process.

    ``ingest``: the running ``Ingest`` (its ``stats``), or None for store gauges only.
    ``clock``: now [UTC epoch s] for ``openamr_devices_heard``.
    """

    def __init__(self, store: MetricsStore, ingest: Any | None = None, *,
                 clock: Callable[[], float] = time.time,
                 heard_window_s: int = HEARD_WINDOW_S) -> None:
        self.store = store
        self.ingest = ingest
        self.clock = clock
        self.heard_window_s = heard_window_s
        self.registry = CollectorRegistry(auto_describe=False)
        self.batch_seconds = Histogram(
            "openamr_ingest_batch_seconds", "Time to verify, store and commit one batch [s]",
            buckets=_BATCH_BUCKETS_S, registry=self.registry)
        self.registry.register(_Collector(self))

    def observe_batch(self, seconds: float, frames: int) -> None:
        """Called by the frame listener after each committed batch."""
        self.batch_seconds.observe(seconds)

    def render(self) -> bytes:
        """The exposition text of every metric."""
        return bytes(generate_latest(self.registry))


class _Collector(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        stats = getattr(m.ingest, "stats", None)
        if stats is not None:
            frames = CounterMetricFamily("openamr_ingest_frames", "Frames received by outcome",
                                         labels=["outcome"])
            frames.add_metric(["accepted"], stats.frames_accepted)
            frames.add_metric(["refused"], max(stats.frames - stats.frames_accepted, 0))
            yield frames
            readings = CounterMetricFamily("openamr_ingest_readings",
                                           "Interval readings by outcome", labels=["outcome"])
            readings.add_metric(["stored"], stats.readings_stored)
            readings.add_metric(["duplicate"], stats.readings_duplicate)
            yield readings
            rejections = CounterMetricFamily("openamr_ingest_rejections",
                                             "Rejected items by reason", labels=["reason"])
            for reason, n in sorted(dict(stats.rejected).items()):
                rejections.add_metric([reason], n)
            yield rejections
            yield CounterMetricFamily("openamr_ingest_batches", "Committed batches",
                                      value=stats.batches)
        store = m.store
        depth = GaugeMetricFamily("openamr_outbox_depth", "Push items waiting per channel",
                                  labels=["channel"])
        for channel in _CHANNELS:
            depth.add_metric([channel], store.outbox_depth(channel))
        yield depth
        alarms = GaugeMetricFamily("openamr_alarms_active", "Alarms not cleared, by state",
                                   labels=["state"])
        for state in ("open", "acknowledged"):
            alarms.add_metric([state], len(store.list_alarms(state=state, limit=1_000_000)))
        yield alarms
        yield GaugeMetricFamily("openamr_devices", "Registered devices",
                                value=len(store.list_devices()))
        since = m.clock() - m.heard_window_s
        heard = sum(1 for s in store.list_device_status() if s.last_heard_s >= since)
        yield GaugeMetricFamily("openamr_devices_heard",
                                f"Devices heard in the last {m.heard_window_s} s", value=heard)
