"""Pages for the second sign-in step: enrol an authenticator, give a code, see recovery codes once."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from amhp_hub.common import mfa

RECOVERY_SESSION_KEY = "mfa_new_recovery_codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=32,
        strip=True,
        error_messages={"required": "Enter the code from your authenticator app, or a recovery code"},
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return target


@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """First sign-in: show the QR code and secret of a new authenticator; one correct code confirms it."""
    if mfa.confirmed_totp(request.user) is not None:
        return redirect(f"/mfa/verify/?next={_next(request)}")
    device = mfa.pending_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].replace(" ", "")
        if code.isdigit() and device.verify_token(code):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            mfa.otp_login(request, device)
            request.session[RECOVERY_SESSION_KEY] = mfa.issue_recovery_codes(request.user)
            return redirect(f"/mfa/recovery-codes/?next={_next(request)}")
        form.add_error("code", "That code is not right. Enter the 6-digit code your app shows now")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "qr": mfa.qr_data_uri(device), "secret": mfa.base32_secret(device), "next": _next(request)}
    return render(request, "mfa/setup.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Every sign-in: a current code from the authenticator, or one recovery code."""
    if mfa.confirmed_totp(request.user) is None:
        return redirect(f"/mfa/setup/?next={_next(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.verify(request, request.user, form.cleaned_data["code"]):
            return redirect(_next(request))
        if getattr(request, "axes_locked_out", False):
            from django.contrib.auth import logout

            from amhp_hub.common.security import lockout_response

            logout(request)
            return lockout_response(request)
        form.add_error("code", "That code is not right, or was already used. Enter the code your app shows now")
    status = 400 if request.method == "POST" else 200
    return render(request, "mfa/verify.html", {"form": form, "next": _next(request)}, status=status)


@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Show newly issued recovery codes once; a verified user may issue a new set (the old ones stop working)."""
    if not request.user.is_verified():
        return redirect("/mfa/verify/")
    if request.method == "POST":
        request.session[RECOVERY_SESSION_KEY] = mfa.issue_recovery_codes(request.user)
        return redirect("/mfa/recovery-codes/")
    codes = request.session.pop(RECOVERY_SESSION_KEY, None)
    return render(request, "mfa/recovery_codes.html", {"codes": codes, "next": _next(request)})
