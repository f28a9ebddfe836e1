"""Settings: defaults, TOML, environment, overrides; unknown keys refused; all documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from openamr.errors import InputError
from openamr.headend.settings import Settings, load_settings

DOCS = Path(__file__).parents[2] / "docs" / "configuration.md"


def test_defaults() -> None:
    s = load_settings(env={})
    assert s == Settings()
    assert s.ingest.commit_interval_ms == 200
    assert s.store.url == "openamr.db"


def test_file_then_env_then_overrides(tmp_path: Path) -> None:
    cfg = tmp_path / "openamr.toml"
    cfg.write_text('[ingest]\ncommit_interval_ms = 500\n[mqtt]\nenabled = true\nport = 1884\n'
                   '[push]\nretry_max_s = 60\n')
    s = load_settings(cfg, env={"OPENAMR_MQTT_PORT": "1885", "OPENAMR_TEST_POSTGRES_DSN": "x",
                                "OPENAMR_WEBHOOK_SECRET": "not a setting"},
                      overrides={"api": {"port": 9000, "host": None}})
    assert s.ingest.commit_interval_ms == 500
    assert s.mqtt.enabled is True
    assert s.mqtt.port == 1885
    assert s.push.retry_max_s == 60.0
    assert s.api.port == 9000
    assert s.api.host == "127.0.0.1"


@pytest.mark.parametrize(("text", "where", "why"), [
    ("[ingest]\ncommit_interval_s = 1\n", "[ingest] commit_interval_s", "unknown setting"),
    ("[nope]\nx = 1\n", "[nope]", "unknown section"),
    ("[api]\nport = 'eighty'\n", "[api] port", "expected an integer"),
    ("[api]\nport = 70000\n", "[api] port", "not a port"),
    ("[mqtt]\nenabled = 'yes please'\n", "[mqtt] enabled", "true or false"),
    ("[ingest]\ndcap_id = 'xyz'\n", "[ingest] dcap_id", "EUI-64"),
    ("not toml ===", "", "not valid TOML"),
])
def test_bad_files_are_refused_with_key_and_reason(tmp_path: Path, text: str, where: str,
                                                  why: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    with pytest.raises(InputError, match=why) as info:
        load_settings(cfg, env={})
    assert where in str(info.value)


def test_bad_environment_is_refused() -> None:
    with pytest.raises(InputError, match=r"\[ingest\] batch_frames"):
        load_settings(env={"OPENAMR_INGEST_BATCH_FRAMES": "5"})
    with pytest.raises(InputError, match="integer"):
        load_settings(env={"OPENAMR_INGEST_COMMIT_INTERVAL_MS": "soon"})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_settings(tmp_path / "none.toml", env={})


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text("utf-8")
    for section, items in Settings().as_dict().items():
        assert f"[{section}]" in text, section
        for name in items:
            assert f"`{name}`" in text, f"[{section}] {name} is not in docs/configuration.md"


def test_durations_and_counts_must_be_positive() -> None:
    """Regression: ``sweep_interval_s = 0`` was accepted and spun a core in ``openamr serve``."""
    from openamr.headend.settings import Settings

    for section, part in Settings().as_dict().items():
        for name, value in part.items():
            if not (name.endswith(("_s", "_ms")) or name in (
                    "max_batch_frames", "seq_horizon_records", "batch_readings",
                    "no_data_report_periods", "max_body_bytes")):
                continue
            bad = [-1, float("nan"), float("inf")] if isinstance(value, float) else [-1]
            if (section, name) != ("ingest", "future_tolerance_s"):
                bad.append(0)
            for v in bad:
                with pytest.raises(InputError, match=rf"\[{section}\] {name}"):
                    load_settings(env={}, overrides={section: {name: v}})
