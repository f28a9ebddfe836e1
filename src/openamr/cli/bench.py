"""``openamr bench``: run the benchmarks of a source checkout and report ratios against their
same-run baselines.

The benchmarks live in the repository's ``bench/`` folder beside ``src/`` (they are developer
tools, not part of an installed wheel); this command finds that folder from the installed
package (an editable install, as ``make test`` makes) or from the current directory.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import click

from openamr.errors import InputError

__all__ = ["bench"]


def _bench_package() -> ModuleType:
    """The repository's ``bench`` package, imported from the checkout that holds it."""
    import openamr

    candidates = [Path(openamr.__file__).resolve().parents[2], Path.cwd()]
    for root in candidates:
        if (root / "bench" / "__main__.py").is_file() and (root / "src" / "openamr").is_dir():
            if str(root) not in sys.path:
                sys.path.insert(0, str(root))
            return importlib.import_module("bench.__main__")
    raise InputError("the benchmarks are part of a source checkout (bench/ beside src/); none "
                     "was found beside the installed package or in the current directory",
                     where="openamr bench")


@click.command()
@click.argument("names", nargs=-1)
@click.option("--quick", is_flag=True, help="Smaller workloads: a smoke run of every figure.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON list of {name, value, unit, baseline, ratio, goal, met}.")
def bench(names: tuple[str, ...], quick: bool, as_json: bool) -> None:
    """Run the benchmarks (all, or NAMES such as meter, sim, ingest) and print each figure,
    its same-run baseline, the ratio and the goal."""
    runner = _bench_package()
    argv = [*names, *(["--quick"] if quick else []), *(["--json"] if as_json else [])]
    status = runner.main(argv)  # it has said what was wrong
    if status:
        raise click.exceptions.Exit(status)
