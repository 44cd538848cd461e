"""An AMHP signs in for the first time on a phone: sets up an authenticator, keeps the recovery codes, gets in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from amhp_hub.common import mfa
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.real_mfa, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
def test_first_sign_in_sets_up_an_authenticator(
    width: int, live_server: Any, page: Any, amhp: Any, axe_violations: Any, tmp_path: Path, settings: Any
) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp otherwise makes the next try wait after a wrong code
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username", exact=True).fill(amhp.user.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", name="Set up your authenticator app").is_visible()
    qr = page.get_by_role("img", name="QR code to add AMHP Hub to your authenticator app")
    assert qr.is_visible() and qr.bounding_box()["width"] > 100
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert axe_violations() == []
    page.screenshot(path=str(Path("/tmp") / f"i9-mfa-setup-{width}.png"), full_page=True)

    page.get_by_label("Code from your app").fill("12")
    page.get_by_role("button", name="Confirm").click()
    assert page.get_by_text("There is a problem").is_visible()

    device = TOTPDevice.objects.get(user=amhp.user, confirmed=False)
    page.get_by_label("Code from your app").fill(mfa.current_code(device))
    page.get_by_role("button", name="Confirm").click()
    assert page.get_by_role("heading", name="Recovery codes").is_visible()
    assert page.locator(".app-recovery-codes li").count() == 10
    assert axe_violations() == []
    page.get_by_role("link", name="I have saved my codes").click()
    page.wait_for_load_state()
    assert "/my/allocations/" in page.url
    assert blocked == []
