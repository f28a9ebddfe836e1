"""Bearer tokens and roles through the API: 401, 403, the permission matrix, token management."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_seed import NOW_S, ApiClient, api_client

from openamr.headend.auth import PERMISSIONS, ROLES, allowed, hash_token
from openamr.headend.store import Store, open_store

Headers = dict[str, dict[str, str]]

#: (method, path, permission) for one route of each permission
ROUTES = [
    ("GET", "/api/v1/sites", "sites.read"),
    ("GET", "/api/v1/sites/s-1", "sites.read"),
    ("GET", "/api/v1/meters", "meters.read"),
    ("GET", "/api/v1/meters/m-1", "meters.read"),
    ("GET", "/api/v1/devices?role=mdt", "devices.read"),
    ("GET", "/api/v1/devices/00000000000000a1", "devices.read"),
    ("GET", "/api/v1/events", "events.read"),
    ("GET", "/api/v1/alarms?state=open", "alarms.read"),
    ("GET", "/api/v1/meters/m-1/intervals", "data.read"),
    ("GET", "/api/v1/meters/m-1/registers", "data.read"),
    ("GET", "/api/v1/meters/m-1/rollup?period=daily&start=2026-03-08T00:00:00Z"
            "&end=2026-03-09T00:00:00Z", "data.read"),
    ("GET", "/api/v1/meters/m-1/intervals?format=csv", "data.export"),
    ("GET", "/api/v1/events?format=csv", "data.export"),
    ("GET", "/api/v1/ingest/rejections", "ingest.read"),
    ("GET", "/api/v1/tokens", "tokens.manage"),
    ("POST", "/api/v1/alarms/999/ack", "alarms.ack"),  # allowed: 404 (no such alarm)
    ("POST", "/api/v1/vee/runs", "vee.run"),  # allowed: 200 (every meter, all data)
    ("POST", "/api/v1/meters/m-1/intervals/edits", "vee.edit"),  # allowed: 422 (no body)
    ("GET", "/api/v1/sites/s-1/units", "units.read"),
    ("DELETE", "/api/v1/occupancies/999", "units.write"),  # allowed: 404 (no such occupancy)
    ("DELETE", "/api/v1/sites/s-1/devices/nope", "devices.manage"),  # allowed: 404
    ("POST", "/api/v1/sites", "sites.manage"),  # allowed: 422 (no body)
    ("DELETE", "/api/v1/sites/s-1/tou", "sites.configure"),
]
ALLOWED_STATUS = {"/api/v1/alarms/999/ack": 404, "/api/v1/meters/m-1/intervals/edits": 422,
                  "/api/v1/occupancies/999": 404, "/api/v1/sites/s-1/devices/nope": 404,
                  "/api/v1/sites": 422}
"""The answer of an allowed request that is not a plain read (200 otherwise)."""


def test_every_permission_is_exercised() -> None:
    assert {p for _, _, p in ROUTES} == set(PERMISSIONS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "permission"), ROUTES)
def test_the_permission_matrix(client: ApiClient, headers: Headers, role: str, method: str,
                               path: str, permission: str) -> None:
    r = client.request(method, path, headers=headers[role])
    if allowed(role, permission):
        assert r.status_code == (ALLOWED_STATUS.get(path, 200) if method != "GET"
                                 else 200), r.text
    else:
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "auth.forbidden"


def test_matrix_in_words() -> None:
    assert allowed("read-only", "data.read")
    assert not allowed("read-only", "data.export")
    assert allowed("billing", "data.export")
    assert not allowed("billing", "alarms.ack")
    assert allowed("installer", "alarms.ack")
    assert allowed("installer", "data.read")  # to check a meter counts (commissioning)
    assert not allowed("installer", "data.export")
    assert all(allowed("admin", p) for p in PERMISSIONS)


@pytest.mark.parametrize("auth", [None, "Bearer", "Bearer oamr_nope", "Basic dXNlcjpwYXNz",
                                  "Bearer " + "x" * 5000,
                                  "bearer oamr_ä".encode()])
def test_no_valid_token_is_401_with_a_challenge(client: ApiClient, tokens: dict[str, str],
                                                auth: str | bytes | None) -> None:
    headers = {} if auth is None else {"Authorization": auth}
    r = client.get("/api/v1/sites", headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["error"]["code"] in {"auth.missing", "auth.invalid"}


def test_a_revoked_token_is_refused(client: ApiClient, store: Store, tokens: dict[str, str],
                                    headers: Headers) -> None:
    row = store.get_token_by_hash(hash_token(tokens["billing"]))
    assert row is not None
    assert client.get("/api/v1/sites", headers=headers["billing"]).status_code == 200
    store.revoke_token(row.token_id, NOW_S)
    assert client.get("/api/v1/sites", headers=headers["billing"]).status_code == 401


def test_health_needs_no_token(client: ApiClient) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_an_installer_acknowledges_an_alarm_and_is_recorded(client: ApiClient,
                                                           headers: Headers) -> None:
    (alarm,) = client.get("/api/v1/alarms?state=open", headers=headers["installer"]).json()[
        "alarms"]
    assert client.post(f"/api/v1/alarms/{alarm['alarm_id']}/ack",
                       headers=headers["read-only"]).status_code == 403
    r = client.post(f"/api/v1/alarms/{alarm['alarm_id']}/ack", headers=headers["installer"])
    assert r.status_code == 200
    acked = r.json()
    assert acked["state"] == "acknowledged"
    assert "installer" in acked["acked_by"]
    assert "test installer" in acked["acked_by"]
    assert acked["acked"] == "2026-12-01T20:00:00Z"
    again = client.post(f"/api/v1/alarms/{alarm['alarm_id']}/ack", headers=headers["admin"])
    assert again.status_code == 409
    assert client.post("/api/v1/alarms/999/ack", headers=headers["admin"]).status_code == 404
    states = client.get("/api/v1/alarms?state=acknowledged", headers=headers["billing"]).json()
    assert [a["alarm_id"] for a in states["alarms"]] == [alarm["alarm_id"]]


def test_admin_manages_tokens_over_http(client: ApiClient, headers: Headers) -> None:
    r = client.post("/api/v1/tokens", headers=headers["admin"],
                    json={"role": "billing", "label": "ERP export"})
    assert r.status_code == 201
    created = r.json()
    secret = created["token"]
    assert secret.startswith("oamr_")
    new = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/meters/m-1/intervals?format=csv", headers=new).status_code == 200
    listed = client.get("/api/v1/tokens", headers=headers["admin"]).json()["tokens"]
    assert secret not in str(listed)
    assert created["token_id"] in {t["token_id"] for t in listed}
    assert client.post("/api/v1/tokens", headers=headers["billing"],
                       json={"role": "admin"}).status_code == 403
    assert client.post("/api/v1/tokens", headers=headers["admin"],
                       json={"role": "root"}).status_code == 422
    assert client.delete(f"/api/v1/tokens/{created['token_id']}",
                         headers=headers["admin"]).status_code == 204
    assert client.get("/api/v1/sites", headers=new).status_code == 401
    assert client.delete(f"/api/v1/tokens/{created['token_id']}",
                         headers=headers["admin"]).status_code == 404


def test_tokens_never_reach_the_logs(client: ApiClient, tokens: dict[str, str],
                                     headers: Headers, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    created = client.post("/api/v1/tokens", headers=headers["admin"],
                          json={"role": "read-only", "label": "kiosk"}).json()
    client.delete(f"/api/v1/tokens/{created['token_id']}", headers=headers["admin"])
    client.get("/api/v1/sites", headers={"Authorization": "Bearer oamr_guess"})
    text = caplog.text
    assert created["token_id"] in text  # the audit trail names tokens by id ...
    assert created["token"] not in text  # ... never by secret
    assert all(secret not in text for secret in tokens.values())
    assert "oamr_guess" not in text


def test_a_new_store_has_no_token_at_all(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "empty.db")) as store:
        assert store.list_tokens() == []
        for client in api_client(store):
            assert client.get("/api/v1/sites").status_code == 401
            assert client.get("/api/v1/sites", headers={"Authorization": "Bearer admin"}
                              ).status_code == 401
