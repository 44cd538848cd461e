"""API tokens that expire, are revoked when the password changes or the account is switched off,
and are issued only for a username, password and current authentication code (DESIGN.md section 8).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amhp_hub.common import mfa, sign_in_guard
from amhp_hub.common.authentication import token_expires_at
from amhp_hub.common.security import client_ip, lockout_response
from amhp_hub.common.throttling import ScopedRateThrottle


def revoke_on_credential_change(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """pre_save on the user: a new password or a switched-off account ends every API token at once.

    (Sessions end too: Django ties a session to the password hash, and refuses inactive users.)
    """
    if instance.pk is None or (update_fields is not None and not {"password", "is_active"} & set(update_fields)):
        return
    old = type(instance).objects.filter(pk=instance.pk).values("password", "is_active").first()
    if old is None:
        return
    if old["password"] != instance.password or (old["is_active"] and not instance.is_active):
        Token.objects.filter(user_id=instance.pk).delete()


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    otp = serializers.CharField(max_length=32, help_text="The current code from the user's authenticator app")


class ObtainTokenView(APIView):
    """POST /api/v1/auth/token/: `username`, `password` and `otp` give a fresh token that expires."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=TokenRequestSerializer,
        responses=inline_serializer(
            "TokenResponse", {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()}
        ),
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        django_request = request._request
        if sign_in_guard.too_many_attempts(client_ip(django_request)):
            raise exceptions.Throttled(wait=60, detail="Too many sign-in attempts from your network.")
        with sign_in_guard.password_check_slot() as free:
            if not free:
                raise exceptions.Throttled(wait=5, detail="Many people are signing in at once. Try again in a moment.")
            user = authenticate(django_request, username=data["username"], password=data["password"])
        if getattr(django_request, "axes_locked_out", False):
            return lockout_response(django_request)  # type: ignore[return-value]
        if user is None:
            raise exceptions.ValidationError({"non_field_errors": ["Enter a correct username, password and code."]})
        if mfa.confirmed_totp(user) is None:
            raise exceptions.ValidationError(
                {"otp": ["Set up your authenticator by signing in on the web first, then ask for a token."]}
            )
        if not mfa.verify_totp_only(user, data["otp"]):
            user_login_failed.send(sender=__name__, credentials={"username": data["username"]}, request=django_request)
            if getattr(django_request, "axes_locked_out", False):
                return lockout_response(django_request)  # type: ignore[return-value]
            raise exceptions.ValidationError({"otp": ["Enter the current code from your authenticator app."]})
        with transaction.atomic():
            Token.objects.filter(user=user).delete()
            token = Token.objects.create(user=user)
        return Response({"token": token.key, "expires_at": token_expires_at(token)}, status=status.HTTP_200_OK)
