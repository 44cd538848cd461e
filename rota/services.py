"""Writes to services and staff."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from rota.models import Role, Service, StaffProfile


def service_get_or_create(*, name: str) -> Service:
    name = name.strip()
    if not name:
        raise ValidationError({"service": ["Enter the service's name"]})
    service, _ = Service.objects.get_or_create(name=name, defaults={"slug": slugify(name)[:120] or "service"})
    return service


@transaction.atomic
def staff_create(
    *,
    username: str,
    service: Service,
    role: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    check_password: bool = True,
    **profile: Any,
) -> StaffProfile:
    """Create a user with ROLE in SERVICE. Raise ValidationError on a taken username, bad role or weak password."""
    User = get_user_model()
    errors: dict[str, list[str]] = {}
    if role not in Role.values:
        errors["role"] = [f"Choose one of: {', '.join(Role.values)}"]
    if User.objects.filter(username=username).exists():
        errors["username"] = [f"A user called {username!r} already exists"]
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    return StaffProfile.objects.create(user=user, service=service, role=role, **profile)
