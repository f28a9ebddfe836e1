"""Meter data through the API: intervals (JSON, CSV, pagination), roll-ups across DST, registers."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from api_seed import DATA_END_S, DATA_START_S, GAP_START_S, LA, ApiClient

from openamr.timeutil import epoch_s, format_utc

URL = "/api/v1/meters/m-1"
Headers = dict[str, dict[str, str]]


def test_intervals_have_exactly_the_agreed_shape(client: ApiClient, headers: Headers) -> None:
    r = client.get(f"{URL}/intervals", headers=headers["admin"],
                   params={"start": "2026-03-08T00:00:00-08:00", "end": "2026-03-08T09:00:00Z"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["meter_id"] == "m-1"
    assert body["site_timezone"] == "America/Los_Angeles"
    assert body["next"] is None
    assert body["intervals"] == [
        {"start": f"2026-03-08T08:{m:02d}:00Z", "energy_wh": 10.0, "quality": "measured"}
        for m in (0, 15, 30, 45)
    ]


def test_intervals_are_half_open_and_accept_any_offset(client: ApiClient,
                                                       headers: Headers) -> None:
    # [00:15, 00:45) local = two intervals, whichever way the instants are written
    for start, end in [("2026-03-08T00:15:00-08:00", "2026-03-08T00:45:00-08:00"),
                       ("2026-03-08T08:15:00Z", "2026-03-08T08:45:00+00:00"),
                       ("2026-03-08T13:45:00+05:30", "2026-03-08T14:15:00+05:30")]:
        r = client.get(f"{URL}/intervals", headers=headers["billing"],
                       params={"start": start, "end": end})
        assert [i["start"] for i in r.json()["intervals"]] == ["2026-03-08T08:15:00Z",
                                                              "2026-03-08T08:30:00Z"]


def test_intervals_page_with_next_link_until_done(client: ApiClient, headers: Headers) -> None:
    url: str | None = (f"{URL}/intervals?start=2026-03-08T00:00:00-08:00"
                        "&end=2026-03-09T00:00:00-07:00&limit=40")
    seen: list[str] = []
    pages = 0
    while url:
        r = client.get(url, headers=headers["admin"])
        assert r.status_code == 200
        body = r.json()
        seen += [i["start"] for i in body["intervals"]]
        url = body["next"]
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 92  # the spring-forward day


def test_intervals_csv_by_format_or_accept(client: ApiClient, headers: Headers) -> None:
    params = {"start": "2026-03-10T11:45:00-07:00", "end": "2026-03-10T13:30:00-07:00"}
    by_format = client.get(f"{URL}/intervals", headers=headers["billing"],
                           params={**params, "format": "csv"})
    by_accept = client.get(f"{URL}/intervals", params=params,
                           headers={**headers["billing"], "Accept": "text/csv"})
    assert by_format.status_code == by_accept.status_code == 200
    assert by_format.headers["content-type"].startswith("text/csv")
    assert by_format.content == by_accept.content
    rows = list(csv.DictReader(io.StringIO(by_format.text)))
    gap = format_utc(GAP_START_S)
    assert [r["start"] for r in rows] == [format_utc(epoch_s(datetime(2026, 3, 10, 11, 45,
                                                                       tzinfo=LA))),
                                          format_utc(GAP_START_S + 3600),
                                          format_utc(GAP_START_S + 4500)]
    assert gap not in by_format.text
    assert rows[0] == {"meter_id": "m-1", "start": rows[0]["start"], "energy_wh": "10.0",
                       "quality": "measured"}


def test_a_whole_range_without_bounds_is_served(client: ApiClient, headers: Headers) -> None:
    body = client.get(f"{URL}/intervals", headers=headers["read-only"]).json()
    assert len(body["intervals"]) == (DATA_END_S - DATA_START_S) // 900 - 4
    assert body["next"] is None


@pytest.mark.parametrize(("day", "expected"), [("2026-03-08", 92), ("2026-03-09", 96),
                                               ("2026-11-01", 100)])
def test_daily_rollup_counts_quarter_hours_of_the_local_day(client: ApiClient, headers: Headers,
                                                            day: str, expected: int) -> None:
    start = datetime.fromisoformat(day).replace(tzinfo=LA)
    r = client.get(f"{URL}/rollup", headers=headers["read-only"],
                   params={"period": "daily", "start": start.isoformat(),
                           "end": format_utc(epoch_s(start) + 3600)})
    assert r.status_code == 200
    (bucket,) = r.json()["buckets"]
    assert bucket["local_start"].startswith(day + "T00:00:00")
    assert bucket["intervals_expected"] == bucket["intervals_present"] == expected
    assert bucket["energy_wh"] == 10.0 * expected


def test_hourly_rollup_repeats_the_fall_back_hour(client: ApiClient, headers: Headers) -> None:
    body = client.get(f"{URL}/rollup", headers=headers["admin"],
                      params={"period": "hourly", "start": "2026-11-01T00:00:00-07:00",
                              "end": "2026-11-02T00:00:00-08:00"}).json()
    locals_ = [b["local_start"] for b in body["buckets"]]
    assert len(locals_) == 25
    assert locals_[1:3] == ["2026-11-01T01:00:00-07:00", "2026-11-01T01:00:00-08:00"]
    assert all(b["intervals_expected"] == 4 for b in body["buckets"])


def test_rollup_shows_the_gap(client: ApiClient, headers: Headers) -> None:
    body = client.get(f"{URL}/rollup", headers=headers["admin"],
                      params={"period": "daily", "start": "2026-03-10T00:00:00-07:00",
                              "end": "2026-03-10T23:00:00-07:00"}).json()
    (bucket,) = body["buckets"]
    assert (bucket["intervals_expected"], bucket["intervals_present"]) == (96, 92)
    assert bucket["energy_wh"] == 920.0


def test_monthly_rollup_of_the_data(client: ApiClient, headers: Headers) -> None:
    body = client.get(f"{URL}/rollup", headers=headers["billing"],
                      params={"period": "monthly", "start": "2026-03-01T00:00:00-08:00",
                              "end": "2026-12-01T00:00:00-08:00", "format": "json"}).json()
    buckets = body["buckets"]
    assert [b["local_start"][:7] for b in buckets] == [f"2026-{m:02d}" for m in range(3, 12)]
    assert buckets[0]["intervals_expected"] == 31 * 96 - 4  # March loses an hour
    assert buckets[-1]["intervals_expected"] == 30 * 96 + 4  # November gains one
    assert sum(b["intervals_present"] for b in buckets) == (DATA_END_S - DATA_START_S) // 900 - 4


def test_rollup_csv(client: ApiClient, headers: Headers) -> None:
    r = client.get(f"{URL}/rollup", headers=headers["billing"],
                   params={"period": "daily", "start": "2026-03-08T00:00:00-08:00",
                           "end": "2026-03-09T00:00:00-07:00", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows[0]["intervals_expected"] == "92"


def test_registers(client: ApiClient, headers: Headers) -> None:
    body = client.get(f"{URL}/registers", headers=headers["read-only"]).json()
    assert [r["t"] for r in body["reads"]] == [format_utc(DATA_START_S), format_utc(DATA_END_S)]
    assert body["reads"][0]["register_wh"] == 1000.0
    page = client.get(f"{URL}/registers", headers=headers["read-only"],
                      params={"limit": 1}).json()
    assert len(page["reads"]) == 1
    assert "start=" in page["next"]
    csv_text = client.get(f"{URL}/registers", headers=headers["billing"],
                          params={"format": "csv"}).text
    assert csv_text.splitlines()[0] == "meter_id,t,register_wh"


@pytest.mark.parametrize("limit", [1, 3, 8, 50])
def test_pages_across_a_gap_add_up_to_the_whole(client: ApiClient, headers: Headers,
                                                limit: int) -> None:
    params = "start=2026-03-10T10:00:00-07:00&end=2026-03-10T16:00:00-07:00"
    whole = client.get(f"{URL}/intervals?{params}", headers=headers["admin"]).json()
    url: str | None = f"{URL}/intervals?{params}&limit={limit}"
    paged: list[dict[str, object]] = []
    while url:
        body = client.get(url, headers=headers["admin"]).json()
        assert len(body["intervals"]) <= limit
        paged += body["intervals"]
        url = body["next"]
    assert paged == whole["intervals"]
    assert len(paged) == 6 * 4 - 4
