"""What a staff action can run into, apart from the transport: the API and the dashboard
each turn these into their own answer (JSON error or a page)."""

from __future__ import annotations


class StaffProblem(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(StaffProblem):
    status = 404
    code = "not_found"


class Conflict(StaffProblem):
    status = 409
    code = "conflict"


class Invalid(StaffProblem):
    status = 422
    code = "invalid_body"
