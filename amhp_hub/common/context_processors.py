from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _unread_notifications(user: Any) -> int | str:
    from assessments.notify import unread_badge

    return unread_badge(user=user)


def staff(request: HttpRequest) -> dict[str, Any]:
    """Expose the signed-in user's staff profile and role to every template.

    `unread_notifications` is one COUNT of at most 100 rows ("99+" beyond), run only if a
    template uses it, so its cost does not grow with a flood of notifications.
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
