"""``[retention]``: old rejection rows and delivered outbox keys are pruned; 0 keeps them."""

from __future__ import annotations

from pathlib import Path

import pytest

from openamr.errors import InputError
from openamr.headend.retention import DAY_S, apply_retention
from openamr.headend.settings import RetentionSettings, load_settings
from openamr.headend.store import open_store

NOW = 1_767_225_600


def test_apply_retention(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "h.db")) as store:
        store.put_rejection("malformed", "x", NOW - 100 * DAY_S, "old")
        store.put_rejection("malformed", "x", NOW - DAY_S, "recent")
        store.outbox_put("webhook", "old", b"p", NOW - 70 * DAY_S)
        store.outbox_done([i.item_id for i in store.outbox_due("webhook", NOW)])
        assert apply_retention(store, RetentionSettings(0, 0), NOW) == (0, 0)
        assert apply_retention(store, RetentionSettings(), NOW) == (1, 1)
        assert [r.detail for r in store.list_rejections()] == ["recent"]
        assert store.outbox_put("webhook", "old", b"p", NOW)  # its key is gone


def test_negative_retention_is_refused() -> None:
    with pytest.raises(InputError, match=r"\[retention\] rejections_keep_days"):
        load_settings(env={}, overrides={"retention": {"rejections_keep_days": -1}})
