from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _unread_notifications(user: Any) -> int:
    from assessments.models import Notification

    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def staff(request: HttpRequest) -> dict[str, Any]:
    """Expose the signed-in user's staff profile and role to every template.

    `unread_notifications` is one COUNT, run only if a template uses it.
    """
    if not request.user.is_authenticated:
        return {"staff_profile": None, "role": None}
    profile = getattr(request.user, "staff_profile", None)
    user = request.user
    return {
        "staff_profile": profile,
        "role": profile.role if profile else None,
        "unread_notifications": SimpleLazyObject(lambda: _unread_notifications(user)),
    }
