"""Domain errors raised by services and translated by the web and API layers."""

from __future__ import annotations


class ConflictError(Exception):
    """The write conflicts with the record's current state (HTTP 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
