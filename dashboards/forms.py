"""The period filter shared by every dashboard page and CSV."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms

from dashboards.selectors import Period

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
LONGEST_PERIOD_DAYS = 3 * 366


class PeriodForm(forms.Form):
    """``from`` and ``to`` dates (inclusive); both optional, defaulting to the last 90 days."""

    def __init__(self, data: Any, *, today: date) -> None:
        super().__init__({key: data.get(key, "") for key in ("from", "to")}, auto_id="period-%s")
        self.today = today
        self.fields["from"] = forms.DateField(
            label="From",
            required=False,
            input_formats=DATE_FORMATS,
            error_messages={"invalid": "Enter the start date as a real date, for example 31/01/2026"},
        )
        self.fields["to"] = forms.DateField(
            label="To",
            required=False,
            input_formats=DATE_FORMATS,
            error_messages={"invalid": "Enter the end date as a real date, for example 31/03/2026"},
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        default = Period.default(self.today)
        last = cleaned.get("to") or default.last
        first = cleaned.get("from") or last - timedelta(days=(default.last - default.first).days)
        if first > last:
            self.add_error("from", "The start date must be on or before the end date")
        elif (last - first).days + 1 > LONGEST_PERIOD_DAYS:
            self.add_error("from", "Choose a period of 3 years or less")
        cleaned["period"] = Period(first=first, last=last)
        return cleaned

    @property
    def period(self) -> Period:
        """The chosen period, or the default one if the input was not valid."""
        if self.is_valid():
            return self.cleaned_data["period"]
        return Period.default(self.today)

    def error_list(self) -> list[tuple[str, str]]:
        """(field id, message) pairs for the error summary."""
        return [(f"period-{name}", str(message)) for name, messages in self.errors.items() for message in messages]


class PopulationForm(forms.Form):
    """The resident population of each broad ethnic group (for example from the 2021 census), and its source."""

    source = forms.CharField(
        label="Source of the figures",
        max_length=120,
        required=False,
        help_text="For example: ONS Census 2021, table TS021, for the local authority area",
    )

    def __init__(self, *args: Any, groups: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for group in groups:
            self.fields[f"group_{group}"] = forms.IntegerField(
                label=group,
                required=False,
                min_value=1,
                max_value=20_000_000,
                error_messages={
                    "invalid": f"Enter the {group} population as a whole number, for example 42000",
                    "min_value": f"Enter a {group} population of 1 or more, or leave it blank",
                    "max_value": f"Enter a {group} population under 20 million",
                },
            )
        self.groups = groups

    def figures(self) -> dict[str, int | None]:
        return {group: self.cleaned_data.get(f"group_{group}") for group in self.groups}


class ApprovalForm(forms.Form):
    """A manager sets an AMHP's approval end date (blank: not approved)."""

    staff = forms.UUIDField(widget=forms.HiddenInput)
    expires_on = forms.DateField(
        label="Approval ends on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "govuk-input govuk-input--width-10"}),
        error_messages={"invalid": "Enter the approval end as a real date, like 23/11/2029"},
        help_text="Leave blank if the AMHP is not approved",
    )
    note = forms.CharField(
        label="Why (for the approval history)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
    )


class TrainingForm(forms.Form):
    """A manager logs relevant training for an AMHP."""

    staff = forms.UUIDField(widget=forms.HiddenInput)
    completed_on = forms.DateField(
        label="Completed on",
        widget=forms.DateInput(attrs={"type": "date", "class": "govuk-input govuk-input--width-10"}),
        error_messages={"invalid": "Enter the date as a real date", "required": "Enter when the training was done"},
    )
    hours = forms.DecimalField(
        label="Hours",
        min_value=Decimal("0.5"),
        max_value=Decimal("100"),
        decimal_places=1,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-4", "step": "0.5"}),
        error_messages={"required": "Enter the hours", "min_value": "Enter at least 0.5 hours"},
    )
    title = forms.CharField(
        label="Training",
        max_length=200,
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
        error_messages={"required": "Enter what the training was"},
    )
