"""Load profiles: steps, CSV reading and refusal of malformed files (file and line named)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openamr.errors import InputError
from openamr.field.meter.profile import LoadProfile, ProfileError, read_profile_csv


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "loads.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_constant_profile_steps() -> None:
    steps = LoadProfile.constant(200.0, 100.0, 0.8).steps(180.0)
    assert steps.t_s.tolist() == [0.0, 180.0]
    assert steps.l1_w.tolist() == [200.0]
    assert steps.l2_w.tolist() == [100.0]
    assert steps.pf1.tolist() == steps.pf2.tolist() == [0.8]


def test_steps_cut_to_duration_and_zero_before_first_row() -> None:
    profile = LoadProfile.from_steps([10.0, 60.0, 120.0], [100.0, 200.0, 300.0], 0.0)
    steps = profile.steps(100.0)
    assert steps.t_s.tolist() == [0.0, 10.0, 60.0, 100.0]
    assert steps.l1_w.tolist() == [0.0, 100.0, 200.0]
    assert steps.length_s.tolist() == [10.0, 50.0, 40.0]


def test_read_csv_with_and_without_pf(tmp_path: Path) -> None:
    path = _write(tmp_path, "t_s,l1_w,l2_w\n0,1200,1200\n600,0,0\n")
    profile = read_profile_csv(path)
    assert profile.t_s.tolist() == [0.0, 600.0]
    assert profile.pf1.tolist() == [1.0, 1.0]
    path = _write(tmp_path, "t_s,l1_w,l2_w,pf1,pf2\n0,1200,1200,0.5,-0.9\n\n")
    profile = read_profile_csv(path)
    assert profile.pf1.tolist() == [0.5]
    assert profile.pf2.tolist() == [-0.9]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("t_s,l1_w,l2_w\n0,100,100\n60,abc,1\n", 3, "not a number"),
        ("t_s,l1_w,l2_w\n0,100,100\n60,1\n", 3, "expected 3 values"),
        ("t_s,l1_w\n0,100\n", 1, "missing column"),
        ("t_s,l1_w,l2_w,volts\n0,1,1,1\n", 1, "unknown column"),
        ("t_s,l1_w,l2_w\n0,100,100\n120,1,1\n60,1,1\n", 4, "unsorted"),
        ("t_s,l1_w,l2_w\n0,100,100\n0,1,1\n", 3, "duplicate"),
        ("t_s,l1_w,l2_w\n-5,100,100\n", 2, "negative"),
        ("t_s,l1_w,l2_w,pf1,pf2\n0,100,100,1.0,0.4\n", 2, "power factor"),
        ("t_s,l1_w,l2_w,pf1,pf2\n0,100,100,1.2,1.0\n", 2, "power factor"),
        ("t_s,l1_w,l2_w\n0,nan,100\n", 2, "finite"),
    ],
)
def test_malformed_csv_names_file_and_line(tmp_path: Path, text: str, line: int,
                                           fragment: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_profile_csv(path)
    message = str(info.value)
    assert f"{path}:{line}" in message
    assert fragment in message


def test_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no data rows"):
        read_profile_csv(_write(tmp_path, "t_s,l1_w,l2_w\n"))
    with pytest.raises(ProfileError, match="empty file"):
        read_profile_csv(_write(tmp_path, ""))
    with pytest.raises(ProfileError, match="no such file"):
        read_profile_csv(tmp_path / "absent.csv")


def test_profile_object_validation() -> None:
    with pytest.raises(ProfileError, match="strictly increasing"):
        LoadProfile.from_steps([0.0, 0.0], [1.0, 2.0], 0.0)
    with pytest.raises(ProfileError, match="power factor"):
        LoadProfile.constant(100.0, pf1=0.3)
    with pytest.raises(ProfileError, match="duration"):
        LoadProfile.constant(100.0).steps(-1.0)
    profile = LoadProfile.constant(100.0)
    assert not profile.l1_w.flags.writeable
    assert np.array_equal(profile.t_s, [0.0])
