"""The person's nearest relative page: relatives entered once, the s26 result with its reasons, objections,
s29 applications and s13(4) requests. Thin: referrals.nr_services writes, referrals.nr_selectors reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from amhp_hub.common.audit import audit
from amhp_hub.common.web import role_required
from referrals import nr_services
from referrals.nr_forms import ObjectionForm, RelativeForm, RequestForm
from referrals.nr_selectors import child_notes, nearest_relative_for, people_visible_to
from referrals.nr_services import RELATIVE_FIELDS
from rota.models import Role

EVERYONE = (Role.CONSULTANT, Role.MANAGER, Role.AMHP)


@role_required(*EVERYONE)
@require_http_methods(["GET", "POST"])
def nearest_relative(request: HttpRequest, pk: str) -> HttpResponse:
    person = get_object_or_404(people_visible_to(request.user.staff_profile), pk=pk)  # type: ignore[union-attr]
    view = nearest_relative_for(person)
    bound: dict[str, forms.Form] = {}
    status = 200
    if request.method == "POST":
        writes: dict[str, tuple[type[forms.Form], Callable[[Any], object], str]] = {
            "add-relative": (
                RelativeForm,
                lambda f: nr_services.nearest_relative_save(
                    person=person,
                    actor=request.user,
                    relatives=[
                        *({k: getattr(r, k) for k in RELATIVE_FIELDS} for r in view.relatives),
                        f.service_data(),
                    ],
                ),
                "Relative added",
            ),
            "add-objection": (
                ObjectionForm,
                lambda f: nr_services.nearest_relative_save(
                    person=person, actor=request.user, objections=[f.cleaned_data]
                ),
                "Objection recorded",
            ),
            "add-request": (
                RequestForm,
                lambda f: nr_services.nr_request_record(person=person, actor=request.user, **f.cleaned_data),
                "Request recorded",
            ),
        }
        action = next((name for name in writes if name in request.POST), None)
        if action is None:
            messages.error(request, "Choose what to record")
            return redirect("referrals:nearest_relative", pk=person.pk)
        form_class, write, success = writes[action]
        form = form_class(request.POST)
        if form.is_valid():
            try:
                write(form)
            except ValidationError as exc:
                for field, msgs in exc.message_dict.items():
                    for msg in msgs:
                        form.add_error(field if field in form.fields else None, msg)
            else:
                messages.success(request, success)
                return redirect("referrals:nearest_relative", pk=person.pk)
        bound[form.prefix or ""] = form
        status = 400
    else:
        audit(actor=request.user, service_id=person.service_id, action="view", obj=person)
    context = {
        "person": person,
        "nearest": view,
        "age": person.age_on(timezone.localdate()),
        "child_notes": child_notes(view, timezone.localdate()),
        "relative_form": bound.get("relative") or RelativeForm(),
        "objection_form": bound.get("objection") or ObjectionForm(initial={"date": timezone.localdate()}),
        "request_form": bound.get("s13") or RequestForm(initial={"requested_on": timezone.localdate()}),
        "open_form": next(iter(bound), ""),
    }
    return render(request, "referrals/nearest_relative.html", context, status=status)
