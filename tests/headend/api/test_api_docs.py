"""docs/api.md names every route, every query parameter and every permission (datasette's
habit: an undocumented setting fails a test)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import openamr.headend.api as api
from openamr.headend.api import API_PREFIX, create_app
from openamr.headend.auth import PERMISSIONS, ROLES
from openamr.headend.store import Store, open_store

DOC = (Path(__file__).resolve().parents[3] / "docs" / "api.md").read_text(encoding="utf-8")


@pytest.fixture
def openapi(tmp_path: Path) -> dict[str, object]:
    store: Store = open_store(str(tmp_path / "doc.db"))
    try:
        return create_app(store).openapi()
    finally:
        store.close()


def test_every_route_and_parameter_is_documented(openapi: dict[str, dict[str, dict]]) -> None:
    for path, operations in openapi["paths"].items():
        short = path.removeprefix(API_PREFIX)
        assert re.search(rf"`{re.escape(short)}[`?]", DOC), f"{path} is not in docs/api.md"
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                name = parameter["name"]
                assert any(form in DOC for form in (f"{name}=", f"`{name}`", f"{{{name}}}")), \
                    f"parameter {name} of {path} is not in docs/api.md"


def test_every_permission_and_role_is_in_the_matrix() -> None:
    for permission in PERMISSIONS:
        assert f"| `{permission}`" in DOC
    for role in ROLES:
        assert f"| {role} " in DOC or f" {role} |" in DOC


def test_exports() -> None:
    assert set(api.__all__) == {"API_PREFIX", "create_app"}
    assert all(hasattr(api, name) for name in api.__all__)
