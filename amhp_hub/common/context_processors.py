from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def staff(request: HttpRequest) -> dict[str, Any]:
    """Expose the signed-in user's staff profile and role to every template."""
    if not request.user.is_authenticated:
        return {"staff_profile": None, "role": None}
    profile = getattr(request.user, "staff_profile", None)
    return {"staff_profile": profile, "role": profile.role if profile else None}
