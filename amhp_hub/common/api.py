"""API glue shared by the apps: error translation and role permissions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from amhp_hub.common.errors import ConflictError, RuleError
from amhp_hub.common.versioning import StaleWrite, etag, version_from_if_match


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
    elif isinstance(exc, StaleWrite):
        response = Response(
            {"detail": exc.message, "current_version": exc.current_version, "other_change": exc.other_change},
            status=status.HTTP_409_CONFLICT,
        )
        response["ETag"] = etag(exc.current_version)
        return response
    elif isinstance(exc, ConflictError):
        exc = Conflict(exc.message)
    return drf_exception_handler(exc, context)


def expected_version(request: Request) -> int | None:
    """The version the client read, from If-Match (None without one); a malformed header is a 400."""
    try:
        return version_from_if_match(request.headers.get("If-Match"))
    except ValueError as exc:
        raise exceptions.ValidationError({"If-Match": [str(exc)]}) from exc


def with_etag(response: Response, version: int) -> Response:
    response["ETag"] = etag(version)
    return response


def reject_unknown_fields() -> None:
    """Make every DRF serializer refuse fields it does not know (400), rather than silently drop them.

    A misspelt field in an API body ("statutory_expiry" for "statutory_expires_at") would otherwise be
    ignored and the client would believe it had been saved. Installed once, from CommonConfig.ready().
    """
    if getattr(serializers.Serializer, "_rejects_unknown_fields", False):
        return
    original = serializers.Serializer.to_internal_value

    def to_internal_value(self: serializers.Serializer, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise exceptions.ValidationError({name: ["This field is not recognised."] for name in unknown})
        return original(self, data)

    serializers.Serializer.to_internal_value = to_internal_value  # type: ignore[method-assign]
    serializers.Serializer._rejects_unknown_fields = True  # type: ignore[attr-defined]


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
        key = getattr(view, "action", None) or (request.method or "").lower()
        allowed = roles.get(key, roles.get("*"))
        return allowed is not None and profile.role in allowed
