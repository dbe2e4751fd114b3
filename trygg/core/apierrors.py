"""The JSON API's error answers, as each operation documents them in /api/v1/openapi.json.

Every refusal has one of two shapes: `{"detail": "a sentence"}`, or, when ninja refuses
parameters or a body that do not match the operation's schema (422), `{"detail": [issues]}`
with where (`loc`) and what (`msg`) per issue. An operation lists the statuses it can answer
with `errors(...)`; tests/test_api_schema.py checks every answer against the list.
"""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema


class ErrorDetail(Schema):
    detail: str = Field(description="What was refused and why, in a sentence")


class ValidationIssue(Schema):
    type: str = Field(description="The kind of problem, e.g. missing or int_parsing")
    loc: list[str | int] = Field(description="Where: query, path or body, then the field")
    msg: str = Field(description="What to change")


class ValidationErrors(Schema):
    detail: list[ValidationIssue]


# What each status means across the API; an operation documents those it can answer.
#   400  a body that is not JSON, or a request the operation's rules refuse (its message)
#   401  no valid session or token
#   403  the caller may not do this (or a session's request without its CSRF token)
#   404  no such object among those the caller may see (another provider's looks the same)
#   409  the object's state does not allow it now, or someone changed it first
#   422  parameters or a body that do not match the schema (ValidationErrors)
_SHAPES: dict[int, Any] = {
    400: ErrorDetail,
    401: ErrorDetail,
    403: ErrorDetail,
    404: ErrorDetail,
    409: ErrorDetail,
    413: ErrorDetail,
    422: ValidationErrors,
    503: ErrorDetail,
}


def errors(*statuses: int) -> dict[int, Any]:
    """The documented error answers for these statuses, to spread into `response={...}`."""
    return {status: _SHAPES[status] for status in statuses}
