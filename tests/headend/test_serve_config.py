"""``openamr serve`` refuses bad settings before it binds anything (exit status 2)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from openamr.cli import main


def test_unknown_setting_exits_2_with_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "openamr.toml"
    cfg.write_text("[ingest]\ncommit_interval = 5\n")
    result = CliRunner().invoke(main, ["serve", "--config", str(cfg)])
    assert result.exit_code == 2
    assert "[ingest] commit_interval" in result.output
    assert "unknown setting" in result.output


def test_bad_port_option_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "x.db"), "--udp-port",
                                       "70000"])
    assert result.exit_code == 2
    assert "[listener] udp_port" in result.output
