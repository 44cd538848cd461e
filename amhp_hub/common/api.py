"""API glue shared by the apps: error translation and role permissions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from amhp_hub.common.errors import ConflictError, RuleError


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This conflicts with the record's current state."
    default_code = "conflict"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn domain errors into the contract's responses: 400 with field messages, 409 on conflicts."""
    if isinstance(exc, RuleError):
        body: dict[str, Any] = dict(exc.message_dict)
        body["errors"] = [{"provision": p, "field": f, "message": m} for p, f, m in exc.violations]
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, ConflictError):
        exc = Conflict(exc.message)
    return drf_exception_handler(exc, context)


class HasRole(permissions.BasePermission):
    """Allow users whose staff role is in the view's `roles` (a dict of action or method to roles).

    A view declares e.g. `roles = {"list": {"consultant", "manager"}, "triage": {"consultant"}}`;
    the key is the viewset action, or for plain views the lower-case HTTP method.
    """

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        profile = getattr(request.user, "staff_profile", None)
        if profile is None:
            return False
        roles: dict[str, set[str]] = getattr(view, "roles", {})
        key = getattr(view, "action", None) or request.method.lower()
        allowed = roles.get(key, roles.get("*"))
        return allowed is not None and profile.role in allowed
