"""Forms for the assessment record pages. Rules live in assessments.services; these only parse input."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Button, Field, Fieldset, Layout, Size
from django import forms
from django.db.models import QuerySet

from amhp_hub.common.forms import LondonDateTimeField, london_datetime
from assessments import services
from assessments.models import (
    MANUAL_DELAY_REASONS,
    NearestRelativeAction,
    Outcome,
    RequestKind,
    RequestOutcome,
    TimelineEvent,
)
from assessments.services import RECORDABLE_EVENTS
from rota.forms import GovukForm, StaffChoiceField
from rota.models import StaffProfile


def _dt(label: str, *, required: bool = False, help_text: str = "") -> LondonDateTimeField:
    return london_datetime(label, required=required, help_text=help_text)


def _helper(*fields: Any) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(*fields)
    return helper


class EventForm(forms.Form):
    kind = forms.ChoiceField(
        label="What happened",
        choices=[("", "Choose what happened"), *[(k, TimelineEvent.Kind(k).label) for k in RECORDABLE_EVENTS]],
        error_messages={"required": "Choose what happened"},
    )
    at = _dt("When it happened", required=True)
    note = forms.CharField(label="Note (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "event")
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.select("kind"), Field("at"), Field.textarea("note"), Button("add-event", "Add event")
        )


class RecordForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", required=False, choices=[("", "Not decided yet"), *Outcome.choices])
    outcome_notes = forms.CharField(
        label="Outcome notes",
        required=False,
        max_length=services.NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    learning_disability = forms.BooleanField(
        label="The mental disorder relied on is a learning disability", required=False
    )
    abnormally_aggressive_or_seriously_irresponsible = forms.BooleanField(
        label="It is associated with abnormally aggressive or seriously irresponsible conduct", required=False
    )
    nearest_relative_action = forms.ChoiceField(
        label="Nearest relative", choices=NearestRelativeAction.choices, initial=NearestRelativeAction.NOT_YET
    )
    nearest_relative_notes = forms.CharField(
        label="Nearest relative notes",
        required=False,
        max_length=services.NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    delay_reasons = forms.MultipleChoiceField(
        label="Other delays",
        help_text="Waits for doctors, beds, conveyance and police come from the requests logged above",
        required=False,
        choices=[(r.value, r.label) for r in MANUAL_DELAY_REASONS],
        widget=forms.CheckboxSelectMultiple,
    )
    seen_at = _dt("When the person was seen")
    application_signed_at = _dt("When the application was signed")
    bed_found_at = _dt("When a bed was found")
    conveyed_at = _dt("When the person was conveyed")
    work_started_at = _dt("When work started")
    work_ended_at = _dt("When work ended")
    hours_worked = forms.DecimalField(
        label="Hours worked",
        required=False,
        min_value=0,
        max_digits=5,
        decimal_places=2,
        help_text="Leave blank to work it out from when work started and ended",
        error_messages={"invalid": "Enter hours worked as a number, like 3.5"},
    )
    # The version of the record this form showed: a save over someone else's newer change is refused.
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "record")
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field("version"),
            Fieldset(
                Field.select("outcome"),
                Field.textarea("outcome_notes"),
                legend="Outcome",
                legend_size=Size.SMALL,
            ),
            Fieldset(
                HTML(
                    '<p class="govuk-body">For an agreement to a community treatment order or to its revocation '
                    "(s1(2A), s1(2B)).</p>"
                ),
                Field.checkbox("learning_disability"),
                Field.checkbox("abnormally_aggressive_or_seriously_irresponsible"),
                legend="Learning disability",
                legend_size=Size.SMALL,
            ),
            Fieldset(
                Field.select("nearest_relative_action"),
                Field.textarea("nearest_relative_notes"),
                legend="Nearest relative",
                legend_size=Size.SMALL,
            ),
            Field.checkboxes("delay_reasons", legend_size=Size.SMALL, small=True),
            Fieldset(
                Field("seen_at"),
                Field("application_signed_at"),
                Field("bed_found_at"),
                Field("conveyed_at"),
                legend="Key times",
                legend_size=Size.SMALL,
            ),
            Fieldset(
                Field("work_started_at"),
                Field("work_ended_at"),
                Field.text("hours_worked", field_width=5),
                legend="Hours worked",
                legend_size=Size.SMALL,
            ),
            Button("save-record", "Save the record"),
        )

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if data.get("hours_worked") is None:
            data.pop("hours_worked", None)
        return data


class DoctorForm(forms.Form):
    directory_doctor = forms.TypedChoiceField(
        label="From the directory", required=False, coerce=int, empty_value=None, choices=[("", "Not in the directory")]
    )
    name = forms.CharField(
        label="Doctor's name",
        max_length=120,
        required=False,
        help_text="Leave blank when you chose a doctor from the directory",
    )
    s12_approved = forms.BooleanField(label="Section 12 approved", required=False)
    previous_acquaintance = forms.BooleanField(label="Knew the person before", required=False)
    examined_at = _dt("When the doctor examined the person")
    recommendation_signed = forms.BooleanField(label="Medical recommendation signed", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "doctor")
        directory = kwargs.pop("directory", ())
        super().__init__(*args, **kwargs)
        self.directory = {d.pk: d for d in directory}
        cast(forms.ChoiceField, self.fields["directory_doctor"]).choices = [
            ("", "Not in the directory"),
            *[(d.pk, f"{d.name} (GMC {d.gmc_number})") for d in self.directory.values()],
        ]
        self.helper = _helper(
            Field.select("directory_doctor"),
            Field.text("name"),
            Field.checkbox("s12_approved"),
            Field.checkbox("previous_acquaintance"),
            Field("examined_at"),
            Field.checkbox("recommendation_signed"),
            Button("add-doctor", "Add doctor"),
        )

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # a Form's clean() returns cleaned_data
        chosen = self.directory.get(data.get("directory_doctor")) if data.get("directory_doctor") else None
        data["directory_doctor"] = chosen
        if chosen is not None and not data.get("s12_approved"):
            data["s12_approved"] = None  # the directory's approval and its expiry decide
        if chosen is None and not (data.get("name") or "").strip():
            self.add_error("name", "Enter the doctor's name, or choose one from the directory")
        return data


class RequestForm(forms.Form):
    """Log a request: a call to a doctor, a bed, an ambulance, police, an interpreter, a warrant."""

    kind = forms.ChoiceField(
        label="What was requested",
        choices=[("", "Choose what was requested"), *RequestKind.choices],
        error_messages={"required": "Choose what was requested"},
    )
    doctor = forms.TypedChoiceField(
        label="Doctor from the directory", required=False, coerce=int, empty_value=None, choices=[("", "None")]
    )
    to = forms.CharField(
        label="Who was asked", required=False, max_length=200, help_text="A name, bed manager or control room"
    )
    requested_at = _dt("When it was requested", required=True)
    outcome = forms.ChoiceField(label="Request outcome", choices=RequestOutcome.choices, initial=RequestOutcome.PENDING)
    arrived_at = _dt("When it arrived (if it has)")
    ward = forms.CharField(label="Ward offered (beds)", required=False, max_length=120)
    out_of_area = forms.TypedChoiceField(
        label="Out of area (beds)",
        required=False,
        coerce=lambda v: v == "yes",
        empty_value=None,
        choices=[("", "Not known"), ("no", "No, in area"), ("yes", "Yes, out of area")],
    )
    notes = forms.CharField(label="Notes (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "request")
        directory = kwargs.pop("directory", ())
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["doctor"]).choices = [("", "None"), *[(d.pk, d.name) for d in directory]]
        self.helper = _helper(
            Field.select("kind"),
            Field.select("doctor"),
            Field.text("to"),
            Field("requested_at"),
            Field.select("outcome"),
            Field("arrived_at"),
            Field.text("ward"),
            Field.select("out_of_area"),
            Field.textarea("notes"),
            Button("add-request", "Log request"),
        )


class RequestUpdateForm(forms.Form):
    outcome = forms.ChoiceField(label="Request outcome", choices=RequestOutcome.choices)
    arrived_at = _dt("When it arrived")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.select("outcome"), Field("arrived_at"), Button("update-request", "Save"))


class HandoverForm(forms.Form):
    """Hand work on: the AMHP to the next AMHP (notes), or the desk reassigning (reason)."""

    to = forms.ChoiceField(label="Hand to", error_messages={"required": "Choose the AMHP to hand to"})
    notes = forms.CharField(label="Handover notes", widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, targets: Any = (), reassign: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "handover")
        super().__init__(*args, **kwargs)
        self.targets = {str(t.staff.pk): t for t in targets}
        cast(forms.ChoiceField, self.fields["to"]).choices = [
            ("", "Choose an AMHP"),
            *[(k, t.label) for k, t in self.targets.items()],
        ]
        if reassign:
            self.fields["to"].label = "Reassign to"
            self.fields["notes"].label = "Reason for reassigning"
        what = "the reason for reassigning" if reassign else "handover notes"
        self.fields["notes"].error_messages["required"] = f"Enter {what}"
        self.helper = _helper(
            Field.select("to"), Field.textarea("notes"), Button("hand-on", "Reassign" if reassign else "Hand over")
        )

    def clean_to(self) -> Any:
        target = self.targets.get(self.cleaned_data["to"])
        if target is None:
            raise forms.ValidationError("Choose an AMHP on duty now or within the hour")
        return target.staff


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why are you declining?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason for declining"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("reason"), Button("decline", "Decline allocation"))


class PlanForm(GovukForm):
    """The candidates page's "Plan for" choice (GET): a later time shows who is on the rota then."""

    planned_at = london_datetime(
        "Plan for",
        help_text="To plan the work for a later shift, give when it should start. Leave empty for work now.",
    )

    def __init__(self, *args: Any, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def clean_planned_at(self) -> datetime | None:
        value = cast(datetime | None, self.cleaned_data.get("planned_at"))
        if value is not None and value <= self.now:
            raise forms.ValidationError("The time to plan for must be later than now")
        return value


class AllocateForm(forms.Form):
    """One row's Allocate button: the AMHP, the planned time if any, and the working-time confirmation."""

    amhp = forms.UUIDField(error_messages={"required": "Choose an AMHP", "invalid": "Choose an AMHP of this service"})
    planned_at = london_datetime("Plan for")
    confirm_warnings = forms.BooleanField(required=False)


class CallInForm(GovukForm):
    """Bring in an approved AMHP of the service who is not on duty, with the reason."""

    amhp = StaffChoiceField(
        label="AMHP to call in",
        queryset=StaffProfile.objects.none(),
        empty_label="Choose an AMHP",
        error_messages={"required": "Choose the AMHP to call in", "invalid_choice": "Choose an AMHP of this service"},
    )
    call_in_reason = forms.CharField(
        label="Why they are being called in",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: nobody on duty speaks Polish. It is recorded and reported.",
        error_messages={"required": "Give the reason for calling them in off the rota"},
    )
    confirm_warnings = forms.BooleanField(
        label="I have checked the working-time warnings: call them in anyway", required=False
    )

    def __init__(self, *args: Any, amhps: QuerySet[StaffProfile], off_rota: list[StaffProfile], **kwargs: Any) -> None:
        super().__init__(*args, prefix="call_in", **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["amhp"])
        # Any AMHP of the service is accepted, so the service can say why someone on duty is not a call-in;
        # the list offers only those off duty, approved and not on leave.
        field.queryset = amhps
        field.widget.choices = [("", "Choose an AMHP"), *[(str(p.pk), p.display_name) for p in off_rota]]
