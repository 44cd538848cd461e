"""Page glue shared by the apps: role checks for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse

from amhp_hub.common.throttling import UserRateThrottle


def role_required(*roles: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Let signed-in staff with one of ROLES through; anyone else signed in gets 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            profile = getattr(request.user, "staff_profile", None)
            if profile is None or profile.role not in roles:
                raise PermissionDenied("Your role does not allow this.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on FORM: on the named field, or above the form for any other."""
    for field, messages in exc.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class ExportThrottle(UserRateThrottle):
    """DRF's per-user rate limit, for CSV downloads (THROTTLE_EXPORT, default 60 an hour)."""

    scope = "export"


def export_throttled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse a CSV export with 429 once the user has had their hourly allowance."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        throttle = ExportThrottle()
        if not throttle.allow_request(request, None):
            wait = int(throttle.wait() or 60)
            response = HttpResponse(
                f"Too many downloads: try again in {wait} seconds.\n", status=429, content_type="text/plain"
            )
            response["Retry-After"] = str(wait)
            return response
        return view(request, *args, **kwargs)

    return wrapped
