"""Form for a doctor directory entry. Availability is typed one window a line, like "Mon 17:00-22:00"."""

from __future__ import annotations

import re
from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout
from django import forms

from rota.doctors import WEEKDAY_NAMES

DAY_CODES = {name[:3].lower(): index for index, name in enumerate(WEEKDAY_NAMES)}
LINE = re.compile(r"^\s*([A-Za-z]{3})[a-z]*\s+(\d{1,2}:\d{2})\s*(?:-|–|to)\s*(\d{1,2}:\d{2})\s*$")


def windows_text(windows: list[dict[str, Any]]) -> str:
    """The stored windows as the form shows them, one a line."""
    return "\n".join(f"{WEEKDAY_NAMES[w['weekday']][:3]} {w['start']}-{w['end']}" for w in windows)


class DoctorForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120, error_messages={"required": "Enter the doctor's name"})
    gmc_number = forms.CharField(
        label="GMC number", max_length=7, error_messages={"required": "Enter the GMC number: 7 digits"}
    )
    s12_approved = forms.BooleanField(label="Section 12 approved", required=False, initial=True)
    s12_approval_expires_on = forms.DateField(
        label="Section 12 approval expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the expiry as a real date, like 31/03/2028"},
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    languages = forms.CharField(label="Languages", required=False, help_text="Separate with commas")
    areas = forms.CharField(label="Areas covered", required=False, help_text="Separate with commas")
    availability = forms.CharField(
        label="Usually available",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One window a line, in UK time, like: Mon 17:00-22:00. An end before the start runs past midnight.",
    )
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    email = forms.EmailField(label="Email", required=False, error_messages={"invalid": "Enter a real email address"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("name"),
            Field.text("gmc_number", field_width=10),
            Field.checkbox("s12_approved"),
            Field("s12_approval_expires_on"),
            Field.text("languages"),
            Field.text("areas"),
            Field.textarea("availability"),
            Field.text("phone", field_width=20),
            Field.text("email"),
            Button("save", "Save doctor"),
        )

    def clean_availability(self) -> list[dict[str, Any]]:
        windows: list[dict[str, Any]] = []
        for number, line in enumerate((self.cleaned_data.get("availability") or "").splitlines(), start=1):
            if not line.strip():
                continue
            match = LINE.match(line)
            if not match or match.group(1).lower() not in DAY_CODES:
                raise forms.ValidationError(f"Line {number}: write a window like Mon 17:00-22:00")
            start, end = (f"{int(t.split(':')[0]):02d}:{t.split(':')[1]}" for t in (match.group(2), match.group(3)))
            windows.append({"weekday": DAY_CODES[match.group(1).lower()], "start": start, "end": end})
        return windows
