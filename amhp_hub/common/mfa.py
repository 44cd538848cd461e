"""Multi-factor sign-in (django-otp): a TOTP authenticator per user, with one-off recovery codes.

A user with no authenticator enrols at first sign-in (a QR code, then one code to confirm it) and is
shown ten recovery codes once. Every later sign-in asks for a current code or one recovery code.
django-otp refuses a TOTP code that was already used (it keeps the last time step accepted).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django_otp import login as otp_login
from django_otp.middleware import OTPMiddleware
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from amhp_hub.common.statements import Statement

TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def hex_key_from_base32(secret: str) -> str:
    """Return the hex key django-otp stores for a BASE32 secret (as authenticator apps show it).

    Raise ValueError when SECRET is not base32 or is shorter than 80 bits (RFC 4226 asks for 128; 80 is the floor).
    """
    cleaned = secret.replace(" ", "").upper()
    padded = cleaned + "=" * (-len(cleaned) % 8)
    try:
        raw = base64.b32decode(padded)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("The TOTP secret must be base32 (letters A-Z and digits 2-7)") from exc
    if len(raw) < 10:
        raise ValueError("The TOTP secret must be at least 16 base32 characters (80 bits)")
    return raw.hex()


def base32_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


@transaction.atomic
def provision_totp(user: Any, secret_base32: str) -> TOTPDevice:
    """Give USER a confirmed authenticator with a known secret, replacing any other (operators, demo, tests)."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(
        user=user, name=TOTP_DEVICE_NAME, key=hex_key_from_base32(secret_base32), confirmed=True
    )


@transaction.atomic
def provision_demo_totp(user_ids: Any, secret_base32: str) -> int:
    """Give each listed user a confirmed authenticator with the fixed demo secret (demo data only)."""
    ids = list(user_ids)
    TOTPDevice.objects.filter(user_id__in=ids).delete()
    key = hex_key_from_base32(secret_base32)
    TOTPDevice.objects.bulk_create(
        [TOTPDevice(user_id=uid, name=TOTP_DEVICE_NAME, key=key, confirmed=True) for uid in ids]
    )
    return len(ids)


def pending_device(user: Any) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled (created on first call, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def confirmed_totp(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def current_code(device: TOTPDevice) -> str:
    """The code an authenticator would show now for DEVICE (demo and operator use only)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def qr_data_uri(device: TOTPDevice) -> str:
    """The enrolment QR code as an SVG data URI (an <img>, so no inline script or style)."""
    import segno

    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


@transaction.atomic
def issue_recovery_codes(user: Any) -> list[str]:
    """Replace USER's recovery codes with new ones and return them (shown once, stored as single-use tokens)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    # 10 hex digits (40 bits) each, shown as two groups of five; django-otp stores up to 16 characters.
    codes = [f"{h[:5]}-{h[5:]}" for h in (secrets.token_hex(5) for _ in range(settings.MFA_RECOVERY_CODES))]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def verify(request: Any, user: Any, code: str) -> bool:
    """Check CODE (TOTP or recovery) for USER; on success mark the session verified.

    A failure counts as a failed sign-in for the username (django-axes locks after five).
    """
    code = code.strip().replace(" ", "")
    device: Any = None
    if code.isdigit():
        candidate = confirmed_totp(user)
        if candidate is not None and candidate.verify_token(code):
            device = candidate
    elif code:
        for candidate in StaticDevice.objects.filter(user=user, confirmed=True):
            if candidate.verify_token(code.lower()):
                device = candidate
                break
    if device is None:
        user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
        return False
    if request is not None and hasattr(request, "session"):
        otp_login(request, device)
    return True


def verify_totp_only(user: Any, code: str) -> bool:
    """Check a TOTP code for USER without a session (the token endpoint)."""
    device = confirmed_totp(user)
    code = (code or "").strip()
    if device is not None and code.isdigit() and device.verify_token(code):
        return True
    for static in StaticDevice.objects.filter(user=user, confirmed=True):
        if code and static.verify_token(code.lower()):
            return True
    return False


# Every signed-in page reads the device the session was verified with: compiled once per thread
# (amhp_hub.common.statements). The same rows as django-otp's Device.from_persistent_id.
_DEVICES: dict[str, Statement[Any]] = {
    label: Statement(lambda pk, model=model: model.objects.filter(id=pk).order_by("pk")[:1])
    for label, model in (("otp_totp.totpdevice", TOTPDevice), ("otp_static.staticdevice", StaticDevice))
}


class StaffOTPMiddleware(OTPMiddleware):
    """django-otp's OTPMiddleware, reading a TOTP or recovery-code device through a compiled statement."""

    def _device_from_persistent_id(self, persistent_id: str) -> Any:
        persistent_id = self._normalize_persistent_id(persistent_id)
        model_label, _, device_id = persistent_id.rpartition("/")
        statement = _DEVICES.get(model_label)
        if statement is None or not device_id.isdigit():
            return super()._device_from_persistent_id(persistent_id)
        rows = statement.run(pk=int(device_id))
        return rows[0] if rows else None
