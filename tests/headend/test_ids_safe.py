"""Ids are restricted to a safe alphabet at registration.

Regression: a meter id with ``/`` was stored but unreachable through the API.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openamr.errors import InputError
from openamr.headend.ids import SAFE_ID, is_safe_id
from openamr.headend.store import Meter, Site, open_store


@pytest.mark.parametrize("bad", ["a/b", "", "=cmd", "+1", "-x", "@sum", "m 1", "m#1", "m+1",
                                 "x" * 65, "é", "..", "a\nb"])
def test_the_store_refuses_unsafe_meter_and_site_ids(tmp_path: Path, bad: str) -> None:
    with open_store(str(tmp_path / "h.db")) as store:
        store.upsert_site(Site("s1", "S", "UTC"))
        with pytest.raises(InputError, match="not a valid id"):
            store.upsert_meter(Meter(bad, "s1"))
        with pytest.raises(InputError, match="not a valid id"):
            store.upsert_site(Site(bad, "S", "UTC"))
        assert store.list_meters() == []
        assert [s.site_id for s in store.list_sites()] == ["s1"]


@given(st.from_regex(SAFE_ID, fullmatch=True))
def test_every_safe_id_is_a_plain_url_path_segment(value: str) -> None:
    from urllib.parse import quote

    assert is_safe_id(value)
    assert quote(value, safe="") == value
    assert value[0] not in "=+-@"
