"""Operations: Prometheus ``/metrics`` and the logs of ingest rejections, alarms and push.

The metrics are read back with prometheus-client's own parser.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_ingest_fakes import T0, make_site

from openamr.frames import Event, EventKind
from openamr.headend.alarms import AlarmRules
from openamr.headend.ingest import Ingest
from openamr.headend.logs import JsonFormatter, configure_logging
from openamr.headend.metrics import Metrics
from openamr.headend.settings import Settings
from openamr.headend.store import Store, open_store

NOW = T0 + 3600


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(str(tmp_path / "h.db")) as opened:
        yield opened


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_count_ingest_outcomes_alarms_and_devices(store: Store) -> None:
    dev = make_site(store, 2)[0]
    ingest = Ingest(store, dcap_id=0xD1)
    alarms = AlarmRules(store, Settings())
    ingest.subscribe(alarms.on_stored)
    metrics = Metrics(store, ingest, clock=lambda: NOW)
    key = ingest.network_key
    ingest.handle(dev.intervals(key, 0, [T0, T0 + 900], [10, 20]), NOW)
    ingest.handle(dev.intervals(key, 0, [T0, T0 + 900], [10, 20]), NOW)  # resent: duplicates
    ingest.handle(b"\x00" * 5, NOW)  # malformed
    ingest.handle(dev.seal(Event(EventKind.TAMPER_COVER_REMOVED, NOW - 60, 0), key), NOW)
    metrics.observe_batch(0.02, 3)
    s = _samples(metrics.render().decode())
    assert s[("openamr_ingest_frames_total", (("outcome", "accepted"),))] == 3
    assert s[("openamr_ingest_frames_total", (("outcome", "refused"),))] == 1
    assert s[("openamr_ingest_readings_total", (("outcome", "stored"),))] == 2
    assert s[("openamr_ingest_readings_total", (("outcome", "duplicate"),))] == 2
    assert s[("openamr_ingest_rejections_total", (("reason", "malformed"),))] == 1
    assert s[("openamr_ingest_batch_seconds_count", ())] == 1
    assert s[("openamr_alarms_active", (("state", "open"),))] == 1
    assert s[("openamr_outbox_depth", (("channel", "mqtt"),))] == 0
    assert s[("openamr_devices", ())] == 2
    assert s[("openamr_devices_heard", ())] == 1


def test_the_api_serves_metrics_without_a_token(store: Store) -> None:
    import anyio.from_thread
    import httpx

    from openamr.headend.api import create_app

    app = create_app(store, Settings(), freeze_gc=False)

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/metrics")

    with anyio.from_thread.start_blocking_portal() as portal:
        answer = portal.call(get)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert ("openamr_devices", ()) in _samples(answer.text)


def test_rejections_alarms_are_logged(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    import asyncio

    from openamr.headend.listener import FrameListener, _Received

    dev = make_site(store, 1)[0]
    ingest = Ingest(store, dcap_id=0xD1, clock=lambda: NOW)
    alarms = AlarmRules(store, Settings())
    ingest.subscribe(alarms.on_stored)
    key = ingest.network_key
    frames = [dev.intervals(key, 0, [T0], [10]), b"\x01" * 9,
              dev.seal(Event(EventKind.TAMPER_COVER_REMOVED, NOW - 60, 0), key),
              dev.intervals(key, 1, [T0 + 40 * 86_400], [10])]

    async def run() -> None:
        listener = FrameListener(ingest, commit_interval_ms=1)
        for frame in frames:
            listener.submit(_Received(frame, lambda _b: None, "test"))
        await listener.flush()

    with caplog.at_level(logging.INFO):
        asyncio.run(run())
    text = caplog.text
    assert "rejected: malformed=1, time_out_of_range=1" in text
    assert "alarm raised: alarm.tamper" in text
    caplog.clear()
    with caplog.at_level(logging.INFO):
        ingest.handle(dev.seal(Event(EventKind.TAMPER_COVER_REPLACED, NOW - 30, 0), key), NOW)
    assert "alarm cleared: alarm.tamper" in caplog.text


def test_json_log_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("warning", "json")
    try:
        logging.getLogger("openamr.test").warning("store %s lost", "x")
        logging.getLogger("openamr.test").info("not shown")
    finally:
        configure_logging("warning", "text")
        logging.getLogger().handlers.clear()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines == [{"t": lines[0]["t"], "level": "warning", "logger": "openamr.test",
                      "message": "store x lost"}]
    assert isinstance(JsonFormatter().format(logging.makeLogRecord({"msg": "m"})), str)


def test_quiet_alarm_rules_log_transitions_at_debug(store: Store,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """``AlarmRules(quiet=True)`` (the simulated head-end of ``sim run``, which counts the
    alarms in its summary) keeps its transitions out of INFO and WARNING logs."""
    alarms = AlarmRules(store, Settings(), quiet=True)
    with caplog.at_level(logging.INFO):
        assert alarms.raise_("alarm.tamper", "00000000000000d1", None, NOW)
        assert alarms.clear("alarm.tamper", "00000000000000d1", None, NOW + 60)
    assert "alarm" not in caplog.text
    with caplog.at_level(logging.DEBUG, logger="openamr.headend.alarms"):
        assert alarms.raise_("alarm.tamper", "00000000000000d1", None, NOW + 120)
    assert "alarm raised: alarm.tamper" in caplog.text
