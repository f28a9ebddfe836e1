"""``/docs`` and ``/redoc`` work offline: every script and style they load is served locally.

Regression: ``/docs`` loaded Swagger UI from a CDN and was blank on an offline building network.
"""

from __future__ import annotations

import re
from typing import Any

import pytest


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_doc_pages_load_only_local_assets(client: Any, page: str) -> None:
    answer = client.get(page)
    assert answer.status_code == 200
    html = answer.text
    urls = re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]+)['"]""", html)
    urls += re.findall(r"""url:\s*['"]([^'"]+)['"]""", html)
    assets = [u for u in urls if u.endswith((".js", ".css", ".png"))]
    assert assets, html
    for url in urls:
        assert not url.startswith(("http://", "https://", "//")), f"{page} loads {url}"
    for url in assets:
        got = client.get(url)
        assert got.status_code == 200, url
        assert len(got.content) > 1000, url
    assert "fonts.googleapis" not in html
    assert "cdn" not in html.lower()
