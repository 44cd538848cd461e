"""Managers' staff page: who has an account in the service, and switching off a leaver's account."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from amhp_hub.common.web import role_required
from rota import services
from rota.models import Role, StaffProfile


@role_required(Role.MANAGER)
def staff_list(request: HttpRequest) -> HttpResponse:
    people = (
        StaffProfile.objects.filter(service_id=request.user.staff_profile.service_id)
        .select_related("user")
        .order_by("-user__is_active", "role", "user__last_name", "user__first_name", "pk")
    )
    return render(request, "rota/staff.html", {"people": people})


@role_required(Role.MANAGER)
@require_POST
def staff_deactivate(request: HttpRequest, pk: str) -> HttpResponse:
    profile = get_object_or_404(
        StaffProfile.objects.select_related("user"), pk=pk, service_id=request.user.staff_profile.service_id
    )
    try:
        services.staff_deactivate(actor=request.user, profile=profile)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{profile.display_name}'s account is switched off: they are signed out everywhere")
    return redirect("rota:staff")
