"""Units, tenants and occupancies through the API: writes, reads, roles, refusals."""

from __future__ import annotations

from api_seed import ApiClient

from openamr.headend.store import Meter, Store

Headers = dict[str, dict[str, str]]


def _unit(client: ApiClient, headers: Headers, role: str = "billing", **body: object) -> int:
    payload = {"name": "Apartment 101", "kind": "apartment", "floor_area_m2": 55.0,
               "meter_ids": ["m-1"], **body}
    return client.request("PUT", "/api/v1/sites/s-1/units/101", headers=headers[role],
                          json=payload).status_code


def test_units_tenants_occupancies_round_trip(client: ApiClient, headers: Headers,
                                              store: Store) -> None:
    assert _unit(client, headers) == 200
    r = client.get("/api/v1/sites/s-1/units", headers=headers["read-only"])
    assert r.status_code == 200
    assert r.json() == {"units": [{"unit_id": "101", "site_id": "s-1", "name": "Apartment 101",
                                   "kind": "apartment", "floor_area_m2": 55.0,
                                   "meter_ids": ["m-1"]}]}
    assert client.get("/api/v1/sites/s-1/units/101",
                      headers=headers["admin"]).json()["meter_ids"] == ["m-1"]
    r = client.request("PUT", "/api/v1/tenants/t-1", headers=headers["billing"],
                       json={"name": "Ann Example", "account": "ACC-1"})
    assert r.status_code == 200
    assert r.json() == {"tenant_id": "t-1", "name": "Ann Example", "account": "ACC-1",
                        "email": ""}
    assert client.get("/api/v1/tenants", headers=headers["read-only"]).json()["tenants"][0][
        "tenant_id"] == "t-1"
    r = client.request("POST", "/api/v1/units/101/tenants", headers=headers["billing"],
                       json={"tenant_id": "t-1", "move_in": "2026-03-08"})
    assert r.status_code == 201, r.text
    occ = r.json()
    assert occ["move_in"] == "2026-03-08"
    assert occ["move_out"] is None
    # the same again is the same occupancy
    again = client.request("POST", "/api/v1/units/101/tenants", headers=headers["billing"],
                           json={"tenant_id": "t-1", "move_in": "2026-03-08"})
    assert again.json()["occupancy_id"] == occ["occupancy_id"]
    r = client.request("PATCH", f"/api/v1/occupancies/{occ['occupancy_id']}",
                       headers=headers["admin"], json={"move_out": "2026-06-01"})
    assert r.status_code == 200
    assert r.json()["move_out"] == "2026-06-01"
    listed = client.get("/api/v1/units/101/tenants", headers=headers["read-only"]).json()
    assert [o["tenant_id"] for o in listed["occupancies"]] == ["t-1"]
    by_tenant = client.get("/api/v1/tenants/t-1/occupancies", headers=headers["billing"]).json()
    assert by_tenant["occupancies"] == listed["occupancies"]
    assert store.list_occupancies(tenant_id="t-1")[0].move_out is not None


def test_refusals(client: ApiClient, headers: Headers, store: Store) -> None:
    assert _unit(client, headers) == 200
    store.upsert_meter(Meter("m-9", "s-1"))
    r = client.request("PUT", "/api/v1/sites/s-1/units/102", headers=headers["billing"],
                       json={"meter_ids": ["m-1", "m-9"]})
    assert r.status_code == 400
    assert "meter 'm-1' already belongs to unit '101'" in r.json()["error"]["message"]
    r = client.request("PUT", "/api/v1/sites/s-1/units/102", headers=headers["billing"],
                       json={"meter_ids": ["m-2"]})  # m-2 is a meter of site s-2
    assert r.status_code == 400
    assert "unknown meter 'm-2' of site 's-1'" in r.json()["error"]["message"]
    r = client.request("PUT", "/api/v1/sites/s-1/units/102", headers=headers["billing"],
                       json={"floor_area_m2": -3})
    assert r.status_code == 422
    assert client.request("PUT", "/api/v1/sites/nope/units/102", headers=headers["billing"],
                          json={}).json()["error"]["code"] == "not_found.site"
    assert store.get_unit("102") is None
    client.request("PUT", "/api/v1/tenants/t-1", headers=headers["billing"], json={})
    client.request("PUT", "/api/v1/tenants/t-2", headers=headers["billing"], json={})
    first = client.request("POST", "/api/v1/units/101/tenants", headers=headers["billing"],
                           json={"tenant_id": "t-1", "move_in": "2026-01-01",
                                 "move_out": "2026-04-01"})
    assert first.status_code == 201
    r = client.request("POST", "/api/v1/units/101/tenants", headers=headers["billing"],
                       json={"tenant_id": "t-2", "move_in": "2026-03-31"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "conflict.occupancy_overlap"
    assert "occupied by tenant 't-1'" in r.json()["error"]["message"]
    r = client.request("POST", "/api/v1/units/101/tenants", headers=headers["billing"],
                       json={"tenant_id": "t-2", "move_in": "2026-05-01",
                             "move_out": "2026-04-01"})
    assert r.status_code == 400
    assert "move_out" in r.json()["error"]["message"]
    r = client.request("POST", "/api/v1/units/101/tenants", headers=headers["billing"],
                       json={"tenant_id": "t-2", "move_in": "2026-02-30"})
    assert r.status_code == 422
    r = client.request("POST", "/api/v1/units/101/tenants", headers=headers["billing"],
                       json={"tenant_id": "nobody", "move_in": "2026-05-01"})
    assert r.json()["error"]["code"] == "not_found.tenant"
    r = client.request("POST", "/api/v1/units/999/tenants", headers=headers["billing"],
                       json={"tenant_id": "t-2", "move_in": "2026-05-01"})
    assert r.json()["error"]["code"] == "not_found.unit"
    assert len(store.list_occupancies()) == 1
    # a unit with billing history cannot be deleted; an occupancy can
    r = client.request("DELETE", "/api/v1/sites/s-1/units/101", headers=headers["admin"])
    assert r.status_code == 400
    oid = first.json()["occupancy_id"]
    assert client.request("DELETE", f"/api/v1/occupancies/{oid}",
                          headers=headers["admin"]).status_code == 204
    assert client.request("DELETE", "/api/v1/sites/s-1/units/101",
                          headers=headers["admin"]).status_code == 204


def test_roles(client: ApiClient, headers: Headers) -> None:
    assert _unit(client, headers, role="read-only") == 403
    assert _unit(client, headers, role="installer") == 403
    assert _unit(client, headers, role="admin") == 200
    assert client.get("/api/v1/tenants", headers=headers["installer"]).status_code == 403
    assert client.get("/api/v1/sites/s-1/units", headers=headers["read-only"]).status_code == 200
