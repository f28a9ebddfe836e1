"""Bad input gets a 4xx with ``{"error": {"code", "message"}}``, never a 500."""

from __future__ import annotations

import pytest
from api_seed import ApiClient

from openamr.headend.store import Store

Headers = dict[str, dict[str, str]]


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/api/v1/sites/nope", 404, "not_found.site"),
    ("/api/v1/meters/nope", 404, "not_found.meter"),
    ("/api/v1/meters/nope/intervals", 404, "not_found.meter"),
    ("/api/v1/devices/nope", 404, "not_found.device"),
    ("/api/v1/nothing-here", 404, "not_found.path"),
    ("/api/v1/meters/m-1/intervals?start=yesterday", 400, "request.bad_input"),
    ("/api/v1/meters/m-1/intervals?start=2026-03-08T00:00:00", 400, "request.bad_input"),
    ("/api/v1/meters/m-1/intervals?start=0001-01-01T00:00:00%2B01:00", 400, "request.bad_input"),
    ("/api/v1/meters/m-1/intervals?start=2026-03-09T00:00:00Z&end=2026-03-08T00:00:00Z", 400,
     "request.bad_input"),
    ("/api/v1/meters/m-1/intervals?limit=0", 422, "request.invalid"),
    ("/api/v1/meters/m-1/intervals?limit=100001", 422, "request.invalid"),
    ("/api/v1/meters/m-1/intervals?format=xml", 422, "request.invalid"),
    ("/api/v1/sites?limit=1001", 422, "request.invalid"),
    ("/api/v1/sites?offset=-1", 422, "request.invalid"),
    ("/api/v1/devices?role=toaster", 422, "request.invalid"),
    ("/api/v1/alarms?state=sleepy", 422, "request.invalid"),
    ("/api/v1/meters/m-1/rollup?period=daily", 422, "request.invalid"),
    ("/api/v1/meters/m-1/rollup?period=weekly&start=2026-03-08T00:00:00Z"
     "&end=2026-03-09T00:00:00Z", 422, "request.invalid"),
    ("/api/v1/meters/m-1/rollup?period=daily&start=1900-01-01T00:00:00Z"
     "&end=2026-03-09T00:00:00Z", 400, "request.bad_input"),
    ("/api/v1/meters/m-1/rollup?period=hourly&start=2000-01-01T00:00:00Z"
     "&end=2026-03-09T00:00:00Z", 400, "request.bad_input"),
    ("/api/v1/events?start=2026-13-01T00:00:00Z", 400, "request.bad_input"),
])
def test_bad_requests_have_error_bodies(client: ApiClient, headers: Headers, path: str,
                                        status: int, code: str) -> None:
    r = client.get(path, headers=headers["admin"])
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_wrong_method_and_bad_alarm_id(client: ApiClient, headers: Headers) -> None:
    r = client.delete("/api/v1/sites", headers=headers["admin"])
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "request.method_not_allowed"
    r = client.post("/api/v1/alarms/abc/ack", headers=headers["admin"])
    assert r.status_code == 422


def test_openapi_is_served_and_describes_the_intervals(client: ApiClient) -> None:
    doc = client.get("/openapi.json").json()
    op = doc["paths"]["/api/v1/meters/{meter_id}/intervals"]["get"]
    content = op["responses"]["200"]["content"]
    assert content["application/json"]["schema"]["$ref"].endswith("/IntervalsPage")
    assert "text/csv" in content
    assert "HTTPBearer" in doc["components"]["securitySchemes"]
    assert client.get("/docs").status_code == 200


def test_an_unencoded_plus_in_an_offset_is_understood(client: ApiClient,
                                                      headers: Headers) -> None:
    r = client.get("/api/v1/meters/m-1/intervals?start=2026-03-08T13:45:00+05:30"
                   "&end=2026-03-08T14:15:00+05:30", headers=headers["admin"])
    assert r.status_code == 200
    assert [i["start"] for i in r.json()["intervals"]] == ["2026-03-08T08:15:00Z",
                                                          "2026-03-08T08:30:00Z"]


def test_health_is_503_when_the_database_is_gone(client: ApiClient, store: Store) -> None:
    store.close()
    r = client.get("/api/v1/health")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "server.unavailable"
