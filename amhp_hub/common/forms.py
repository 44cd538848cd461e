from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from amhp_hub.common import wall_clock


class SignInForm(AuthenticationForm):
    """Django's sign-in form with GOV.UK wording for its errors."""

    error_messages = {
        "invalid_login": "Enter a correct username and password (both are case-sensitive)",
        "inactive": "This account has been switched off. Ask your service manager.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].error_messages["required"] = "Enter your password"


DATETIME_INPUT = "%Y-%m-%dT%H:%M"
DATETIME_INPUT_FORMATS = (DATETIME_INPUT, "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M")


class LondonDateTimeWidget(forms.MultiWidget):
    """A date-time input with a BST/GMT choice, needed only for the hour the clocks go back.

    The choice is a small select after the input; its label says when it matters. Values
    re-render as typed, so a refused time loses nothing.
    """

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        widgets = {
            "": forms.DateTimeInput(
                attrs={"type": "datetime-local", "class": "govuk-input govuk-input--width-20", **(attrs or {})},
                format=DATETIME_INPUT,
            ),
            "clock": forms.Select(
                attrs={
                    "class": "govuk-select app-clock-select",
                    "aria-label": "Clock: only needed for 01:00 to 01:59 on the night the clocks go back",
                },
                choices=[
                    ("", "BST or GMT?"),
                    (wall_clock.BST, "BST (first time)"),
                    (wall_clock.GMT, "GMT (second time)"),
                ],
            ),
        }
        super().__init__(widgets)  # type: ignore[arg-type]
        self.input_label = ""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        # The clock choice is optional whatever the field: only the repeated hour needs it.
        context["widget"]["subwidgets"][1]["attrs"].pop("required", None)
        # The label points at the date-time input itself (id as for a plain input).
        base = context["widget"]["attrs"].get("id")
        if base:
            context["widget"]["subwidgets"][0]["attrs"]["id"] = base
            context["widget"]["subwidgets"][1]["attrs"]["id"] = f"{base}_clock"
        # Form renderers show a multi-part field as a fieldset: name the input after the field too.
        if self.input_label:
            context["widget"]["subwidgets"][0]["attrs"]["aria-label"] = self.input_label
        return context

    def id_for_label(self, id_: str) -> str:
        return id_

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, datetime):
            local = value.astimezone(wall_clock.LONDON)
            clock = (
                (wall_clock.BST if local.fold == 0 else wall_clock.GMT)
                if wall_clock.is_ambiguous(local.replace(tzinfo=None))
                else ""
            )
            return [local.replace(tzinfo=None), clock]
        return [value, ""]


class LondonDateTimeField(forms.Field):
    """A UK date and time typed on any form: returns an aware UTC datetime.

    Accepts 01:00-01:59 on the night the clocks go back when the user picks BST or GMT, and
    refuses a time in the hour skipped when they go forward, saying why (amhp_hub.common.wall_clock).
    """

    widget = LondonDateTimeWidget
    # The two parts, for form renderers that look at a multi-value field's parts (crispy-forms-gds).
    fields = (forms.CharField(required=False), forms.CharField(required=False))
    default_error_messages = {
        "invalid": "Enter a real date and time, like 23/11/2026 14:30",
        "required": "Enter the date and time",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.widget.input_label = str(self.label or "")

    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, list | tuple):
            text, clock = (list(value) + ["", ""])[:2]
        else:
            text, clock = value, ""
        if isinstance(text, datetime):
            return text if text.tzinfo else wall_clock.london_instant(text, clock or "")
        text = (text or "").strip()
        if not text:
            return None
        for fmt in DATETIME_INPUT_FORMATS:
            try:
                naive = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return wall_clock.london_instant(naive, clock or "")
        except wall_clock.WallClockError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != (initial if initial is None else self.to_python(initial))
        except forms.ValidationError:
            return True


def london_datetime(
    label: str, *, required: bool = False, help_text: str = "", example: str = "23/11/2026 14:30"
) -> LondonDateTimeField:
    """The date-time field every form uses, with GOV.UK wording for its errors."""
    return LondonDateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        error_messages={
            "invalid": f"Enter {label.lower()} as a real date and time, like {example}",
            "required": f"Enter {label.lower()}",
        },
    )
