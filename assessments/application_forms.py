"""The AMHP's application form. It only parses input: validity is decided by assessments.application_rules."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fieldset, Layout, Size
from django import forms

from assessments.forms import _dt
from assessments.models import ApplicationSection, NearestRelativeStep

RECOMMENDATION_SLOTS = 2
_REC_FIELD = re.compile(r"^recommendations\[(\d+)\]\.(\w+)$")


def _listed(doctor: Any) -> str:
    """How a directory doctor is offered: name, GMC number and when their s12 approval ends."""
    if not doctor.s12_approved:
        approval = "not section 12 approved"
    elif doctor.s12_approval_expires_on:
        approval = f"s12 approval ends {doctor.s12_approval_expires_on:%d/%m/%Y}"
    else:
        approval = "s12 approved"
    return f"{doctor.name} (GMC {doctor.gmc_number}, {approval})"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": f"Enter {label.lower()} as a real date, like 23/11/2026"},
    )


class ApplicationForm(forms.Form):
    section = forms.ChoiceField(
        label="Which application are you making?",
        choices=ApplicationSection.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the section of the application"},
    )
    signed_at = _dt("When you signed the application")
    applicant_seen_at = _dt("When you last saw the person", help_text="You must have seen them personally")
    nearest_relative_step = forms.ChoiceField(
        label="The nearest relative",
        choices=NearestRelativeStep.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    nearest_relative_reason = forms.CharField(
        label="Why consulting was not reasonably practicable, or would cause unreasonable delay",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    learning_disability = forms.BooleanField(
        label="The mental disorder relied on is a learning disability", required=False
    )
    abnormally_aggressive_or_seriously_irresponsible = forms.BooleanField(
        label="It is associated with abnormally aggressive or seriously irresponsible conduct", required=False
    )
    autism = forms.BooleanField(label="The person is autistic", required=False)
    conflict_of_interest_declared = forms.BooleanField(
        label="There is a potential conflict of interest (for example a relative, a financial interest, or line "
        "management)",
        required=False,
    )
    conflict_of_interest_reason = forms.CharField(
        label="Why the urgency exception applies", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    grounds = forms.CharField(
        label="Outline of the grounds (for your report)", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, directory: Iterable[Any] = (), **kwargs: Any) -> None:
        """DIRECTORY: the service's directory doctors, offered for each recommendation."""
        kwargs.setdefault("prefix", "app")
        super().__init__(*args, **kwargs)
        choices = [("", "Not in the directory: enter the doctor below"), *[(d.pk, _listed(d)) for d in directory]]
        rec_fieldsets = []
        for n in range(1, RECOMMENDATION_SLOTS + 1):
            self.fields[f"rec{n}_doctor_id"] = forms.TypedChoiceField(
                label="Doctor from the directory",
                help_text="Their section 12 approval and its end date then come from the directory",
                required=False,
                coerce=int,
                empty_value=None,
                choices=choices,
                error_messages={"invalid_choice": "Choose a doctor from this service's directory"},
            )
            self.fields[f"rec{n}_doctor"] = forms.CharField(
                label="Doctor's name (if not in the directory)", required=False, max_length=150
            )
            self.fields[f"rec{n}_examined_on"] = _date("Date of the examination")
            self.fields[f"rec{n}_examined_at"] = _dt("Time of the examination (needed for section 4)")
            self.fields[f"rec{n}_signed_on"] = _date("Date the recommendation was signed")
            self.fields[f"rec{n}_s12_approved"] = forms.BooleanField(
                label="Approved under section 12 (if not in the directory)", required=False
            )
            self.fields[f"rec{n}_s12_approval_expires_on"] = _date("Section 12 approval ends on (if known)")
            self.fields[f"rec{n}_previous_acquaintance"] = forms.BooleanField(
                label="Knew the person before", required=False
            )
            self.fields[f"rec{n}_no_acquaintance_reason"] = forms.CharField(
                label="If neither doctor knew the person, why not",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            rec_fieldsets.append(
                Fieldset(
                    Field.select(f"rec{n}_doctor_id"),
                    Field.text(f"rec{n}_doctor"),
                    Field(f"rec{n}_examined_on"),
                    Field(f"rec{n}_examined_at"),
                    Field(f"rec{n}_signed_on"),
                    Field.checkbox(f"rec{n}_s12_approved"),
                    Field(f"rec{n}_s12_approval_expires_on"),
                    Field.checkbox(f"rec{n}_previous_acquaintance"),
                    Field.textarea(f"rec{n}_no_acquaintance_reason"),
                    legend=f"Medical recommendation {n}" + (" (leave blank for section 4)" if n == 2 else ""),
                    legend_size=Size.SMALL,
                )
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("section", legend_size=Size.MEDIUM),
            Fieldset(Field("signed_at"), Field("applicant_seen_at"), legend="Dates", legend_size=Size.SMALL),
            *rec_fieldsets,
            Fieldset(
                Field.radios("nearest_relative_step", legend_size=Size.SMALL, small=True),
                Field.textarea("nearest_relative_reason"),
                legend="Nearest relative",
                legend_size=Size.SMALL,
            ),
            Fieldset(
                Field.checkbox("learning_disability"),
                Field.checkbox("abnormally_aggressive_or_seriously_irresponsible"),
                Field.checkbox("autism"),
                legend="Learning disability and autism",
                legend_size=Size.SMALL,
            ),
            Fieldset(
                Field.checkbox("conflict_of_interest_declared"),
                Field.textarea("conflict_of_interest_reason"),
                legend="Conflicts of interest",
                legend_size=Size.SMALL,
            ),
            Field.textarea("grounds"),
            Button("make-application", "Make the application"),
        )

    def service_data(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Return (application data, recommendations) for assessments.application_services."""
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("rec")}
        recs = []
        for n in range(1, RECOMMENDATION_SLOTS + 1):
            rec = {k.split("_", 1)[1]: v for k, v in self.cleaned_data.items() if k.startswith(f"rec{n}_")}
            if any(v not in (None, "", False) for v in rec.values()):
                recs.append(rec)
        return data, recs

    def form_field(self, rule_field: str) -> str | None:
        """The form field a rule's field ("recommendations[1].signed_on") belongs to, or None (shown above the form)."""
        match = _REC_FIELD.match(rule_field)
        if match:
            name = f"rec{int(match.group(1)) + 1}_{match.group(2)}"
            return name if name in self.fields else None
        return rule_field if rule_field in self.fields else None

    def add_rule_errors(self, rule_errors: list[dict[str, str]]) -> None:
        for e in rule_errors:
            message = e["message"] if e["provision"] in e["message"] else f"{e['message']} ({e['provision']})"
            self.add_error(self.form_field(e["field"]), message)

    @classmethod
    def initial_from(cls, application: Any) -> dict[str, Any]:
        initial = {
            f: getattr(application, f)
            for f in (
                "section",
                "signed_at",
                "applicant_seen_at",
                "nearest_relative_step",
                "nearest_relative_reason",
                "learning_disability",
                "abnormally_aggressive_or_seriously_irresponsible",
                "autism",
                "conflict_of_interest_declared",
                "conflict_of_interest_reason",
                "grounds",
            )
        }
        for n, rec in enumerate(application.recommendations.all(), start=1):
            if n > RECOMMENDATION_SLOTS:
                break
            initial[f"rec{n}_doctor_id"] = rec.directory_doctor_id
            for f in (
                "doctor",
                "examined_on",
                "examined_at",
                "signed_on",
                "s12_approved",
                "s12_approval_expires_on",
                "previous_acquaintance",
                "no_acquaintance_reason",
            ):
                initial[f"rec{n}_{f}"] = getattr(rec, f)
        return initial
