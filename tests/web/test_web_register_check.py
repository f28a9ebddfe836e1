"""The register check: the LCD against the MDT's total, and the 100 Wh terminal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.web.register_check import check_register


def test_a_match() -> None:
    r = check_register(123.4, 123_350.0)
    assert r.ok
    assert r.code == "register.match"


def test_the_100_wh_terminal_gives_a_tenth() -> None:
    r = check_register(1234.0, 123_400.0)
    assert not r.ok
    assert r.code == "wiring.pulse_terminal_100"
    assert r.ratio == pytest.approx(0.1)
    assert "terminal 10" in r.message


def test_the_1000_wh_terminal_gives_a_hundredth() -> None:
    assert check_register(5000.0, 50_000.0).code == "wiring.pulse_terminal_1000"


def test_the_reading_at_installation_is_subtracted() -> None:
    assert check_register(10_150.0, 150_000.0, lcd_at_install_kwh=10_000.0).ok


def test_a_mismatch_and_no_reads() -> None:
    assert check_register(100.0, 50_000.0).code == "register.mismatch"
    assert check_register(100.0, None).code == "register.no_reads"


@pytest.mark.parametrize(("lcd", "base"), [(-1.0, 0.0), (float("nan"), 0.0), (5.0, 6.0)])
def test_bad_readings_are_refused(lcd: float, base: float) -> None:
    with pytest.raises(InputError):
        check_register(lcd, 1000.0, base)


@given(kwh=st.floats(2.0, 1e6), error=st.floats(-0.02, 0.02))
def test_any_tenth_is_flagged_and_any_close_total_matches(kwh: float, error: float) -> None:
    assert check_register(kwh, kwh * 1000 * (1 + error)).ok
    assert check_register(kwh, kwh * 100 * (1 + error)).code == "wiring.pulse_terminal_100"
