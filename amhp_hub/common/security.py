"""Request-wide security glue: correlation ids, MFA before anything else, session limits,
no-store caching, audit of denied requests, lockout answers, and database faults as clean 503s.

Imports no app: roles are read from the user's `staff_profile` by attribute.
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.cache import patch_cache_control

log = logging.getLogger("amhp_hub.security")

SESSION_AUTH_AT = "auth_at"
SESSION_SEEN_AT = "seen_at"
# The last-seen time is rewritten only when older than this, so most requests write no session.
SEEN_RESOLUTION_SECONDS = 60


@dataclass(frozen=True, slots=True)
class RequestInfo:
    ip: str | None
    correlation_id: str
    channel: str


_request_info: ContextVar[RequestInfo | None] = ContextVar("amhp_request_info", default=None)


def current_request_info() -> RequestInfo | None:
    """Return the IP, correlation id and channel of the request being served, or None outside one."""
    return _request_info.get()


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the proxy's X-Forwarded-For entry when proxies are trusted."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


DB_FAULTS = (OperationalError, InterfaceError)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """A 503 for a database fault (lock or statement timeout, dropped connection): JSON on the API."""
    correlation_id = getattr(request, "correlation_id", "") or uuid.uuid4().hex
    # Throw away connections the fault left unusable, so the next request starts on a fresh one.
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()
    if is_api(request):
        response: HttpResponse = JsonResponse(
            {
                "detail": "The service is busy or briefly unavailable. Nothing was saved; try again in a moment.",
                "code": "database_unavailable",
                "correlation_id": correlation_id,
            },
            status=503,
        )
    else:
        # No request context: the context processors would read the session, from the database at fault.
        html = loader.render_to_string("503.html", {"correlation_id": correlation_id})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = "5"
    response["X-Correlation-ID"] = correlation_id
    patch_cache_control(response, no_store=True)
    return response


class RequestContextMiddleware:
    """Give every request a correlation id (echoed in X-Correlation-ID) and turn database faults into 503s."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_CORRELATION_ID", "")
        request.correlation_id = incoming if incoming.isalnum() and len(incoming) <= 64 else uuid.uuid4().hex
        token = _request_info.set(
            RequestInfo(
                ip=client_ip(request),
                correlation_id=request.correlation_id,
                channel="api" if is_api(request) else "web",
            )
        )
        try:
            response = self.get_response(request)
        finally:
            _request_info.reset(token)
        response["X-Correlation-ID"] = request.correlation_id
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DB_FAULTS):
            log.warning(
                "database fault on %s %s [%s]: %s", request.method, request.path, request.correlation_id, exception
            )
            return database_unavailable(request)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database fault raised outside a view (e.g. loading the session) is a 503 too."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DB_FAULTS):
        return database_unavailable(request)
    if is_api(request):
        return JsonResponse(
            {"detail": "Something went wrong.", "correlation_id": getattr(request, "correlation_id", "")}, status=500
        )
    return HttpResponse(loader.render_to_string("500.html"), status=500)


# --- MFA and session limits ----------------------------------------------------------------------------------------

MFA_EXEMPT_PREFIXES = ("/login/", "/logout/", "/mfa/", "/healthz", "/static/", "/api/v1/auth/token/")


def _exempt(path: str) -> bool:
    return path.startswith(MFA_EXEMPT_PREFIXES) or path == "/favicon.ico"


class SessionLimitMiddleware:
    """End a session after 30 idle minutes, and 12 hours after sign-in whatever the activity."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            signed_in_at = request.session.get(SESSION_AUTH_AT)
            seen_at = float(request.session.get(SESSION_SEEN_AT, signed_in_at or 0))
            expired = (
                signed_in_at is None
                or now - float(signed_in_at) > settings.SESSION_ABSOLUTE_SECONDS
                or now - seen_at > settings.SESSION_IDLE_SECONDS
            )
            if not expired and now - seen_at > SEEN_RESOLUTION_SECONDS:
                request.session[SESSION_SEEN_AT] = now
            if expired:
                logout(request)
                if is_api(request):
                    return JsonResponse({"detail": "Your session has ended. Sign in again."}, status=401)
                return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def has_confirmed_totp(user: Any) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


class MFARequiredMiddleware:
    """No page, API call or admin screen for a signed-in user until they have given a TOTP or recovery code.

    A user with no authenticator yet is sent to enrol (first sign-in); one with an authenticator to verify.
    Token-authenticated API calls are not affected here: the token endpoint itself requires the code.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified() and not _exempt(request.path):
            if is_api(request):
                return JsonResponse({"detail": "Give your authentication code first."}, status=403)
            target = "mfa-verify" if has_confirmed_totp(user) else "mfa-setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def on_user_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Start the 12-hour clock for the session."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_AUTH_AT] = request.session[SESSION_SEEN_AT] = time.time()


# --- caching, denied requests, lockout ------------------------------------------------------------------------------


class NoStoreMiddleware:
    """Pages and API answers may hold patient data: no browser or proxy may keep a copy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"):
            patch_cache_control(response, no_store=True, private=True)
            response.headers.pop("Expires", None)
        return response


class DeniedRequestAuditMiddleware:
    """Write one audit row for every 403 or 404 answered to a signed-in user (and anonymous API 401/403s)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if response.status_code in (401, 403, 404) and (signed_in or is_api(request)) and not _quiet(request.path):
            try:
                record_denied(request, response.status_code)
            except DatabaseError:
                log.exception("could not audit a denied request to %s", request.path)
        return response


def _quiet(path: str) -> bool:
    return path.startswith(("/static/", "/api/v1/auth/token/")) or path == "/favicon.ico"


def record_denied(request: HttpRequest, status_code: int) -> None:
    from amhp_hub.common.audit import audit

    user = getattr(request, "user", None)
    profile = getattr(user, "staff_profile", None) if user is not None and user.is_authenticated else None
    audit(
        actor=user,
        service_id=profile.service_id if profile is not None else None,
        action="denied",
        object_type="request",
        object_id=request.path[:64],
        changes={"method": request.method, "status": status_code},
        outcome="denied",
        channel="api" if is_api(request) else "web",
    )


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Log and audit a failed sign-in with the username tried and the client's address."""
    from amhp_hub.common.audit import audit

    username = str(credentials.get("username", ""))[:150]
    ip = client_ip(request) if request is not None else None
    log.warning("failed sign-in for username=%r from ip=%s", username, ip)
    audit(
        actor=None,
        service_id=None,
        action="sign_in_failed",
        object_type="user",
        object_id=username[:64],
        outcome="failed",
        channel="api" if request is not None and is_api(request) else "web",
        ip=ip,
    )


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes' answer once a username is locked: 429, in JSON on the API."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = f"Too many failed sign-ins for this account. Try again in {minutes} minutes or ask your service manager."
    if is_api(request):
        return JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


def _axes_backend() -> type:
    from axes.backends import AxesStandaloneBackend

    return AxesStandaloneBackend


class LockoutBackend(_axes_backend()):  # type: ignore[misc]
    """django-axes' lockout check for sign-ins that come with a request (web and token endpoint).

    Authentication without a request (operator commands, the shell) has no client to lock out and skips it.
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> Any:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
