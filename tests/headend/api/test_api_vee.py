"""VEE through the API: a run, findings, an audited edit, and ?view=validated on the data."""

from __future__ import annotations

from api_seed import GAP_START_S, NOW_S, ApiClient

from openamr.headend.store import Store
from openamr.timeutil import format_utc

Headers = dict[str, dict[str, str]]
GAP = format_utc(GAP_START_S)
AFTER_GAP = format_utc(GAP_START_S + 3600)


def test_a_run_fills_the_gap_and_a_second_run_writes_nothing(client: ApiClient,
                                                              headers: Headers) -> None:
    r = client.post("/api/v1/vee/runs", headers=headers["billing"], json={"site_id": "s-1"})
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["meters"] == 1
    assert run["intervals_by_rule"] == {"vee.gap": 4}
    assert run["estimated_by_method"] == {"linear_scaled": 4}  # the register brackets it
    assert run["rows_written"] == 4
    again = client.post("/api/v1/vee/runs", headers=headers["admin"],
                        json={"meter_ids": ["m-1"]}).json()
    assert (again["rows_written"], again["findings_added"], again["rows_unchanged"]) == (0, 0, 4)
    r = client.get("/api/v1/vee/findings", headers=headers["read-only"],
                   params={"meter_id": "m-1", "code": "vee.gap"})
    assert r.status_code == 200
    (finding,) = r.json()["findings"]
    assert (finding["start"], finding["end"], finding["intervals"]) == (GAP, AFTER_GAP, 4)
    raw = client.get("/api/v1/meters/m-1/intervals", headers=headers["admin"],
                     params={"start": GAP, "end": AFTER_GAP}).json()["intervals"]
    assert raw == []  # the raw view is unchanged
    validated = client.get("/api/v1/meters/m-1/intervals", headers=headers["admin"],
                           params={"start": GAP, "end": AFTER_GAP, "view": "validated"})
    # the seeded register advanced by exactly the measured intervals: the gap used nothing,
    # and the straight line (10 Wh) is scaled to it
    assert [(i["energy_wh"], i["quality"]) for i in validated.json()["intervals"]] == \
        [(0.0, "estimated_linear")] * 4
    day = {"period": "daily", "start": "2026-03-10T00:00:00-07:00",
           "end": "2026-03-11T00:00:00-07:00"}
    raw_day = client.get("/api/v1/meters/m-1/rollup", headers=headers["admin"],
                         params=day).json()["buckets"][0]
    val_day = client.get("/api/v1/meters/m-1/rollup", headers=headers["admin"],
                         params={**day, "view": "validated"}).json()["buckets"][0]
    assert (raw_day["energy_wh"], raw_day["intervals_present"]) == (920.0, 92)
    assert (val_day["energy_wh"], val_day["intervals_present"]) == (920.0, 96)


def test_a_meter_named_twice_is_validated_once(client: ApiClient, headers: Headers) -> None:
    """Found by schemathesis: ``meter_ids: [m-1, m-1]`` answered 500 (an IndexError)."""
    r = client.post("/api/v1/vee/runs", headers=headers["admin"],
                    json={"meter_ids": ["m-1", "m-1"]})
    assert r.status_code == 200, r.text
    run = r.json()
    assert (run["meters"], run["rows_written"], run["intervals_by_rule"]) == (
        1, 4, {"vee.gap": 4})


def test_an_edit_is_audited_and_served(client: ApiClient, headers: Headers, store: Store) -> None:
    body = {"start": "2026-03-10T12:00:00-07:00", "energy_wh": 11.5, "reason": "meter test"}
    r = client.post("/api/v1/meters/m-1/intervals/edits", headers=headers["billing"], json=body)
    assert r.status_code == 201, r.text
    edit = r.json()
    assert (edit["start"], edit["before_wh"], edit["after_wh"], edit["reason"],
            edit["edited"]) == (GAP, None, 11.5, "meter test", format_utc(NOW_S))
    assert edit["user"].startswith("token:")
    assert edit["user"].endswith("(billing) test billing")
    trail = client.get("/api/v1/meters/m-1/intervals/edits", headers=headers["read-only"])
    assert trail.json()["edits"] == [edit]
    served = client.get("/api/v1/meters/m-1/intervals", headers=headers["admin"],
                        params={"start": GAP, "end": AFTER_GAP, "view": "validated"})
    assert served.json()["intervals"] == [{"start": GAP, "energy_wh": 11.5, "quality": "edited"}]
    assert store.interval_count("m-1", GAP_START_S, GAP_START_S + 3600) == 0


def test_bad_vee_requests(client: ApiClient, headers: Headers) -> None:
    admin = headers["admin"]
    r = client.post("/api/v1/vee/runs", headers=admin, json={"site_id": "nope"})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found.site")
    r = client.post("/api/v1/vee/runs", headers=admin, json={"meter_ids": ["nope"]})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found.meter")
    r = client.post("/api/v1/vee/runs", headers=admin,
                    json={"start": "2026-03-10T00:00:00Z", "end": "2026-03-09T00:00:00Z"})
    assert r.status_code == 400
    # a start centuries back would hold centuries of quarter-hours in memory (schemathesis)
    for body in ({"start": "0001-01-01T00:00:00Z"},
                 {"start": "2020-01-01T00:00:00Z", "end": "2024-01-01T00:00:00Z"}):
        r = client.post("/api/v1/vee/runs", headers=admin, json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (400, "request.bad_input")
        assert "at most 1099 days" in r.json()["error"]["message"]
    r = client.post("/api/v1/vee/runs", headers=admin,
                    json={"start": "2024-01-01T00:00:00Z", "end": "2026-03-09T00:00:00Z"})
    assert r.status_code == 200, r.text
    edits = "/api/v1/meters/m-1/intervals/edits"
    r = client.post(edits, headers=admin, json={"start": "2026-03-10T12:05:00-07:00",
                                                "energy_wh": 1, "reason": "x"})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "request.bad_input")
    assert "15-minute grid" in r.json()["error"]["message"]
    for bad in ({"start": GAP, "energy_wh": -1, "reason": "x"},
                {"start": GAP, "energy_wh": 1, "reason": ""},
                {"start": GAP, "energy_wh": 1}):
        assert client.post(edits, headers=admin, json=bad).status_code == 422
    r = client.post("/api/v1/meters/nope/intervals/edits", headers=admin,
                    json={"start": GAP, "energy_wh": 1, "reason": "x"})
    assert r.status_code == 404
    # the installer reads meter data (to check a meter counts) but never edits it
    assert client.get(edits, headers=headers["installer"]).status_code == 200
    assert client.post(edits, headers=headers["installer"],
                       json={"start": GAP, "energy_wh": 1, "reason": "x"}).status_code == 403
    assert client.post(edits, headers=headers["read-only"],
                       json={"start": GAP, "energy_wh": 1, "reason": "x"}).status_code == 403
    r = client.get("/api/v1/meters/m-1/intervals", headers=admin, params={"view": "cooked"})
    assert r.status_code == 422
