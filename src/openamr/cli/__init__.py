"""The ``openamr`` command: composes the rooms of the house.

Each command group lives in its own module of this package (``openamr.cli.meter`` ...), named in
:data:`_COMMANDS` (one line per command).  A module is imported when its command is used (so
``openamr meter ...`` does not pay for the web server's imports) or listed (``--help``); a
registered module that is missing or fails to import is an error that names it, never a command
that silently disappears (``tests/test_cli.py`` imports every one).  The CLI is the only place
where the field model and the head-end meet (``sim run``).

Exit status: 0 on success, 2 for bad input (usage errors and :class:`~openamr.errors.InputError`),
1 for anything else.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from openamr import __version__
from openamr.errors import InputError, StaleExtensionError

__all__ = ["COMMANDS", "load_command", "main"]

#: command name -> "module:attribute" of a click command or group (one line per command)
_COMMANDS: dict[str, str] = {
    "backup": "openamr.cli.backup:backup",
    "bench": "openamr.cli.bench:bench",
    "bill": "openamr.cli.bill:bill",
    "cit": "openamr.cli.cit:cit",
    "demo": "openamr.cli.demo:demo",
    "device": "openamr.cli.device:device",
    "export": "openamr.cli.export:export",
    "import": "openamr.cli.importing:import_",
    "ingest-worker": "openamr.cli.ingest_worker:ingest_worker",
    "mdt": "openamr.cli.mdt:mdt",
    "meter": "openamr.cli.meter:meter",
    "partitions": "openamr.cli.partitions:partitions",
    "portfolio": "openamr.cli.portfolio:portfolio",
    "report": "openamr.cli.report:report",
    "serve": "openamr.cli.serve:serve",
    "sim": "openamr.cli.sim:sim",
    "site": "openamr.cli.site_provision:site",  # the site group, with add and import
    "tariff": "openamr.cli.tariff:tariff",
    "token": "openamr.cli.token:token",
    "vee": "openamr.cli.vee:vee",
}
COMMANDS = _COMMANDS


class InputErrorExit(click.ClickException):
    """An :class:`InputError` shown to the user, exit status 2."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message


class _LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use; a broken one fails loudly."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            raise InputErrorExit(str(exc)) from exc


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openamr")
def main() -> None:
    """openamr: automatic meter reading for electricity submetering.

    A digital twin of the field (meter, transceiver, wireless mesh) and the DCAP head-end
    (ingest, storage, API, push, exports).
    """


def load_command(name: str) -> click.Command | None:
    """The command registered as ``name`` (None if no such name).  A registered module that is
    missing or fails to import raises, naming the module: the CLI never hides a command."""
    target = _COMMANDS.get(name)
    if target is None:
        return None
    module_name, attr = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except StaleExtensionError as exc:  # a checkout's compiled simulator needs rebuilding
        raise click.ClickException(str(exc)) from None
    except ImportError as exc:
        raise RuntimeError(f"openamr {name}: its module {module_name} cannot be imported "
                           f"({exc}); the installation is broken") from exc
    command = getattr(module, attr, None)
    if not isinstance(command, click.Command):
        raise RuntimeError(f"openamr {name}: {target} is not a click command")
    return command
