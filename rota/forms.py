"""Forms for the rota pages. Validation that needs the database is in rota.services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.db.models import QuerySet

from amhp_hub.common.forms import LondonDateTimeField, LondonDateTimeWidget, london_datetime
from rota.models import LeaveKind, RotaPattern, Shift, ShiftKind, ShiftType, StaffProfile

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _date(label: str, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=DATE_WIDGET,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": f"Enter {label.lower()} as a real date, like 23/11/2026"},
        **kwargs,
    )


def _datetime(label: str) -> LondonDateTimeField:
    return london_datetime(label, required=True, example="23/11/2026 09:00")


class GovukForm(forms.Form):
    """Give widgets the GOV.UK Frontend classes and link hints and errors to them for screen readers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, LondonDateTimeWidget):
                # Its date-time input and clock select carry their own GOV.UK classes.
                if field.help_text:
                    widget.widgets[0].attrs["aria-describedby"] = f"{self[name].auto_id}-hint"
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "govuk-checkboxes__input"
            elif isinstance(widget, forms.Select):
                css = "govuk-select"
            elif isinstance(widget, forms.Textarea):
                css = "govuk-textarea"
            else:
                css = "govuk-input"
            widget.attrs["class"] = css
            if field.help_text:
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}-hint"

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if isinstance(widget, LondonDateTimeWidget):
                    inner = widget.widgets[0]
                    inner.attrs["class"] = f"{inner.attrs.get('class', '')} govuk-input--error".strip()
                    described = inner.attrs.get("aria-describedby", "")
                    inner.attrs["aria-describedby"] = f"{described} {self[name].auto_id}-error".strip()
                    continue
                css = widget.attrs.get("class", "")
                base = css.split()[0] if css else ""
                widget.attrs["class"] = f"{css} {base}--error"
                described = widget.attrs.get("aria-describedby", "")
                widget.attrs["aria-describedby"] = f"{described} {self[name].auto_id}-error".strip()


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: StaffProfile) -> str:
        return obj.display_name


class ShiftTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ShiftType) -> str:
        return f"{obj.name} {obj.start_time:%H:%M} to {obj.end_time:%H:%M}"


class PlaceShiftForm(GovukForm):
    staff = StaffChoiceField(
        label="AMHP",
        queryset=StaffProfile.objects.none(),
        empty_label="Choose an AMHP",
        error_messages={"required": "Choose an AMHP", "invalid_choice": "Choose an AMHP from the list"},
    )
    shift_type = ShiftTypeChoiceField(
        label="Shift",
        queryset=ShiftType.objects.none(),
        empty_label="Choose a shift",
        error_messages={"required": "Choose a shift", "invalid_choice": "Choose a shift from the list"},
    )
    day = _date("Day")
    confirm = forms.BooleanField(
        label="I have checked the rest warning: place the AMHP on this shift anyway", required=False
    )

    def __init__(self, *args: Any, amhps: QuerySet[StaffProfile], shift_types: QuerySet[ShiftType], **kwargs: Any):
        super().__init__(*args, prefix="place", **kwargs)
        self.fields["staff"].queryset = amhps  # type: ignore[attr-defined]
        self.fields["shift_type"].queryset = shift_types  # type: ignore[attr-defined]


class PatternForm(GovukForm):
    staff = StaffChoiceField(label="AMHP", queryset=StaffProfile.objects.none(), empty_label="Choose an AMHP")
    name = forms.CharField(label="Pattern name", max_length=80, required=False)
    cycle = forms.CharField(
        label="Days of the cycle",
        max_length=400,
        help_text="Shift codes separated by commas, one a day; off for a day off. For example: day, day, off, late",
        error_messages={"required": "Enter the days of the cycle"},
    )
    starts_on = _date("First day of the cycle")

    def __init__(self, *args: Any, amhps: QuerySet[StaffProfile], **kwargs: Any):
        super().__init__(*args, prefix="pattern", **kwargs)
        self.fields["staff"].queryset = amhps  # type: ignore[attr-defined]

    def clean_cycle(self) -> list[str | None]:
        parts = [p.strip().lower() for p in self.cleaned_data["cycle"].split(",")]
        return [None if p in ("", "off", "-") else p for p in parts]


class PatternChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: RotaPattern) -> str:
        return f"{obj.name} ({obj.staff.display_name})"


class ApplyPatternForm(GovukForm):
    pattern = PatternChoiceField(
        label="Pattern",
        queryset=RotaPattern.objects.none(),
        empty_label="All patterns",
        required=False,
        help_text="Leave as all patterns to apply every AMHP's pattern",
    )
    start = _date("From")
    end = _date("To")

    def __init__(self, *args: Any, patterns: QuerySet[RotaPattern], **kwargs: Any):
        super().__init__(*args, prefix="apply", **kwargs)
        self.fields["pattern"].queryset = patterns  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            self.add_error("end", "The end date must be on or after the start date")
        return data


class LeaveForm(GovukForm):
    staff = StaffChoiceField(label="AMHP", queryset=StaffProfile.objects.none(), empty_label="Choose an AMHP")
    kind = forms.ChoiceField(label="Kind of leave", choices=LeaveKind.choices)
    starts_at = _datetime("Start")
    ends_at = _datetime("End")
    note = forms.CharField(label="Note (optional)", max_length=200, required=False)
    confirm = forms.BooleanField(label="I have checked the cover gap: record the leave anyway", required=False)

    def __init__(self, *args: Any, amhps: QuerySet[StaffProfile], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = amhps  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("starts_at"), data.get("ends_at")
        if isinstance(start, datetime) and isinstance(end, datetime) and end <= start:
            self.add_error("ends_at", "The end must be after the start")
        return data


class ShiftChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Shift) -> str:
        from rota.timefmt import format_local

        return f"{obj.shift_type.name}, {format_local(obj.starts_at)} to {format_local(obj.ends_at)}"


class SwapRequestForm(GovukForm):
    shift = ShiftChoiceField(label="Your shift", queryset=Shift.objects.none(), empty_label="Choose a shift")
    proposed_staff = StaffChoiceField(
        label="Colleague to take it", queryset=StaffProfile.objects.none(), empty_label="Choose a colleague"
    )
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "Say why"}
    )

    def __init__(self, *args: Any, shifts: QuerySet[Shift], colleagues: QuerySet[StaffProfile], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["shift"].queryset = shifts  # type: ignore[attr-defined]
        self.fields["proposed_staff"].queryset = colleagues  # type: ignore[attr-defined]


class PeriodForm(GovukForm):
    start = _date("From")
    end = _date("To")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if isinstance(start, date) and isinstance(end, date):
            if end < start:
                self.add_error("end", "The end date must be on or after the start date")
            elif (end - start).days > 400:
                self.add_error("end", "Choose a period of at most 400 days")
        return data


def _time(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M", "%H.%M", "%H:%M:%S"],
        help_text="Europe/London clock time, like 09:00",
        error_messages={
            "required": f"Enter the {label.lower()}",
            "invalid": f"Enter the {label.lower()} as a 24-hour clock time, like 17:00",
        },
    )


class ShiftTypeDetailsForm(GovukForm):
    """What may change on a shift type: its times never do, as placed shifts keep their instants."""

    name = forms.CharField(label="Name", max_length=60, error_messages={"required": "Enter the shift type's name"})
    required_cover = forms.IntegerField(
        label="AMHPs needed",
        min_value=0,
        max_value=20,
        help_text="How many AMHPs the shift needs, from 0 to 20",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": "Enter how many AMHPs the shift needs",
            "invalid": "Enter the number of AMHPs needed as a whole number, like 2",
            "min_value": "Required cover must be between 0 and 20 AMHPs",
            "max_value": "Required cover must be between 0 and 20 AMHPs",
        },
    )
    weekdays_only = forms.BooleanField(
        label="Weekdays only: not needed at weekends or on bank holidays", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["required_cover"].widget.attrs["class"] += " govuk-input--width-3"


class ShiftTypeCreateForm(ShiftTypeDetailsForm):
    code = forms.SlugField(
        label="Code",
        max_length=20,
        help_text="A short code used in patterns, like day or night: letters, numbers, hyphens",
        error_messages={
            "required": "Enter a short code, like day or night",
            "invalid": "Use only letters, numbers, hyphens and underscores in the code",
        },
    )
    kind = forms.ChoiceField(label="Kind", choices=ShiftKind.choices)
    start_time = _time("Start time")
    end_time = _time("End time")

    field_order = ["name", "code", "kind", "start_time", "end_time", "required_cover", "weekdays_only"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="new", **kwargs)
        self.fields["code"].widget.attrs["class"] += " govuk-input--width-10"

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().lower()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("start_time") is not None and data.get("start_time") == data.get("end_time"):
            self.add_error("end_time", "A shift must end at a different time from its start")
        return data
