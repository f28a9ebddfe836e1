"""Site survey: predicted margins agree with the coverage check; proposed repeaters lift every
MDT of a site with metal boxes above the margin."""

from __future__ import annotations

import numpy as np
import pytest

from openamr.field.radio import Placement
from openamr.field.site.check import coverage
from openamr.field.site.generate import generate_site
from openamr.field.site.model import Site
from openamr.field.site.survey import survey_site


@pytest.fixture(scope="module")
def boxed() -> Site:
    """120 MDTs, one repeater, 20 % of the MDTs inside metal boxes."""
    return generate_site(120, 4, repeaters=1, seed=3, metal_box_ratio=0.2)


def test_margins_agree_with_the_coverage_check(boxed: Site) -> None:
    sv = survey_site(boxed, 20.0)
    cov = coverage(boxed, k_nearest=2)  # DCAP and the repeater: every relay
    mdt = [link for link in sv.links if link.role == "mdt"]
    ids = [boxed.dcap.id] + [r.id for r in boxed.repeaters]
    usable = cov.best_margin_db >= boxed.radio.usable_margin_db  # exact there (see check.py)
    got = np.array([link.margin_db for link in mdt])
    assert np.allclose(got[usable], cov.best_margin_db[usable], atol=0.06)
    assert [link.parent_id for link, ok in zip(mdt, usable, strict=True) if ok] == \
        [ids[i] for i, ok in zip(cov.best_relay, usable, strict=True) if ok]


def test_metal_boxes_are_below_the_margin_and_the_proposals_fix_them(boxed: Site) -> None:
    sv = survey_site(boxed, 20.0)
    boxed_ids = {m.id for m in boxed.meters if m.placement is Placement.METAL_BOX}
    assert sv.below_margin, "the metal boxes must show below the margin"
    assert set(sv.below_margin) <= boxed_ids
    assert sv.proposed_repeaters
    assert sv.still_below == ()
    served = {m for p in sv.proposed_repeaters for m in p.serves}
    assert set(sv.below_margin) <= served
    # independently: the coverage check of the site with the repeaters added
    fixed = sv.site_with_proposed(boxed)
    cov = coverage(fixed, k_nearest=len(fixed.repeaters) + 1)
    assert float(cov.best_margin_db.min()) >= 20.0
    assert (cov.hops >= 0).all()
    for p in sv.proposed_repeaters:
        assert p.margin_db >= 20.0
        assert 0 <= p.floor < boxed.building.floors


def test_a_site_already_above_the_margin_needs_nothing() -> None:
    site = generate_site(30, 2, seed=1)
    sv = survey_site(site, 10.0)
    assert sv.below_margin == ()
    assert sv.proposed_repeaters == ()
    assert len(sv.links) == len(site.devices)


def test_an_unreachable_margin_stops_at_the_limit() -> None:
    site = generate_site(20, 1, seed=2, near_metal_ratio=0.0, metal_box_ratio=1.0)
    sv = survey_site(site, 95.0, max_repeaters=2)
    assert len(sv.proposed_repeaters) <= 2
    assert sv.still_below
