"""Fixtures of the dashboard tests: a simulated site in a store, the app, a live server and a
real browser (headless Chromium through selenium).

The browser tests skip outside CI only when Chromium or its driver is missing; in CI
(``CI`` set) a missing browser fails them (``.ci/run`` installs ``chromium`` and
``chromium-driver``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_seed import (
    SCREENSHOTS,
    LiveServer,
    SimSite,
    latest_heard_s,
    seed_statuses,
    simulate,
)

from openamr.headend.api import create_app
from openamr.headend.auth import issue_token
from openamr.headend.store import Store, open_store
from openamr.web import mount_web

CHROMIUM = os.environ.get("OPENAMR_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("OPENAMR_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")


@pytest.fixture(scope="session")
def sim_site(tmp_path_factory: pytest.TempPathFactory) -> SimSite:
    """A 40-MDT, 3-floor site simulated for 3 days (shared: tests copy it before writing)."""
    return simulate(tmp_path_factory.mktemp("sim40"), meters=40, floors=3, days=3)


@pytest.fixture
def store(sim_site: SimSite, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the simulated store, with parent links seeded (see web_seed)."""
    db = tmp_path / "head.db"
    shutil.copy(sim_site.db, db)
    with open_store(str(db)) as opened:
        seed_statuses(opened)
        yield opened


@pytest.fixture
def now_s(store: Store) -> int:
    """'Now' for the pages: 10 minutes after the last thing heard."""
    return latest_heard_s(store) + 600


@pytest.fixture
def tokens(store: Store, now_s: int) -> dict[str, str]:
    return {role: issue_token(store, role, f"{role} test", now_s).secret
            for role in ("admin", "installer", "billing", "read-only")}


@pytest.fixture
def app(store: Store, now_s: int) -> Any:
    application = create_app(store, clock=lambda: now_s, freeze_gc=False)
    mount_web(application)
    return application


@pytest.fixture
def live_server(app: Any) -> Iterator[LiveServer]:
    server = LiveServer(app)
    yield server
    server.close()


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.exists(path) or shutil.which(path)):
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (selenium).  Skips outside CI only when the browser is missing."""
    missing = _browser_missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}, and CI must run the browser tests (.ci/run installs it)")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="openamr-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
