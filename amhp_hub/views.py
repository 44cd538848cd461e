"""Project-level pages that span the apps."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from rota.models import Role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to where its work starts: AMHPs to their allocations, the desk to the queue."""
    profile = getattr(request.user, "staff_profile", None)
    if profile is not None and profile.role == Role.AMHP:
        return redirect("assessments:my_allocations")
    if profile is not None and profile.role in (Role.CONSULTANT, Role.MANAGER):
        return redirect("referrals:queue")
    return render(request, "no_role.html", status=403)
