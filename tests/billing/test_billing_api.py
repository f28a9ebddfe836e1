"""``POST /api/v1/bills`` and ``POST /api/v1/tariffs/check``: the CLI's answers over HTTP, for
the billing role, with errors that name the key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from billing_seed import EXAMPLES, MASTER, SITE, seed_store
from click.testing import CliRunner

from openamr.cli import main
from openamr.headend.api import create_app
from openamr.headend.auth import issue_token

NOW_S = 1_790_000_000


class _Client:
    def __init__(self, app: Any, portal: Any) -> None:
        self._portal = portal
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://testserver")

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(lambda: self._client.post(url, **kwargs))  # type: ignore[no-any-return]

    def close(self) -> None:
        self._portal.call(self._client.aclose)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[_Client, dict[str, dict[str, str]], str]]:
    path = tmp_path / "api.db"
    store = seed_store(path)
    tokens = {role: {"Authorization": f"Bearer {issue_token(store, role, role, NOW_S).secret}"}
              for role in ("billing", "installer", "read-only")}
    try:
        with start_blocking_portal() as portal:
            client = _Client(create_app(store, clock=lambda: NOW_S, freeze_gc=False), portal)
            try:
                yield client, tokens, str(path)
            finally:
                client.close()
    finally:
        store.close()


TOML = (EXAMPLES / "residential-tou.toml").read_text(encoding="utf-8")


def test_a_meter_bill_equals_the_cli(api: tuple[_Client, dict[str, dict[str, str]], str]) -> None:
    client, tokens, db = api
    answer = client.post("/api/v1/bills", headers=tokens["billing"],
                         json={"tariff": {"toml": TOML}, "period": "2026-07", "meter_id": "M-02"})
    assert answer.status_code == 200, answer.text
    result = CliRunner().invoke(main, ["bill", "--db", db, "--tariff",
                                       str(EXAMPLES / "residential-tou.toml"), "--period",
                                       "2026-07", "--meter", "M-02"])
    assert answer.json() == json.loads(result.output)
    doc = answer.json()
    assert sum(Decimal(x["amount"]) for x in doc["lines"]) == Decimal(doc["total"])


def test_a_urdb_site_ledger_with_common_area(
        api: tuple[_Client, dict[str, dict[str, str]], str]) -> None:
    client, tokens, _ = api
    urdb = json.loads((EXAMPLES / "urdb-tou-demand.json").read_text(encoding="utf-8"))
    answer = client.post("/api/v1/bills", headers=tokens["billing"], json={
        "tariff": {"urdb": urdb}, "from": "2026-07-01", "to": "2026-07-31", "site_id": SITE,
        "common_area_meter_id": MASTER, "allocate": "equal", "format": "csv"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.text.count(",common_area,") == 3


def test_statements_over_http(api: tuple[_Client, dict[str, dict[str, str]], str]) -> None:
    client, tokens, _ = api
    answer = client.post("/api/v1/bills", headers=tokens["billing"], json={
        "tariff": {"toml": TOML}, "period": "2026-07", "meter_id": "M-01", "format": "pdf"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")


@pytest.mark.parametrize(("body", "status", "fragment"), [
    ({"tariff": {"toml": TOML.replace('"0.52"', '"lots"')}, "period": "2026-07",
      "meter_id": "M-01"}, 400, "energy.periods[0].rate_per_kwh"),
    ({"tariff": {"toml": TOML, "urdb": {}}, "period": "2026-07", "meter_id": "M-01"}, 400,
     "exactly one"),
    ({"tariff": {"toml": TOML}, "period": "2026-07", "meter_id": "NOPE"}, 404, "NOPE"),
    ({"tariff": {"toml": TOML}, "from": "2020-01-01", "to": "2026-01-01", "site_id": SITE}, 400,
     "at most 366 days"),
    ({"tariff": {"toml": TOML}, "period": "2026-07", "meter_id": "M-01", "start_day": 30}, 422,
     "start_day"),
    ({"tariff": {"toml": TOML}, "period": "2026-07"}, 400, "exactly one of"),
])
def test_bad_requests_name_the_key(api: tuple[_Client, dict[str, dict[str, str]], str],
                                   body: dict[str, Any], status: int, fragment: str) -> None:
    client, tokens, _ = api
    answer = client.post("/api/v1/bills", headers=tokens["billing"], json=body)
    assert answer.status_code == status, answer.text
    assert fragment in answer.json()["error"]["message"]


def test_roles(api: tuple[_Client, dict[str, dict[str, str]], str]) -> None:
    client, tokens, _ = api
    body = {"tariff": {"toml": TOML}, "period": "2026-07", "meter_id": "M-01"}
    assert client.post("/api/v1/bills", json=body).status_code == 401
    for role in ("installer", "read-only"):
        assert client.post("/api/v1/bills", headers=tokens[role], json=body).status_code == 403
    check = client.post("/api/v1/tariffs/check", headers=tokens["billing"], json={"toml": TOML})
    assert check.status_code == 200
    assert check.json()["holidays"] == "US-CA"
