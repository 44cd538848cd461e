from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from amhp_hub.common import health, sign_in_guard

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
        # The attempt was counted against its address's limits on the way in (SignInRateLimitMiddleware).
        with sign_in_guard.password_check_slot() as free:
            if not free:
                return sign_in_guard.refused(request, sign_in_guard.BUSY, 5)
            return super().post(request, *args, **kwargs)
