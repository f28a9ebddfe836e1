"""Run the benchmarks: ``python -m bench [NAME ...] [--quick] [--json]`` (also ``openamr bench``).

Each ``bench/bench_*.py`` module has ``main(quick: bool = False) -> list[Result]``: it prints its
own detail lines as it goes and returns its figures.  At the end a table lists every figure,
its same-run baseline, the ratio and the goal; ``--json`` prints that list as JSON instead
(the detail lines then go to standard error).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import pkgutil
import sys
from pathlib import Path

from bench.timing import Result

__all__ = ["available", "main", "run"]


def available() -> list[str]:
    """The benchmark names (``meter``, ``sim`` ...), sorted."""
    here = Path(__file__).parent
    return sorted(m.name.removeprefix("bench_") for m in pkgutil.iter_modules([str(here)])
                  if m.name.startswith("bench_"))


def run(names: list[str], *, quick: bool = False) -> list[Result]:
    """Run the named benchmarks (all when empty) and return their results, in order.

    Raises ``ValueError`` naming unknown benchmarks.
    """
    known = available()
    wanted = [n.removeprefix("bench_") for n in names] or known
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise ValueError(f"unknown benchmark(s): {', '.join(unknown)}; "
                         f"available: {', '.join(known)}")
    results: list[Result] = []
    for name in wanted:
        print(f"== {name} ==", flush=True)
        results.extend(importlib.import_module(f"bench.bench_{name}").main(quick=quick))
    return results


def table(results: list[Result]) -> str:
    """The results as a plain-text table."""
    rows = [("benchmark", "value", "baseline", "ratio", "goal", "met")]
    for r in results:
        goal = "-" if r.goal is None else f"<= {r.goal:g}"
        met = {None: "-", True: "yes", False: "NO"}[r.met]
        rows.append((r.name, f"{r.value:,.4g} {r.unit}", f"{r.baseline:,.4g} {r.unit}",
                     f"{r.ratio:.2f}", goal, met))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                     for row in rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all: "
                                                 f"{', '.join(available())})")
    parser.add_argument("--quick", action="store_true", help="smaller workloads (a smoke run)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    out = contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext()
    try:
        with out:
            results = run(args.names, quick=args.quick)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        print("\n" + table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
