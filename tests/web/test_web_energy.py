"""The energy page: a site's and a meter's report, its charts' data and downloads."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from web_seed import WebClient, web_client

from openamr.headend.store import Store
from openamr.web.session import COOKIE


@pytest.fixture
def client(app: Any) -> Iterator[WebClient]:
    yield from web_client(app)


def test_a_site_report_with_its_charts_data(client: WebClient, store: Store,
                                            tokens: dict[str, str]) -> None:
    client.cookies.set(COOKIE, tokens["read-only"])
    site = store.list_sites()[0].site_id
    assert client.get("/energy").status_code == 200
    r = client.get(f"/energy?site={site}&kind=site&from=2026-01-01&to=2026-01-03")
    assert r.status_code == 200, r.text[-600:]
    blob = re.search(r'<script type="application/json" id="energy-data">(.*?)</script>', r.text,
                     re.S)
    assert blob is not None
    data = json.loads(blob.group(1))
    total = sum(float(store.get_intervals(m.meter_id, site_id=site).energy_wh.sum())
                for m in store.list_meters(site))
    stored_in_range = sum(row["energy_wh"] or 0.0 for row in data["daily"])
    assert 0 < stored_in_range <= total + 1e-6
    assert len(data["load_profile"]["hours"]) == 24
    csv = client.get(f"/energy.csv?site={site}&kind=site&from=2026-01-01&to=2026-01-03")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    doc = client.get(f"/energy.json?site={site}&kind=meter&id=M-01&from=2026-01-01"
                     "&to=2026-01-03").json()
    assert doc["subject"]["meter_ids"] == ["M-01"]


def test_bad_queries_are_explained(client: WebClient, store: Store,
                                   tokens: dict[str, str]) -> None:
    client.cookies.set(COOKIE, tokens["admin"])
    site = store.list_sites()[0].site_id
    r = client.get(f"/energy?site={site}&kind=meter&id=NOPE&from=2026-01-01&to=2026-01-03")
    assert r.status_code == 400
    assert "unknown meter" in r.text
    r = client.get(f"/energy?site={site}&kind=site&from=2026-01-05&to=2026-01-03")
    assert r.status_code == 400
    r = client.get(f"/energy?site={site}&kind=site&from=yesterday&to=2026-01-03")
    assert r.status_code == 400
    assert "expected a date" in r.text
    assert client.get(f"/energy.xml?site={site}").status_code == 404
