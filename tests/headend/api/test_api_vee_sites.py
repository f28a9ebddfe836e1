"""VEE through the API with meter ids repeated across sites and tokens scoped to sites."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from api_seed import ApiClient, api_client, bearer

from openamr.headend.auth import issue_token
from openamr.headend.store import IntervalBatch, Meter, Site

NOW_S = 2_000_000_000
T0 = 1_790_000_000 - 1_790_000_000 % 86_400


@pytest.fixture
def scoped(tmp_path: object) -> Iterator[tuple[ApiClient, dict[str, str]]]:
    from openamr.headend.store import open_store

    with open_store(str(tmp_path) + "/sites.db") as store:
        for site in ("s1", "s2"):
            store.upsert_site(Site(site, site, "UTC"))
            store.upsert_meter(Meter("m1", site))
            keep = np.ones(96, dtype=bool)
            keep[40:42] = False  # a short gap at each site
            starts = T0 + 900 * np.arange(96)
            store.put_intervals(IntervalBatch("m1", starts[keep], np.full(94, 5.0),
                                              site_id=site))
        tokens = {"s1": issue_token(store, "billing", "s1 only", NOW_S, ["s1"]).secret,
                  "all": issue_token(store, "admin", "all", NOW_S).secret}
        yield from ((c, tokens) for c in api_client(store))


def test_a_token_scoped_to_a_site_runs_and_edits_only_there(
        scoped: tuple[ApiClient, dict[str, str]]) -> None:
    client, tokens = scoped
    s1, admin = bearer(tokens["s1"]), bearer(tokens["all"])
    r = client.post("/api/v1/vee/runs", headers=s1, json={})
    assert r.status_code == 200, r.text
    assert (r.json()["meters"], r.json()["estimated_by_method"]) == (1, {"linear": 2})
    assert client.post("/api/v1/vee/runs", headers=s1, json={"site_id": "s2"}).status_code == 404
    r = client.post("/api/v1/vee/runs", headers=admin, json={"meter_ids": ["m1"]})
    assert r.status_code == 409  # two sites have m1
    everyone = client.post("/api/v1/vee/runs", headers=admin, json={}).json()
    assert (everyone["meters"], everyone["rows_written"]) == (2, 2)  # s1's were written before
    # a gap and an incomplete day per site; the s1 token sees its own two
    assert len(client.get("/api/v1/vee/findings", headers=s1).json()["findings"]) == 2
    assert len(client.get("/api/v1/vee/findings", headers=admin).json()["findings"]) == 4
    body = {"start": "2026-09-21T00:00:00Z", "energy_wh": 3.0, "reason": "x"}
    edits = "/api/v1/meters/m1/intervals/edits"
    assert client.post(edits, headers=admin, json=body).status_code == 409
    r = client.post(edits + "?site_id=s2", headers=admin, json=body)
    assert r.status_code == 201, r.text
    assert client.post(edits, headers=s1, json=body).status_code == 201  # s1 sees one m1
    trail = client.get(edits + "?site_id=s2", headers=admin).json()["edits"]
    assert [e["user"].split(")")[0][-5:] for e in trail] == ["admin"]
    assert client.get(edits + "?site_id=s2", headers=s1).status_code == 404
