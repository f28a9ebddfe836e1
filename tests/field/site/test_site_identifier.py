from __future__ import annotations

from pathlib import Path

from openamr.field.site import load_site, write_site

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "small-building.toml"


def test_site_id_defaults_to_a_url_safe_name(tmp_path: Path) -> None:
    site = load_site(EXAMPLE)
    assert site.id is None
    assert site.site_id == "small-building"


def test_an_explicit_site_id_is_kept_and_written_back(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("[site]\n", '[site]\nid = "bldg-7"\n', 1)
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    site = load_site(path)
    assert site.site_id == "bldg-7"
    out = tmp_path / "again.toml"
    write_site(site, out)
    assert load_site(out).site_id == "bldg-7"
