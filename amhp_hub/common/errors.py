"""Domain errors raised by services and translated by the web and API layers."""

from __future__ import annotations


class ConflictError(Exception):
    """The write conflicts with the record's current state (HTTP 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuleViolation(Exception):
    """A legal rule is broken. RULE_ERRORS are {"provision", "field", "message"} dicts (HTTP 400 with "errors").

    `message_dict` maps each field to its messages, as a ValidationError's does, so forms can show them.
    """

    def __init__(self, rule_errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(e["message"] for e in rule_errors))
        self.rule_errors = rule_errors

    @property
    def message_dict(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for e in self.rule_errors:
            out.setdefault(e["field"], []).append(e["message"])
        return out
