"""Fixtures of the dashboard tests: the app served by uvicorn on 127.0.0.1 and a real headless
Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright. Without Chromium the browser tests
skip, or fail when ``SOUNDING_REQUIRE_CHROMIUM=1`` (scripts/test.sh sets it). The demo data
(``demo_db``, ``demo_copy``) comes from tests/conftest.py, shared with the other folders.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="session", autouse=True)
def _config_dir(tmp_path_factory):
    """The signing key of tokens goes to a throwaway config directory, not the user's."""
    path = tmp_path_factory.mktemp("web-config")
    old = os.environ.get("SOUNDING_CONFIG_DIR")
    os.environ["SOUNDING_CONFIG_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("SOUNDING_CONFIG_DIR", None)
    else:
        os.environ["SOUNDING_CONFIG_DIR"] = old


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("SOUNDING_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"SOUNDING_REQUIRE_CHROMIUM=1 but {CHROMIUM} is missing (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


class Watched:
    """A page whose console errors, failed requests and uncaught exceptions are collected."""

    def __init__(self, context) -> None:
        self.page = context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def watched(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield Watched(context)
    context.close()
