"""Forms for the assessment record pages. Rules live in assessments.services; these only parse input."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fieldset, Layout, Size
from django import forms

from amhp_hub.common.forms import LondonDateTimeField, london_datetime
from assessments import services
from assessments.models import DelayReason, NearestRelativeAction, Outcome, TimelineEvent
from assessments.services import RECORDABLE_EVENTS


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
        label="What delayed the assessment",
        required=False,
        choices=DelayReason.choices,
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
    name = forms.CharField(
        label="Doctor's name", max_length=120, error_messages={"required": "Enter the doctor's name"}
    )
    s12_approved = forms.BooleanField(label="Section 12 approved", required=False)
    previous_acquaintance = forms.BooleanField(label="Knew the person before", required=False)
    examined_at = _dt("When the doctor examined the person")
    recommendation_signed = forms.BooleanField(label="Medical recommendation signed", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "doctor")
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("name"),
            Field.checkbox("s12_approved"),
            Field.checkbox("previous_acquaintance"),
            Field("examined_at"),
            Field.checkbox("recommendation_signed"),
            Button("add-doctor", "Add doctor"),
        )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why are you declining?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason for declining"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("reason"), Button("decline", "Decline allocation"))
