"""Authentication that loads the staff profile with the user, so a request costs one look-up fewer.

Every page and API call needs `request.user.staff_profile` (role and service); loading it in
the same SELECT as the user (a reverse one-to-one, so a LEFT JOIN) saves a statement on every
request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from amhp_hub.common.authentication import ExpiringTokenAuthentication, token_expires_at


class StaffModelBackend(ModelBackend):
    """Django's ModelBackend, reading the user and their staff profile in one statement."""

    def get_user(self, user_id: Any) -> Any:
        users = get_user_model()._default_manager.select_related("staff_profile")
        # [:1], not first(): a primary key matches one row, and ordering it would only cost compiling.
        user = next(iter(users.filter(pk=user_id)[:1]), None)
        return user if user is not None and self.user_can_authenticate(user) else None


class StaffTokenAuthentication(ExpiringTokenAuthentication):
    """Expiring token authentication, reading the token, user and staff profile in one statement."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        token = next(iter(Token.objects.select_related("user__staff_profile").filter(key=key)[:1]), None)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if token_expires_at(token) <= timezone.now():
            token.delete()
            raise exceptions.AuthenticationFailed("This token has expired. Ask for a new one.")
        return token.user, token
