import pytest
from click.testing import CliRunner

from openamr import __version__
from openamr.cli import main


def test_version_and_help() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "automatic meter reading" in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["no-such-command"])
    assert result.exit_code == 2


def test_every_registered_command_imports() -> None:
    """Regression: ``bill``, ``cit`` and ``demo`` were registered to modules that did not exist
    and vanished silently; now every name in the table must load."""
    import click

    from openamr.cli import COMMANDS, load_command

    for name in COMMANDS:
        assert isinstance(load_command(name), click.Command), name
    assert load_command("no-such-command") is None


def test_a_missing_module_is_a_loud_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from openamr.cli import COMMANDS, load_command

    monkeypatch.setitem(COMMANDS, "ghost", "openamr.cli.ghost:ghost")
    with pytest.raises(RuntimeError, match=r"openamr\.cli\.ghost cannot be imported"):
        load_command("ghost")
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code != 0
