"""Doctor directory pages: the list with who is likely available now, and adding or editing an entry."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from amhp_hub.common.web import add_service_errors, role_required
from rota import doctor_selectors, doctor_services
from rota.doctor_forms import DoctorForm, windows_text
from rota.models import DirectoryDoctor, Role

DESK = (Role.CONSULTANT, Role.MANAGER)


@role_required(Role.CONSULTANT, Role.MANAGER, Role.AMHP)
def directory(request: HttpRequest) -> HttpResponse:
    profile = request.user.staff_profile  # type: ignore[union-attr]
    now = timezone.now()
    rows = doctor_selectors.directory_rows(service_id=profile.service_id, at=now, likely_first=True)
    return render(request, "doctors/list.html", {"rows": rows, "now": now, "can_edit": profile.role in DESK})


@role_required(*DESK)
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    profile = request.user.staff_profile  # type: ignore[union-attr]
    doctor = get_object_or_404(DirectoryDoctor, pk=pk, service_id=profile.service_id) if pk else None
    initial = {}
    if doctor is not None:
        initial = {
            "name": doctor.name,
            "gmc_number": doctor.gmc_number,
            "s12_approved": doctor.s12_approved,
            "s12_approval_expires_on": doctor.s12_approval_expires_on,
            "languages": ", ".join(doctor.languages),
            "areas": ", ".join(doctor.areas),
            "availability": windows_text(doctor.availability),
            "phone": doctor.phone,
            "email": doctor.email,
        }
    form = DoctorForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if doctor is None:
                saved = doctor_services.doctor_create(
                    service_id=profile.service_id, actor=request.user, data=form.cleaned_data
                )
            else:
                saved = doctor_services.doctor_update(doctor=doctor, actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{saved.name} saved in the directory")
            return redirect("doctors:list")
    status = 400 if request.method == "POST" else 200
    return render(request, "doctors/edit.html", {"form": form, "doctor": doctor}, status=status)
