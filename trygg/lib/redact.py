"""Keep national ids and secrets out of application logs."""

from __future__ import annotations

import logging
import re

# Ten to twelve digits, optionally split by '-', '+' or a space after the date part: every
# written form of a Swedish or Norwegian national id.
_NATIONAL_ID = re.compile(r"(?<!\d)(\d{6}|\d{8})[-+ ]?\d{4,5}(?!\d)")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    text = _NATIONAL_ID.sub("[id]", text)
    return _BEARER.sub(r"\1[token]", text)


class RedactingFilter(logging.Filter):
    """Masks anything shaped like a national id or a bearer token in a log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        # A traceback carries the exception's message, and database errors quote the
        # offending values: format it now, redacted, so the formatter uses this text.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class ClientErrorsInOneLine(logging.Filter):
    """A refused request (403, 404, 400) is the person's or the client's mistake, not the
    server's: log its one line ("Forbidden (Permission denied): /outages/") without the
    traceback Django attaches, which only buries real errors. A 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
