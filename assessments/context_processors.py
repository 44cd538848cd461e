from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from assessments.notify import unread_badge


def _unread_notifications(user: Any) -> int | str:
    return unread_badge(user=user)


def notifications(request: HttpRequest) -> dict[str, Any]:
    """`unread_notifications` for the navigation, run only if a template uses it.

    One COUNT of at most 100 rows ("99+" beyond), so its cost does not grow with a flood of
    notifications.
    """
    if not request.user.is_authenticated:
        return {}
    user = request.user
    return {"unread_notifications": SimpleLazyObject(lambda: _unread_notifications(user))}
