"""Keep personnummer out of every log line: one filter, the same detector as the input guard.

`install()` wraps the log-record factory, so every record of every logger (ours, Flask's,
gunicorn's, SQLAlchemy's) is scrubbed when it is created, whatever handler writes it.
`ScrubFilter` does the same for a handler configured elsewhere (e.g. gunicorn's own).
"""

from __future__ import annotations

import logging
from typing import Any

from .domain.personnummer import contains_personnummer, scrub

_installed = False


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """Replace any personnummer in the record's message, arguments and exception text."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep the raw parts, scrubbed
        message = f"{record.msg} {record.args}"
    if contains_personnummer(message):
        record.msg, record.args = scrub(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = scrub(record.exc_text)
        record.exc_info = None  # formatted (and scrubbed) once; never re-rendered raw
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    return record


class ScrubFilter(logging.Filter):
    """A logging filter that redacts personnummer; it never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


def install() -> None:
    """Scrub every log record at creation (idempotent; process-wide)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrub_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
