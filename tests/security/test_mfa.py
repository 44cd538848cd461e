"""MFA: enrolment at first sign-in, a code at every sign-in, recovery codes, replay refused, /admin/, tokens."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from amhp_hub.common import mfa
from tests.conftest import PASSWORD, TEST_TOTP_SECRET

pytestmark = pytest.mark.real_mfa


def sign_in(client: Client, username: str) -> Any:
    return client.post("/login/", {"username": username, "password": PASSWORD})


def test_first_sign_in_enrols_an_authenticator_before_any_patient_data(consultant: Any, settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp otherwise delays the next try after a wrong code
    client = Client()
    response = sign_in(client, consultant.user.username)
    assert response.status_code == 302
    # Nothing with patient data before the second factor: the queue sends the user to enrol.
    queue = client.get("/queue/")
    assert queue.status_code == 302 and queue["Location"].startswith("/mfa/setup/")
    assert client.get("/api/v1/queue/").status_code == 403
    setup = client.get("/mfa/setup/")
    assert setup.status_code == 200
    assert 'src="data:image/svg+xml' in setup.content.decode()
    device = TOTPDevice.objects.get(user=consultant.user, confirmed=False)
    assert (
        client.post("/mfa/setup/", {"code": "000000" if mfa.current_code(device) != "000000" else "111111"}).status_code
        == 400
    )
    done = client.post("/mfa/setup/", {"code": mfa.current_code(device), "next": "/queue/"})
    assert done.status_code == 302 and done["Location"].startswith("/mfa/recovery-codes/")
    codes_page = client.get(done["Location"]).content.decode()
    assert codes_page.count("<code>") == 10
    assert client.get("/queue/").status_code == 200


def test_every_later_sign_in_asks_for_a_code_and_a_replayed_code_fails(consultant: Any) -> None:
    device = mfa.provision_totp(consultant.user, TEST_TOTP_SECRET)
    code = mfa.current_code(device)
    first = Client()
    sign_in(first, consultant.user.username)
    assert first.get("/queue/")["Location"].startswith("/mfa/verify/")
    assert first.post("/mfa/verify/", {"code": code, "next": "/queue/"})["Location"] == "/queue/"
    assert first.get("/queue/").status_code == 200
    # Someone who saw that code cannot use it again.
    second = Client()
    sign_in(second, consultant.user.username)
    replay = second.post("/mfa/verify/", {"code": code})
    assert replay.status_code == 400
    assert second.get("/queue/").status_code == 302


def test_a_recovery_code_works_once_in_place_of_the_authenticator(consultant: Any) -> None:
    mfa.provision_totp(consultant.user, TEST_TOTP_SECRET)
    codes = mfa.issue_recovery_codes(consultant.user)
    client = Client()
    sign_in(client, consultant.user.username)
    assert client.post("/mfa/verify/", {"code": codes[0]}).status_code == 302
    assert client.get("/queue/").status_code == 200
    again = Client()
    sign_in(again, consultant.user.username)
    assert again.post("/mfa/verify/", {"code": codes[0]}).status_code == 400


def test_admin_needs_the_second_factor_too(db: Any) -> None:
    admin = get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    device = mfa.provision_totp(admin, TEST_TOTP_SECRET)
    client = Client()
    client.post("/login/", {"username": "root", "password": PASSWORD})
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/mfa/verify/")
    client.post("/mfa/verify/", {"code": mfa.current_code(device)})
    assert client.get("/admin/").status_code == 200


def test_token_endpoint_takes_username_password_and_current_code(consultant: Any) -> None:
    device = mfa.provision_totp(consultant.user, TEST_TOTP_SECRET)
    api = APIClient()
    url = "/api/v1/auth/token/"
    body = {"username": consultant.user.username, "password": PASSWORD}
    assert api.post(url, body).status_code == 400  # no code
    assert api.post(url, {**body, "otp": "12345x"}).status_code == 400
    code = mfa.current_code(device)
    response = api.post(url, {**body, "otp": code})
    assert response.status_code == 200 and response.json()["token"] and response.json()["expires_at"]
    assert api.post(url, {**body, "otp": code}).status_code == 400  # the same code again
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get("/api/v1/queue/").status_code == 200


def test_add_staff_provisions_a_known_secret_and_demo_otp_prints_its_code(db: Any) -> None:
    call_command(
        "add_staff",
        "ops1",
        "--service",
        "S",
        "--role",
        "consultant",
        "--password",
        PASSWORD,
        "--totp-secret",
        TEST_TOTP_SECRET,
        stdout=StringIO(),
    )
    user = get_user_model().objects.get(username="ops1")
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    out = StringIO()
    call_command("demo_otp", "ops1", stdout=out)
    # The code an authenticator app computes from the same base32 secret (RFC 6238, 30 s steps).
    import base64

    expected = TOTP(base64.b32decode(TEST_TOTP_SECRET)).token()
    assert out.getvalue().strip() == f"{expected:06d}"
    assert device.verify_token(out.getvalue().strip())
    with pytest.raises(Exception, match="base32"):
        call_command(
            "add_staff",
            "ops2",
            "--service",
            "S",
            "--role",
            "consultant",
            "--password",
            PASSWORD,
            "--totp-secret",
            "not base32!",
            stdout=StringIO(),
        )
