"""The bills page: a site's bills, a meter's statement as PDF, the CSV ledger."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from web_seed import WebClient, web_client

from openamr.headend.store import Store
from openamr.web.session import COOKIE

TARIFF = (Path(__file__).resolve().parents[2] / "examples" / "tariffs" /
          "residential-tou.toml").read_text(encoding="utf-8")
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def client(app: Any) -> Iterator[WebClient]:
    yield from web_client(app)


def _post(client: WebClient, **fields: str) -> Any:
    return client.post("/bills", content=urlencode(fields), headers=FORM)


def test_a_site_is_billed_and_shown(client: WebClient, store: Store,
                                    tokens: dict[str, str]) -> None:
    client.cookies.set(COOKIE, tokens["billing"])
    assert client.get("/bills").status_code == 200
    site = store.list_sites()[0].site_id
    r = _post(client, site=site, scope="site", period="2026-01", tariff_toml=TARIFF,
              format="view")
    assert r.status_code == 200, r.text[-800:]
    assert r.text.count("<tr data-account=") == len(store.list_meters(site))
    assert "USD" in r.text


def test_a_meter_statement_as_pdf_and_the_ledger_as_csv(client: WebClient, store: Store,
                                                        tokens: dict[str, str]) -> None:
    client.cookies.set(COOKIE, tokens["admin"])
    site = store.list_sites()[0].site_id
    r = _post(client, site=site, scope="meter", account="M-01", period="2026-01",
              tariff_toml=TARIFF, format="pdf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert r.headers["content-disposition"] == 'attachment; filename="bill-M-01-2026-01.pdf"'
    r = _post(client, site=site, scope="site", period="2026-01", tariff_toml=TARIFF,
              format="csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.count("\n") > len(store.list_meters(site))
    r = _post(client, site=site, scope="meter", account="M-01", period="2026-01",
              tariff_toml=TARIFF, format="html")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "M-01" in r.text


def test_bad_forms_and_roles(client: WebClient, store: Store, tokens: dict[str, str]) -> None:
    site = store.list_sites()[0].site_id
    client.cookies.set(COOKIE, tokens["read-only"])
    assert client.get("/bills").status_code == 403
    client.cookies.set(COOKIE, tokens["billing"])
    r = _post(client, site=site, scope="site", period="2026-01", tariff_toml="[tariff",
              format="view")
    assert r.status_code == 400
    assert "not valid TOML" in r.text
    r = _post(client, site="elsewhere", scope="site", period="2026-01", tariff_toml=TARIFF)
    assert r.status_code == 400
    assert "no site &#39;elsewhere&#39;" in r.text
    r = _post(client, site=site, scope="meter", account="", period="2026-01",
              tariff_toml=TARIFF)
    assert r.status_code == 400
