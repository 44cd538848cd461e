"""The AMHP's application page and the documents rendered from the record (HTML and PDF). Thin."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from amhp_hub.common.audit import audit
from amhp_hub.common.errors import ConflictError, RuleError
from amhp_hub.common.web import add_service_errors, role_required
from assessments import application_services, documents, selectors
from assessments.application_forms import ApplicationForm
from assessments.models import Application, Assessment, AssessmentStatus
from referrals.nr_selectors import child_notes, nearest_relative_for
from rota import doctor_selectors
from rota.models import Role

EVERYONE = (Role.CONSULTANT, Role.MANAGER, Role.AMHP)
WORKING = (AssessmentStatus.ACCEPTED, AssessmentStatus.IN_PROGRESS)


def _own(request: HttpRequest, pk: str) -> Assessment:
    profile = request.user.staff_profile  # type: ignore[union-attr]
    return get_object_or_404(selectors.assessment_visible_to(profile).select_related("referral__person"), pk=pk)


def _application(assessment: Assessment) -> Application | None:
    return Application.objects.filter(assessment=assessment).prefetch_related("recommendations").first()


def _directory(assessment: Assessment, application: Application | None) -> list[Any]:
    """The service's directory doctors to choose from, with any the recorded application names (though since
    taken out of the directory), so the form can show what was recorded."""
    doctors = list(doctor_selectors.directory_of(service_id=assessment.service_id))
    recs = application.recommendations.all() if application else []
    missing = {r.directory_doctor_id for r in recs if r.directory_doctor_id is not None} - {d.pk for d in doctors}
    if missing:
        doctors += doctor_selectors.directory_of(service_id=assessment.service_id, active_only=False).filter(
            pk__in=missing
        )
    return doctors


def _initial(application: Application | None) -> dict[str, Any]:
    if application is None:
        return {"signed_at": timezone.localtime().replace(second=0, microsecond=0)}
    initial = ApplicationForm.initial_from(application)
    for key, value in initial.items():
        if key.endswith("_at") and value is not None:
            initial[key] = timezone.localtime(value)
    return initial


@role_required(*EVERYONE)
@require_http_methods(["GET", "POST"])
def application(request: HttpRequest, pk: str) -> HttpResponse:
    """The application: what the Act requires, checked by assessments.application_rules when it is made."""
    assessment = _own(request, pk)
    existing = _application(assessment)
    editable = request.user.staff_profile.role == Role.AMHP and assessment.status in WORKING  # type: ignore[union-attr]
    rule_errors: list[dict[str, str]] = []
    status = 200
    if request.method == "POST":
        if not editable:
            messages.error(request, "Only the allocated AMHP can make the application while the work is open")
            return redirect("assessments:application", pk=assessment.pk)
        form = ApplicationForm(request.POST, directory=_directory(assessment, existing))
        if form.is_valid():
            data, recs = form.service_data()
            try:
                submitted = application_services.application_submit(
                    assessment=assessment, actor=request.user, data=data, recommendations=recs
                )
            except ConflictError as exc:
                messages.error(request, exc.message)
                return redirect("assessments:application", pk=assessment.pk)
            except RuleError as exc:
                rule_errors = [{"provision": p, "field": f, "message": m} for p, f, m in exc.violations]
                form.add_rule_errors(rule_errors)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"Application for {submitted.application.get_section_display()} made: referral "
                    f"{assessment.referral.reference} is now waiting for admission",
                )
                return redirect("assessments:application", pk=assessment.pk)
        status = 400
    else:
        form = ApplicationForm(
            initial=_initial(existing), directory=_directory(assessment, existing) if editable else ()
        )
        audit(actor=request.user, service_id=assessment.service_id, action="view", obj=existing or assessment)
    person = assessment.referral.person
    nearest = nearest_relative_for(person)
    today = timezone.localdate()
    age = person.age_on(today)
    prompts = application_services.prompts_for(existing) if existing else []
    context = {
        "assessment": assessment,
        "referral": assessment.referral,
        "person": person,
        "age": age,
        "child_notes": child_notes(nearest, today),
        "nearest": nearest,
        "application": existing,
        "form": form if editable else None,
        "rule_errors": rule_errors,
        "prompts": prompts,
        "documents": documents.available(assessment, existing, nearest),
    }
    return render(request, "assessments/application.html", context, status=status)


@role_required(*EVERYONE)
def document(request: HttpRequest, pk: str, kind: str, fmt: str = "html") -> HttpResponse:
    """One document rendered from the record, as printable HTML or as PDF."""
    assessment = _own(request, pk)
    existing = _application(assessment)
    nearest = nearest_relative_for(assessment.referral.person)
    if kind not in documents.available(assessment, existing, nearest):
        raise Http404("That document cannot be produced from this record yet")
    html = documents.render_html(kind, assessment=assessment, application=existing, nearest=nearest, request=request)
    audit(
        actor=request.user,
        service_id=assessment.service_id,
        action="export",
        obj=assessment,
        changes={"document": kind, "format": fmt},
    )
    if fmt == "pdf":
        response = HttpResponse(
            documents.pdf_from_html(html, base_url=request.build_absolute_uri("/")), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'inline; filename="{kind}-{assessment.referral.reference}.pdf"'
        return response
    return HttpResponse(html)
