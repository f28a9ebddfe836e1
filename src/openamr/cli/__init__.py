"""The ``openamr`` command: composes the rooms of the house.

Each command group lives in its own module of this package (``openamr.cli.meter`` ...) and is
imported only when it is used, so ``openamr meter ...`` does not pay for the web server's
imports.  The CLI is the only place where the field model and the head-end meet (``sim run``).

Exit status: 0 on success, 2 for bad input (usage errors and :class:`~openamr.errors.InputError`),
1 for anything else.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from openamr import __version__
from openamr.errors import InputError

__all__ = ["main"]

#: command name -> "module:attribute" of a click command or group
_COMMANDS: dict[str, str] = {
    "meter": "openamr.cli.meter:meter",
    "site": "openamr.cli.site:site",
    "sim": "openamr.cli.sim:sim",
    "serve": "openamr.cli.serve:serve",
    "import": "openamr.cli.importing:import_",
    "export": "openamr.cli.export:export",
    "token": "openamr.cli.token:token",
    "bill": "openamr.cli.bill:bill",
    "cit": "openamr.cli.cit:cit",
    "demo": "openamr.cli.demo:demo",
    "bench": "openamr.cli.bench:bench",
}


class InputErrorExit(click.ClickException):
    """An :class:`InputError` shown to the user, exit status 2."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message


class _LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use; missing modules are not listed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in _COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = _COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        command: click.Command = getattr(module, attr)
        return command

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
