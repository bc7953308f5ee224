"""Errors a cashier or an admin can read: each names what went wrong, and where."""

from __future__ import annotations


class PosError(Exception):
    """A refusal with a message meant for the person at the till or the command line."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationError(PosError):
    """Bad input. `errors` maps each field to what is wrong with it; nothing was written."""

    def __init__(self, errors: dict[str, str] | str, message: str | None = None):
        if isinstance(errors, str):
            errors = {errors: message or ""}
        self.errors = dict(errors)
        text = "; ".join(f"{field}: {msg}" for field, msg in self.errors.items())
        super().__init__(text)


class NotFound(PosError):
    """The thing asked for does not exist."""


class StateError(PosError):
    """The action is not possible now (no open session, sale already paid, …)."""
