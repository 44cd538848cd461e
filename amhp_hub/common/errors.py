"""Domain errors raised by services and translated by the web and API layers."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class ConflictError(Exception):
    """The write conflicts with the record's current state (HTTP 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuleError(ValidationError):
    """A write refused by a legal rule: each violation names the provision of the Act it applies.

    ``violations`` is a list of (provision, field, message). It is a ValidationError whose field
    messages end with the provision, so forms show it as any other error; the API answers 400
    with those field messages and ``{"errors": [{"provision", "field", "message"}]}``
    (DESIGN.md section 8).
    """

    def __init__(self, violations: list[tuple[str, str, str]]) -> None:
        fields: dict[str, list[str]] = {}
        for provision, field, message in violations:
            shown = message if f"({provision})" in message else f"{message} ({provision})"
            fields.setdefault(field or "non_field_errors", []).append(shown)
        super().__init__(fields)
        self.violations = violations


class WarningsToConfirm(Exception):
    """The write breaks a limit that warns rather than refuses: it is made only once the person confirms.

    ``warnings`` are the sentences to show (each naming its provision); ``field`` is the name of the
    confirmation the caller asks for. Nothing has been written when this is raised.
    """

    def __init__(self, warnings: list[str], *, field: str = "confirm") -> None:
        super().__init__("; ".join(warnings))
        self.warnings = warnings
        self.field = field
