"""The compiled simulator (``make compile``): the guard against stale extensions, and, in the
compiled run of CI (``OPENAMR_EXPECT_COMPILED=1``), that every module ``setup.py`` lists really
runs compiled.  That the compiled build computes what the Python one does is held by the golden
site-day (``tests/field/sim/test_sim_golden.py``) and the rest of the suite, run in both builds."""

from __future__ import annotations

import ast
import importlib
import os
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from openamr.field.compiled import (
    StaleExtensionError,
    check_fresh,
    compiled_modules,
    stale_extensions,
)

REPO = Path(__file__).resolve().parents[2]


def _listed_modules() -> list[str]:
    """``COMPILED_MODULES`` of ``setup.py``, as module names."""
    tree = ast.parse((REPO / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "COMPILED_MODULES"):
            paths: list[str] = ast.literal_eval(node.value)
            return [p.removesuffix(".py").replace("/", ".") for p in paths]
    raise AssertionError("setup.py has no COMPILED_MODULES")


def _tree(tmp_path: Path, ext_newer: bool) -> tuple[Path, Path]:
    checkout = tmp_path / "checkout"
    pkg = checkout / "src" / "pkg"
    pkg.mkdir(parents=True)
    (checkout / "setup.py").write_text("", encoding="utf-8")
    source, ext = pkg / "network.py", pkg / f"network{EXTENSION_SUFFIXES[0]}"
    source.write_text("", encoding="utf-8")
    ext.write_bytes(b"")
    (pkg / "other.py").write_text("", encoding="utf-8")  # no extension: never stale
    old, new = 1_700_000_000, 1_700_000_100
    os.utime(source, (old, new if not ext_newer else old))
    os.utime(ext, (old, old if not ext_newer else new))
    return checkout, pkg


def test_an_extension_built_after_its_source_is_fresh(tmp_path: Path) -> None:
    checkout, pkg = _tree(tmp_path, ext_newer=True)
    assert stale_extensions(pkg) == []
    check_fresh(pkg, checkout)


def test_a_source_edited_after_the_build_is_refused_with_what_to_do(tmp_path: Path) -> None:
    checkout, pkg = _tree(tmp_path, ext_newer=False)
    assert stale_extensions(pkg) == [pkg / "network.py"]
    with pytest.raises(StaleExtensionError, match=r"src/pkg/network\.py.*make compile"):
        check_fresh(pkg, checkout)


def test_an_installed_package_is_not_checked(tmp_path: Path) -> None:
    checkout, pkg = _tree(tmp_path, ext_newer=False)
    (checkout / "setup.py").unlink()
    check_fresh(pkg, checkout)  # no setup.py above it: not a source checkout


def test_the_listed_modules_exist_and_the_build_is_what_ci_expects() -> None:
    listed = _listed_modules()
    for name in listed:
        importlib.import_module(name)
    running = set(compiled_modules())
    if os.environ.get("OPENAMR_EXPECT_COMPILED") == "1":
        assert set(listed) <= running, f"not compiled: {sorted(set(listed) - running)}"
    else:
        assert running <= set(listed), f"compiled but not listed: {sorted(running - set(listed))}"


def test_the_cli_names_a_stale_build_without_a_traceback(monkeypatch: pytest.MonkeyPatch,
                                                          ) -> None:
    from click.testing import CliRunner

    from openamr import cli

    message = ("compiled modules are older than their sources (src/openamr/field/mesh/"
               "network.py): run `make compile` again, or `make clean-compiled` to run the pure "
               "Python modules")

    def stale(name: str) -> object:
        raise StaleExtensionError(message)

    monkeypatch.setattr(cli.importlib, "import_module", stale)
    result = CliRunner().invoke(cli.main, ["sim", "run", "--help"])
    assert result.exit_code == 1
    assert result.output == f"Error: {message}\n"
