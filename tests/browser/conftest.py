"""Browser journeys: headless Debian Chromium driven by Playwright against the live test server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body are
# still synchronous, so allow them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

if not shutil.which(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium package)", allow_module_level=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def sign_in(live_server: Any, page: Any) -> Callable[[Any], Any]:
    """Sign a member of staff in through the login page; return the page.

    ON is another page (of a browser context of its own) for a journey with several people at once.
    """
    from tests.conftest import PASSWORD

    def login(profile: Any, on: Any = None) -> Any:
        tab = on or page
        tab.goto(f"{live_server.url}/login/")
        tab.get_by_label("Username", exact=True).fill(profile.user.username)
        tab.get_by_label("Password", exact=True).fill(PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        tab.wait_for_load_state()
        return tab

    return login


@pytest.fixture
def axe_violations(page: Any) -> Callable[[], list[dict[str, Any]]]:
    """Run axe-core (npm package, vendored in static/vendor) on the current page; return serious+ violations.

    ON is another page to check instead (a second person's browser context in the same journey).
    """
    from pathlib import Path

    source = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe.min.js"

    def run(on: Any = None) -> list[dict[str, Any]]:
        tab = on or page
        # From static/, like the page's own scripts: the Content-Security-Policy refuses inline script.
        assert source.exists()
        origin = "/".join(tab.url.split("/", 3)[:3])
        tab.add_script_tag(url=f"{origin}/static/vendor/axe.min.js")
        result = tab.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]

    return run
