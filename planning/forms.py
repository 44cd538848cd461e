"""The rota designer's form."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms

from planning import designer


class DesignForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name this comparison")
    period_start = forms.DateField(label="Replay referrals received from (YYYY-MM-DD)")
    period_end = forms.DateField(label="to (YYYY-MM-DD)")
    headcount = forms.IntegerField(min_value=1, max_value=200, label="AMHPs available (headcount)")
    options = forms.MultipleChoiceField(
        choices=[(code, s.name) for code, s in designer.PRESETS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Shift sets to compare",
    )
    custom = forms.CharField(
        required=False,
        max_length=400,
        label="Your own shift set (optional)",
        help_text="Each shift as a name, HH:MM-HH:MM and xCOVER, separated by commas, e.g. Early 08:00-16:00 x2, "
        "Late 14:00-22:00 x3, EDT night 22:00-08:00 x2",
    )

    def __init__(self, *args: Any, today: date, headcount: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period_start"].initial = today - timedelta(days=28)
        self.fields["period_end"].initial = today - timedelta(days=1)
        self.fields["headcount"].initial = headcount
        self.fields["options"].initial = list(designer.PRESETS)[:3]
        self.shift_sets: list[designer.ShiftSet] = []

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        sets = [designer.PRESETS[code] for code in data.get("options") or []]
        custom = (data.get("custom") or "").strip()
        if custom:
            try:
                sets.append(designer.parse_shift_set("custom", "Your shift set", custom))
            except ValueError as exc:
                self.add_error("custom", str(exc))
        if not sets and not self.errors:
            self.add_error("options", "Choose at least one shift set, or write your own")
        self.shift_sets = sets
        return data
