"""Authentication that loads the staff profile with the user, so a request costs one look-up fewer.

Every page and API call needs `request.user.staff_profile` (role and service); loading it in
the same SELECT as the user (a reverse one-to-one, so a LEFT JOIN) saves a statement on every
request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from amhp_hub.common.authentication import ExpiringTokenAuthentication, token_expires_at
from amhp_hub.common.statements import Statement

# Every page reads its user, and every API call its token: compiled once per thread (amhp_hub.common.statements).
# [:1], not first(): a key matches one row, and ordering it would only cost compiling.
_SESSION_USER: Statement[Any] = Statement(
    lambda pk: get_user_model()._default_manager.select_related("staff_profile").filter(pk=pk)[:1]
)
_TOKEN: Statement[Token] = Statement(
    lambda key: Token.objects.select_related("user__staff_profile").filter(key=key)[:1]
)


class StaffModelBackend(ModelBackend):
    """Django's ModelBackend, reading the user and their staff profile in one statement."""

    def get_user(self, user_id: Any) -> Any:
        try:
            pk = get_user_model()._meta.pk.to_python(user_id)  # the session keeps it as text
        except ValidationError:
            return None
        user = next(iter(_SESSION_USER.run(pk=pk)), None)
        return user if user is not None and self.user_can_authenticate(user) else None


class StaffTokenAuthentication(ExpiringTokenAuthentication):
    """Expiring token authentication, reading the token, user and staff profile in one statement."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        token = next(iter(_TOKEN.run(key=key)), None)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if token_expires_at(token) <= timezone.now():
            token.delete()
            raise exceptions.AuthenticationFailed("This token has expired. Ask for a new one.")
        return token.user, token
