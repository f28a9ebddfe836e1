"""Reading the UCI household CSV onto a minute grid (openamr.field.uci.parse)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from uci_helpers import (
    ABSENT_DAY,
    ABSENT_MIN,
    COPY_DAY,
    COPY_MIN,
    EMPTY_DAY,
    EMPTY_MIN,
    FIRST_DAY,
    QUESTION_DAY,
    QUESTION_MIN,
    fixture_text,
    values,
)

from openamr.errors import InputError
from openamr.field.uci import HEADER, UciData, read_uci_csv

EPOCH = date(1970, 1, 1)


def _row(data: UciData, day: date, minute: int) -> int:
    return ((day - EPOCH).days - data.first_local_day) * 1440 + minute


def _expected_w(day: date, minute: int) -> list[float]:
    v = values(day, minute)
    return [v[0] * 1000.0, v[4] * 60.0, v[5] * 60.0, v[6] * 60.0]


@pytest.fixture(scope="module")
def data(fixture_csv: Path) -> UciData:
    return read_uci_csv(fixture_csv)


def test_the_grid_covers_whole_days_of_the_wall_clock(data: UciData) -> None:
    assert data.first_local_day == (FIRST_DAY - EPOCH).days
    assert data.days == 35                                  # 2007-03-11 .. 2007-04-14
    assert data.power_w.shape == (35 * 1440, 4)
    assert data.power_w.dtype == np.float32
    i = _row(data, date(2007, 4, 2), 8 * 60 + 15)
    assert data.power_w[i].tolist() == pytest.approx(_expected_w(date(2007, 4, 2), 495))
    assert data.measured[i]


def test_counts_of_rows_read_missing_and_copied(data: UciData) -> None:
    before_first = 17 * 60 + 24                             # the first row is at 17:24
    assert data.rows_read == 35 * 1440 - before_first - len(ABSENT_MIN)
    assert data.rows_missing == (before_first + len(ABSENT_MIN) + len(QUESTION_MIN)
                                 + len(EMPTY_MIN))
    assert data.rows_copied == len(COPY_MIN)
    assert int((~data.measured).sum()) == data.rows_missing + data.rows_copied


@pytest.mark.parametrize(("day", "minutes"), [(QUESTION_DAY, QUESTION_MIN),
                                              (EMPTY_DAY, EMPTY_MIN),
                                              (ABSENT_DAY, ABSENT_MIN),
                                              (COPY_DAY, COPY_MIN)])
def test_missing_minutes_take_the_same_minute_a_week_before(data: UciData, day: date,
                                                            minutes: range) -> None:
    for minute in minutes:
        i = _row(data, day, minute)
        assert not data.measured[i]
        week_before = day - timedelta(days=7)
        assert data.power_w[i].tolist() == pytest.approx(_expected_w(week_before, minute))
    # the minutes around the gap are the file's own
    for minute in (minutes.start - 1, minutes.stop):
        i = _row(data, day, minute)
        assert data.measured[i]
        assert data.power_w[i].tolist() == pytest.approx(_expected_w(day, minute))


def test_minutes_before_the_first_row_take_the_week_after(data: UciData) -> None:
    i = _row(data, FIRST_DAY, 60)
    assert not data.measured[i]
    assert data.power_w[i].tolist() == pytest.approx(
        _expected_w(FIRST_DAY + timedelta(days=7), 60))


def test_the_spring_forward_day_keeps_its_rows_as_stamped(data: UciData) -> None:
    # Europe/Paris skipped 02:00-02:59 on 2007-03-25; the file has the rows, like the real one
    dst = date(2007, 3, 25)
    rows = [_row(data, dst, m) for m in range(120, 180)]
    assert data.measured[rows].all()
    assert data.power_w[rows[0]].tolist() == pytest.approx(_expected_w(dst, 120))
    assert data.day_measured_ratio[(dst - FIRST_DAY).days] == 1.0


def test_copies_are_kept_when_detection_is_off(fixture_csv: Path) -> None:
    plain = read_uci_csv(fixture_csv, detect_copies=False)
    assert plain.rows_copied == 0
    i = _row(plain, COPY_DAY, COPY_MIN.start)
    assert plain.measured[i]
    assert plain.power_w[i].tolist() == pytest.approx(
        _expected_w(COPY_DAY - timedelta(days=1), COPY_MIN.start))


def test_legs_add_up_to_the_global_power_and_follow_the_sub_meterings(data: UciData) -> None:
    legs = data.legs_w.astype(np.float64)
    p = data.power_w.astype(np.float64)
    assert (legs >= 0).all()
    assert np.allclose(legs.sum(axis=0), p[:, 0], rtol=1e-6, atol=1e-3)
    rest = p[:, 0] - p[:, 1:].sum(axis=1)
    assert (rest >= 0).all()                                # the fixture's subs fit in it
    assert np.allclose(legs[0], p[:, 1] + p[:, 3] / 2 + rest / 2, atol=1e-3)
    assert np.allclose(legs[1], p[:, 2] + p[:, 3] / 2 + rest / 2, atol=1e-3)


def test_sub_meterings_above_the_global_power_are_scaled_down(tmp_path: Path) -> None:
    path = tmp_path / "over.csv"
    path.write_text(f"{HEADER}\n2007-01-01 00:00:00,0.06,0,230,0.2,1.0,1.0,2.0\n")
    data = read_uci_csv(path)
    legs = data.legs_w[:, 0].astype(np.float64)
    # subs 60 + 60 + 120 W exceed 60 W: scaled by 1/4 -> 15, 15, 30; no rest
    assert legs.tolist() == pytest.approx([15 + 15, 15 + 15])


def test_crlf_line_ends_and_no_final_newline_are_read(tmp_path: Path) -> None:
    text = fixture_text().splitlines()[:200]
    path = tmp_path / "crlf.csv"
    path.write_bytes("\r\n".join(text).encode())
    data = read_uci_csv(path)
    assert data.rows_read == 199


@pytest.mark.parametrize(("lines", "where", "message"), [
    (["date,power", "2007-01-01 00:00:00,1"], ":1", "expected the header"),
    ([HEADER, "2007-01-01 00:00:30,1,0,230,1,0,0,0"], ":2", "YYYY-MM-DD HH:MM:00"),
    ([HEADER, "2007-01-01 00:00:00,1,0,230,1,0,0,0", "2007-02-30 00:00:00,1,0,230,1,0,0,0"],
     ":3", "2007-02-30"),
    ([HEADER, "2007-13-01 00:00:00,1,0,230,1,0,0,0"], ":2", "YYYY-MM-DD"),
    ([HEADER, "01/01/2007 00:00:00,1,0,230,1,0,0,0"], ":2", "YYYY-MM-DD"),
    ([HEADER, "2007-01-01 00:01:00,1,0,230,1,0,0,0", "2007-01-01 00:00:00,1,0,230,1,0,0,0"],
     ":3", "not after the row before"),
    ([HEADER, "2007-01-01 00:01:00,1,0,230,1,0,0,0", "2007-01-01 00:01:00,1,0,230,1,0,0,0"],
     ":3", "not after the row before"),
    ([HEADER, "2007-01-01 00:00:00,1,0,230,1,0,0,0", "2007-01-01 00:01:00,abc,0,230,1,0,0,0"],
     ":3", "abc"),
    ([HEADER, "2007-01-01 00:00:00,1,0,230,1,0,0"], "", "columns"),
    ([HEADER, "2007-01-01 00:00:00,1,0,230,1,-1,0,0"], ":2", "negative"),
    ([HEADER], "", "no data rows"),
])
def test_bad_files_are_refused_naming_the_line(tmp_path: Path, lines: list[str], where: str,
                                               message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        read_uci_csv(path)
    assert err.value.where is not None
    assert err.value.where.startswith(str(path) + where)
    assert message in err.value.message


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_uci_csv(tmp_path / "none.csv")
