from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from amhp_hub.common import health
from amhp_hub.common.security import client_ip

# Seams for the checks, so a test can point one at a broken database or broker.
HEALTH_CONNECTION: Any = None


def celery_app() -> Any:
    from amhp_hub.celery import app

    return app


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The database, the broker, a worker's answer and beat's heartbeat: 200 when all are fine, else 503."""
    checks = health.run_checks(celery_app(), HEALTH_CONNECTION)
    healthy = all(ok for ok, _ in checks.values())
    body = {
        "status": "ok" if healthy else "unhealthy",
        "checks": {k: {"ok": ok, "detail": d} for k, (ok, d) in checks.items()},
    }
    return JsonResponse(body, status=200 if healthy else 503)


class SignInView(auth_views.LoginView):
    """Django's sign-in page, with sign-in attempts from one address limited before any password is checked.

    A guesser cannot tie up the servers with password hashing (django-axes locks the username as well).
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit = settings.SIGN_IN_ATTEMPTS_PER_MINUTE
        key = f"sign-in-rate:{client_ip(request)}"
        cache.add(key, 0, timeout=60)
        try:
            attempts = cache.incr(key)
        except ValueError:
            attempts = 1
        if attempts > limit:
            response = render(
                request,
                "registration/locked_out.html",
                {"message": "Too many sign-in attempts from your network. Wait a minute and try again."},
                status=429,
            )
            response["Retry-After"] = "60"
            return response
        return super().post(request, *args, **kwargs)
