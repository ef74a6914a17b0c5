"""Errors an action refuses with. The API turns them into `{"error": ...}` with `status`."""

from __future__ import annotations


class ActionError(Exception):
    status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(ActionError):
    status = 422


class NotFound(ActionError):
    status = 404

    def __init__(self, what: str = "Record") -> None:
        super().__init__(f"{what} not found")


class Forbidden(ActionError):
    status = 403


class Unauthorized(ActionError):
    """The credentials are not (or no longer) valid; the API adds WWW-Authenticate."""

    status = 401


class Conflict(ActionError):
    status = 409
