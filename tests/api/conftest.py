"""The browser the widget tests drive: Debian's Chromium through Playwright, never a download."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
# Without the networking flags Chromium keeps calling home, and this machine refuses those calls.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for this module's tests.

    Module-scoped: playwright's sync API runs an event loop on the main thread while it is
    open, and tests after this module call ``asyncio.run``.
    """
    if not Path(CHROMIUM).exists() or not AXE_JS.exists():
        if os.environ.get("CI"):
            pytest.fail(f"browser tests need {CHROMIUM} and {AXE_JS}: .ci/run installs them")
        pytest.skip("chromium or axe-core not installed (see .ci/run)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
