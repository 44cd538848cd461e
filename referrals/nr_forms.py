"""Forms for the person's nearest relative page. They parse input; the rules live in referrals.nearest_relative."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms

from referrals import nearest_relative as s26
from referrals.models import NearestRelativeObjection, NearestRelativeRequest


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _date(label: str, *, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=_DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": f"Enter {label.lower()} as a real date", "required": f"Enter {label.lower()}"},
    )


def _helper(*fields: Any) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(*fields)
    return helper


class RelativeForm(forms.Form):
    name = forms.CharField(label="Name", max_length=150, error_messages={"required": "Enter the relative's name"})
    relationship = forms.ChoiceField(
        label="Relationship to the person",
        choices=[("", "Choose"), *[(r, s26.LABELS[r].capitalize()) for r in s26.RELATIONSHIPS]],
        error_messages={"required": "Choose the relationship"},
    )
    date_of_birth = _date("Date of birth")
    half_blood = forms.BooleanField(label="Half blood (one parent in common)", required=False)
    lives_with_patient = forms.BooleanField(label="Lives with the person", required=False)
    cares_for_patient = forms.BooleanField(label="Cares for the person", required=False)
    abroad = forms.BooleanField(label="Not ordinarily resident in the UK", required=False)
    years_living_with_patient = forms.DecimalField(
        label="Years living with the person (cohabitee or co-resident)",
        required=False,
        min_value=0,
        max_value=120,
        decimal_places=1,
    )
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    address = forms.CharField(label="Address", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "relative")
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("name"),
            Field.select("relationship"),
            Field("date_of_birth"),
            Field.checkbox("half_blood"),
            Field.checkbox("lives_with_patient"),
            Field.checkbox("cares_for_patient"),
            Field.checkbox("abroad"),
            Field.text("years_living_with_patient", field_width=5),
            Field.text("phone"),
            Field.textarea("address"),
            Button("add-relative", "Add relative"),
        )

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["ordinarily_resident_uk"] = not data.pop("abroad")
        data["years_living_with_patient"] = data.get("years_living_with_patient") or 0
        return data


class ObjectionForm(forms.Form):
    date = _date("Date of the objection", required=True)
    to = forms.ChoiceField(
        label="They object to", choices=NearestRelativeObjection.To.choices, widget=forms.RadioSelect
    )
    notes = forms.CharField(label="What they said", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "objection")
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field("date"),
            Field.radios("to", legend_size=Size.SMALL, small=True),
            Field.textarea("notes"),
            Button("add-objection", "Record the objection"),
        )


class RequestForm(forms.Form):
    relative = forms.CharField(label="Who asked", max_length=150, error_messages={"required": "Enter who asked"})
    requested_on = _date("Date of the request", required=True)
    outcome = forms.ChoiceField(
        label="Outcome", choices=NearestRelativeRequest.Outcome.choices, widget=forms.RadioSelect
    )
    reasons = forms.CharField(
        label="Written reasons (required when no application is made)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "s13")
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("relative"),
            Field("requested_on"),
            Field.radios("outcome", legend_size=Size.SMALL, small=True),
            Field.textarea("reasons"),
            Button("add-request", "Record the request"),
        )
