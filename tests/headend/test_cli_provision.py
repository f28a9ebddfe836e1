"""``openamr site add|import``, ``openamr device add|list|remove``, ``openamr token create
--site``: what an installer types; bad input is exit 2 and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from openamr.cli import main
from openamr.field.site import write_site
from openamr.field.site.generate import generate_site
from openamr.field.site.identity import device_identity
from openamr.headend.store import open_store

CODE = "000102030405060708090a0b0c0d0e0f"


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "head.db")
    assert _run("site", "add", "--db", path, "--id", "b1", "--name", "Building 1",
                "--time-zone", "America/New_York").exit_code == 0
    return path


def _add(db: str, local_id: str, eui: str, *extra: str, role: str = "mdt",
         code: str = CODE) -> Result:
    return _run("device", "add", "--db", db, "--site", "b1", "--id", local_id, "--role", role,
                "--eui", eui, "--install-code", code, *extra)


def test_add_list_remove(db: str) -> None:
    r = _add(db, "M-01", "70B3D5A000000001", "--meter-model", "MMSMT-E02", "--unit", "4C")
    assert r.exit_code == 0, r.output
    assert _add(db, "REP-001", "70b3d5a000000002", role="repeater").exit_code == 0
    listed = json.loads(_run("device", "list", "--db", db, "--json").output)
    assert listed == [
        {"site_id": "b1", "id": "M-01", "role": "mdt", "eui": "70b3d5a000000001",
         "meter_id": "M-01", "model": "MMSMT-E02", "unit": "4C"},
        {"site_id": "b1", "id": "REP-001", "role": "repeater", "eui": "70b3d5a000000002",
         "meter_id": None, "model": "", "unit": None}]
    assert "REP-001" in _run("device", "list", "--db", db, "--site", "b1").output
    assert CODE not in _run("device", "list", "--db", db).output  # never the install code
    assert _run("device", "list", "--db", db, "--site", "zz").exit_code == 2
    r = _run("device", "remove", "--db", db, "--site", "b1", "--id", "70b3d5a000000002")
    assert r.exit_code == 0, r.output
    assert [d["id"] for d in json.loads(_run("device", "list", "--db", db, "--json").output)] \
        == ["M-01"]
    assert _run("device", "remove", "--db", db, "--site", "b1", "--id", "REP-001").exit_code == 2


@pytest.mark.parametrize(("eui", "code", "message"), [
    ("70b3d5a00000001", CODE, "not an EUI-64"),
    ("70b3d5a0000000zz", CODE, "not an EUI-64"),
    ("70b3d5a000000001", CODE[:30], "not 32 hex digits"),
    ("70b3d5a000000001", CODE + "00", "not 32 hex digits"),
    ("70b3d5a000000099", CODE, "registered already"),
])
def test_bad_labels_are_refused_and_nothing_changes(db: str, eui: str, code: str,
                                                    message: str) -> None:
    assert _add(db, "M-09", "70b3d5a000000099").exit_code == 0
    with open_store(db) as store:
        before = (store.list_devices(), store.list_meters())
    r = _add(db, "M-02", eui, code=code)
    assert r.exit_code == 2
    assert message in r.output
    with open_store(db) as store:
        assert (store.list_devices(), store.list_meters()) == before


def test_unknown_site_zone_and_unsafe_ids(db: str) -> None:
    r = _add(db, "M-01", "70b3d5a000000001", "--unit", "x")
    assert r.exit_code == 0
    assert "unknown site" in _run("device", "add", "--db", db, "--site", "nope", "--id", "M-5",
                                  "--role", "mdt", "--eui", "70b3d5a000000005",
                                  "--install-code", CODE).output
    r = _run("site", "add", "--db", db, "--id", "b2", "--name", "B", "--time-zone", "Nowhere/X")
    assert r.exit_code == 2
    assert "time zone" in r.output
    assert _run("site", "add", "--db", db, "--id", "../b2", "--name", "B",
                "--time-zone", "UTC").exit_code == 2
    assert _add(db, "M 1", "70b3d5a000000006").exit_code == 2
    assert _add(db, "REP-9", "70b3d5a000000007", "--unit", "1", role="repeater").exit_code == 2


def test_site_import_registers_devices_units_and_the_simulators_keys(tmp_path: Path) -> None:
    db = str(tmp_path / "head.db")
    site_file = tmp_path / "site.toml"
    write_site(generate_site(4, 1, 1, seed=3, name="Imported"), site_file)
    r = _run("site", "import", str(site_file), "--db", db)
    assert r.exit_code == 0, r.output
    assert "6 devices (4 MDTs)" in r.output
    with open_store(db) as store:
        devices = {d.local_id: d for d in store.list_devices("imported")}
        assert sorted(devices) == ["DCAP-1", "M-1", "M-2", "M-3", "M-4", "REP-001"]
        eui, code = device_identity("imported", "M-3")
        assert devices["M-3"].device_id == f"{eui:016x}"
        assert devices["M-3"].install_code == code.hex()
        assert len(store.list_meters("imported")) == 4
    again = _run("site", "import", str(site_file), "--db", db)  # idempotent
    assert again.exit_code == 0, again.output
    assert _run("site", "import", str(tmp_path / "nope.toml"), "--db", db).exit_code == 2


def test_token_create_with_sites(db: str) -> None:
    assert _run("site", "add", "--db", db, "--id", "b2", "--name", "B2",
                "--time-zone", "UTC").exit_code == 0
    r = _run("token", "create", "--db", db, "--role", "installer", "--site", "b1",
             "--site", "b2")
    assert r.exit_code == 0, r.output
    assert "sites=b1,b2" in r.output
    with open_store(db) as store:
        (row,) = store.list_tokens()
        assert row.site_ids == ("b1", "b2")
    assert "b1,b2" in _run("token", "list", "--db", db).output
    r = _run("token", "create", "--db", db, "--role", "admin", "--site", "nowhere")
    assert r.exit_code == 2
    assert "unknown site 'nowhere'" in r.output
    with open_store(db) as store:
        assert len(store.list_tokens()) == 1


def test_device_commands_refuse_a_missing_store(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    for args in (("device", "list", "--db", str(missing)),
                 ("device", "add", "--db", str(missing), "--site", "b1", "--id", "M-1",
                  "--role", "mdt", "--eui", "70b3d5a000000001", "--install-code", CODE)):
        assert _run(*args).exit_code == 2
    assert not missing.exists()
