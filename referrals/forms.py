"""Forms for referral intake and triage. Validation is shared with the API via referrals.services."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Button, Field, Fieldset, Layout, Size
from django import forms
from django.utils import timezone

from amhp_hub.common.forms import LondonDateTimeField, london_datetime
from referrals import services
from referrals.constants import Ethnicity, LegalChange, LegalStatus, PlaceOfSafety, Priority, Sex, TriageDecision


def _dt(label: str, help_text: str = "", *, required: bool = False) -> LondonDateTimeField:
    return london_datetime(label, help_text=help_text, required=required)


class ReferralForm(forms.Form):
    """Person and referral in one form. "Save as draft" keeps incomplete work; "Submit" needs it all."""

    # The person
    nhs_number = forms.CharField(
        label="NHS number", required=False, max_length=20, help_text="10 digits, for example 943 476 5919"
    )
    given_name = forms.CharField(label="First name", required=False, max_length=100)
    family_name = forms.CharField(label="Last name", required=False, max_length=100)
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter date of birth as a real date"},
    )
    sex = forms.ChoiceField(label="Sex", choices=Sex.choices, initial=Sex.NOT_KNOWN)
    ethnicity = forms.ChoiceField(
        label="Ethnicity (NHS ethnic category)", choices=Ethnicity.choices, initial=Ethnicity.NOT_KNOWN
    )
    language = forms.CharField(label="Main language", required=False, max_length=60, initial="English")
    interpreter_needed = forms.BooleanField(label="Needs an interpreter", required=False)
    address = forms.CharField(
        label="Address",
        required=False,
        max_length=services.TEXT_LIMITS["address"],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    postcode = forms.CharField(label="Postcode", required=False, max_length=10)
    gp_practice = forms.CharField(label="GP practice", required=False, max_length=150)
    # Shown only when the NHS number matches a person on record whose details differ.
    person_match = forms.ChoiceField(
        label="Which details should the person's record keep?",
        required=False,
        widget=forms.RadioSelect,
        choices=[
            (
                "update",
                "Update the record to the details entered here (earlier referrals keep the details they recorded)",
            ),
            ("keep", "Keep the details on record for this referral too"),
        ],
    )
    # Legal situation
    legal_status = forms.ChoiceField(
        label="Legal situation", required=False, choices=[("", "Select the legal situation"), *LegalStatus.choices]
    )
    legal_power_started_at = _dt(
        "When the legal power started",
        "For s136 and s135: arrival at the place of safety. For s5(2) and s5(4): when the report or record "
        "was made. The statutory clock runs from this time.",
    )
    location = forms.CharField(label="Where the person is now", required=False, max_length=200)
    place_of_safety_type = forms.ChoiceField(
        label="Type of place of safety (s135, s136)",
        required=False,
        choices=[("", "Not a place of safety"), *PlaceOfSafety.choices],
    )
    # Referrer
    referrer_name = forms.CharField(label="Referrer's name", required=False, max_length=120)
    referrer_role = forms.CharField(label="Referrer's role", required=False, max_length=120)
    referrer_organisation = forms.CharField(label="Organisation", required=False, max_length=150)
    referrer_phone = forms.CharField(label="Phone", required=False, max_length=40)
    seen_by_referrer_at = _dt("When the referrer last saw the person")
    reason = forms.CharField(
        label="Reason for referral",
        required=False,
        max_length=services.TEXT_LIMITS["reason"],
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    # Risks
    risk_violence = forms.BooleanField(label="Risk of violence", required=False)
    risk_weapons = forms.BooleanField(label="Weapons", required=False)
    risk_children = forms.BooleanField(label="Children in the household", required=False)
    risk_safeguarding = forms.BooleanField(label="Safeguarding concerns", required=False)
    risk_notes = forms.CharField(
        label="Risk details",
        required=False,
        max_length=services.TEXT_LIMITS["risk_notes"],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Nearest relative and arrangements
    nearest_relative_name = forms.CharField(label="Nearest relative's name", required=False, max_length=120)
    nearest_relative_relationship = forms.CharField(label="Relationship", required=False, max_length=60)
    nearest_relative_phone = forms.CharField(label="Nearest relative's phone", required=False, max_length=40)
    s12_doctor_arranged = forms.BooleanField(label="A section 12 doctor is already arranged", required=False)
    bed_identified = forms.BooleanField(label="A bed is already identified", required=False)
    priority = forms.ChoiceField(
        label="Priority band",
        required=False,
        choices=[("", "Set from the legal situation"), *Priority.choices],
        help_text="Leave blank to set it from the legal situation and its clock",
    )
    # The version of the referral this form showed: a save over someone else's newer change is refused.
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, draft: bool = False, is_draft_record: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.draft = draft
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("version"),
            Fieldset(
                Field.text("nhs_number", field_width=10),
                Field.text("given_name"),
                Field.text("family_name"),
                Field("date_of_birth"),
                Field.select("sex"),
                Field.select("ethnicity"),
                Field.text("language", field_width=20),
                Field.checkbox("interpreter_needed"),
                Field.textarea("address"),
                Field.text("postcode", field_width=10),
                Field.text("gp_practice"),
                legend="The person",
                legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.select("legal_status"),
                Field("legal_power_started_at"),
                Field.text("location"),
                Field.select("place_of_safety_type"),
                legend="Legal situation",
                legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.text("referrer_name"),
                Field.text("referrer_role"),
                Field.text("referrer_organisation"),
                Field.text("referrer_phone", field_width=20),
                Field("seen_by_referrer_at"),
                Field.textarea("reason"),
                legend="Referrer and reason",
                legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.checkbox("risk_violence"),
                Field.checkbox("risk_weapons"),
                Field.checkbox("risk_children"),
                Field.checkbox("risk_safeguarding"),
                Field.textarea("risk_notes"),
                legend="Risks",
                legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.text("nearest_relative_name"),
                Field.text("nearest_relative_relationship"),
                Field.text("nearest_relative_phone", field_width=20),
                Field.checkbox("s12_doctor_arranged"),
                Field.checkbox("bed_identified"),
                legend="Nearest relative and arrangements",
                legend_size=Size.MEDIUM,
            ),
            Fieldset(Field.select("priority"), legend="Priority", legend_size=Size.MEDIUM),
            HTML(
                '<div class="govuk-button-group">'
                '<button type="submit" name="action" value="submit" class="govuk-button" '
                'data-module="govuk-button">Submit referral</button>'
                + (
                    '<button type="submit" name="action" value="draft" class="govuk-button govuk-button--secondary" '
                    'data-module="govuk-button">Save as draft</button>'
                    if is_draft_record
                    else ""
                )
                + "</div>"
            ),
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        data = self.service_data()
        for field, messages in services.validate_referral_data(data, draft=self.draft, now=timezone.now()).items():
            for message in messages:
                if field in self.fields and field not in self._errors_for(field):
                    self.add_error(field, message)
        return cleaned  # type: ignore[return-value]

    def _errors_for(self, field: str) -> list[str]:
        return list(self.errors.get(field, []))  # type: ignore[arg-type]

    def service_data(self) -> dict[str, Any]:
        """The cleaned values in the shape referrals.services takes."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("person_match", "version")}
        if not data.get("priority"):
            data.pop("priority", None)
        return data


class TriageForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=TriageDecision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select a triage decision"},
    )
    priority = forms.ChoiceField(
        label="Priority band", required=False, choices=[("", "Keep the current band"), *Priority.choices]
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason for this decision"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("decision", legend_size=Size.SMALL, small=True),
            Field.select("priority"),
            Field.textarea("reason"),
            Button("triage", "Record decision", css_id="record-decision"),
        )


class ExtensionForm(forms.Form):
    """s136B: the doctor responsible extends an s136/s135 detention by up to 12 hours."""

    hours = forms.IntegerField(
        label="Hours to extend by",
        min_value=1,
        max_value=12,
        error_messages={
            "required": "Enter the number of hours, from 1 to 12",
            "min_value": "Enter the number of hours, from 1 to 12",
            "max_value": "Enter the number of hours, from 1 to 12",
            "invalid": "Enter the number of hours as a whole number",
        },
    )
    authorised_by = forms.CharField(
        label="Doctor who authorised it",
        max_length=120,
        error_messages={"required": "Enter the doctor who authorised the extension"},
    )
    authorised_at = _dt(
        "When the doctor authorised it",
        help_text="Leave blank for now. The first 24 hours are measured to this time, not to when it is typed.",
    )
    reason = forms.CharField(
        label="Why the person's condition makes assessment impracticable",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Enter why assessment is impracticable"},
    )
    superintendent_approved = forms.BooleanField(
        label="A police superintendent approved it (required at a police station, s136B)", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("hours", field_width=2),
            Field.text("authorised_by"),
            Field("authorised_at"),
            Field.textarea("reason"),
            Field.checkbox("superintendent_approved"),
            Button.secondary("extend", "Record extension", css_id="record-extension"),
        )


class LegalStatusChangeForm(forms.Form):
    """Record a change of the person's legal status: the history keeps every entry."""

    legal_status = forms.ChoiceField(
        label="New legal status",
        choices=[("", "Choose"), *LegalStatus.choices],
        error_messages={"required": "Choose the new legal status"},
    )
    change = forms.ChoiceField(
        label="What happened",
        choices=[
            (LegalChange.CHANGED, "The legal status changed"),
            (LegalChange.REVOKED, "CTO revoked: the AMHP agrees (s17F(4))"),
            (LegalChange.RELEASED, "Released"),
        ],
        initial=LegalChange.CHANGED,
    )
    started_at = _dt("When it started", help_text="Its clock runs from then")
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 2}), error_messages={"required": "Enter the reason"}
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.select("legal_status"),
            Field.radios("change", small=True),
            Field("started_at"),
            Field.textarea("reason"),
            Button.secondary("record-legal-status", "Record legal status", css_id="record-legal-status"),
        )


class AdmitForm(forms.Form):
    """The application reached the hospital managers."""

    admitted_at = _dt("When the application reached the hospital managers", required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("admitted_at"), Button.secondary("admit", "Record admission", css_id="record-admission")
        )


class SearchForm(forms.Form):
    """Search by name, NHS number (with or without spaces), reference or date of birth. Sent by POST only."""

    text = forms.CharField(
        label="Name, NHS number or referral reference",
        required=False,
        max_length=200,
        help_text="For example Kasia Nowak, 943 476 5919 or R-ABCD-2345",
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter date of birth as a real date"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors and not (cleaned.get("text") or "").strip() and not cleaned.get("date_of_birth"):
            self.add_error("text", "Enter a name, NHS number, referral reference or date of birth")
        return cleaned
