"""The police liaison page of a referral: incident number, s136(1C) consultation, handover at the place of safety."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fieldset, Layout, Size
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from amhp_hub.common.forms import LondonDateTimeField, london_datetime
from amhp_hub.common.web import add_service_errors, role_required
from referrals import police, selectors
from referrals.constants import S136Consultee
from referrals.models import Referral
from referrals.police_services import POLICE_FIELDS, referral_record_police
from rota.models import Role


def _dt(label: str) -> LondonDateTimeField:
    # The ambiguous-hour date-time field every form uses (BST or GMT on the night the clocks go back).
    return london_datetime(label)


class PoliceForm(forms.Form):
    police_incident_number = forms.CharField(label="Police incident number", required=False, max_length=40)
    s136_consulted = forms.ChoiceField(
        label="Who the police consulted before detaining (s136(1C))",
        required=False,
        choices=[("", "Not recorded"), *S136Consultee.choices],
    )
    s136_consulted_name = forms.CharField(label="Name of the person consulted", required=False, max_length=120)
    s136_consulted_at = _dt("When they were consulted")
    police_arrived_at = _dt("When the police arrived at the place of safety")
    police_handover_at = _dt("When the police handed over")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("police_incident_number", field_width=20),
            Fieldset(
                Field.select("s136_consulted"),
                Field.text("s136_consulted_name"),
                Field("s136_consulted_at"),
                legend="Consultation before detention",
                legend_size=Size.SMALL,
            ),
            Fieldset(
                Field("police_arrived_at"),
                Field("police_handover_at"),
                legend="Handover at the place of safety",
                legend_size=Size.SMALL,
            ),
            Button("save-police", "Save police liaison"),
        )


def police_summary(referral: Referral) -> dict[str, Any]:
    """What the case and the assessment page show of the police liaison."""
    duration = police.police_handover_duration(referral.police_arrived_at, referral.police_handover_at)
    target = settings.POLICE_HANDOVER_TARGET_MINUTES
    return {
        "duration": duration,
        "target_minutes": target,
        "within_target": police.police_handover_within_target(duration, target_minutes=target),
        "consultation_missing": police.s136_consultation_missing(
            legal_status=referral.legal_status, consulted=referral.s136_consulted
        ),
    }


@role_required(Role.CONSULTANT, Role.MANAGER, Role.AMHP)
@require_http_methods(["GET", "POST"])
def police_liaison(request: HttpRequest, pk: str) -> HttpResponse:
    referral = get_object_or_404(selectors.referrals_visible_to(request.user.staff_profile), pk=pk)  # type: ignore[union-attr]
    initial = {f: getattr(referral, f) for f in POLICE_FIELDS}
    for field in ("s136_consulted_at", "police_arrived_at", "police_handover_at"):
        if initial[field]:
            initial[field] = timezone.localtime(initial[field])
    form = PoliceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            referral_record_police(referral=referral, actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Police liaison saved")
            return redirect("referrals:police", pk=referral.pk)
    status = 400 if request.method == "POST" else 200
    context = {"referral": referral, "form": form, "police": police_summary(referral)}
    return render(request, "referrals/police.html", context, status=status)
