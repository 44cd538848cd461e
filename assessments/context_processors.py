from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from assessments.models import Notification


def _unread_notifications(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications(request: HttpRequest) -> dict[str, Any]:
    """`unread_notifications` for the navigation: one COUNT, run only if a template uses it."""
    if not request.user.is_authenticated:
        return {}
    user = request.user
    return {"unread_notifications": SimpleLazyObject(lambda: _unread_notifications(user))}
