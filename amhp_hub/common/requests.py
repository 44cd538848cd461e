"""Request types for signed-in staff, so views and API code can use ``request.user`` as a ``User``.

Every page and endpoint that reads ``request.user.staff_profile`` sits behind ``role_required``
or the API's ``IsStaff``-style permissions, so the user there is never anonymous.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.request import Request

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails


class StaffRequest(HttpRequest):
    """A page request from a signed-in member of staff (with django-htmx's details)."""

    user: User
    htmx: HtmxDetails


class StaffAPIRequest(Request):
    """An API request from an authenticated member of staff."""

    user: User
