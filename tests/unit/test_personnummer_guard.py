"""The one personnummer detector: every written form, scrubbing log lines, SMS bodies."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from shelterbeds import log_privacy
from shelterbeds.domain.errors import Invalid
from shelterbeds.domain.personnummer import REDACTED, contains_personnummer, scrub
from shelterbeds.notifications.outbox import enqueue
from tests.support.privacy import PERSONNUMMER_FORMS


@pytest.mark.parametrize("text", PERSONNUMMER_FORMS)
def test_each_written_form_is_found_alone_and_inside_text(text):
    assert contains_personnummer(text)
    assert contains_personnummer(f"Rum 3, ref {text}.")
    assert scrub(f"ref {text} ok") == f"ref {REDACTED} ok"


@pytest.mark.parametrize(
    "text",
    [
        "850101-1235",  # wrong check digit
        "851301-1236",  # month 13
        "12345850101123699",  # inside an unbroken longer number
        "070-123 45 67",  # a phone number
        "+46 70 174 06 05",
        "2024-01-15 10:30",
        "IVO 3.5.1-1234/2024",
        "Rum 12",
        "08-16",
        "",
    ],
)
def test_other_numbers_are_not_flagged(text):
    assert not contains_personnummer(text)
    assert scrub(text) == text


def test_log_records_are_scrubbed_whatever_the_logger(caplog):
    log_privacy.install()
    log_privacy.install()  # idempotent
    logger = logging.getLogger("shelterbeds.test.privacy")
    with caplog.at_level(logging.INFO):
        logger.info("case %s for %s", "850101–1236", "x")
        try:
            raise ValueError("bad 19850101-1236")
        except ValueError:
            logger.exception("failed")
    text = caplog.text
    assert "1236" not in text
    assert "case [personnummer] for x" in text
    assert f"ValueError: bad {REDACTED}" in text


def test_the_filter_scrubs_a_record_for_a_handler_configured_elsewhere():
    record = logging.LogRecord("g", logging.INFO, __file__, 1, "pnr %s", ("8501011236",), None)
    assert log_privacy.ScrubFilter().filter(record)
    assert record.getMessage() == f"pnr {REDACTED}"


def test_an_sms_body_with_a_personnummer_is_never_queued():
    with pytest.raises(Invalid):
        enqueue(
            None,  # type: ignore[arg-type]  # refused before the session is touched
            kind="test",
            to="+46701740605",
            body="Ny förfrågan 850101-1236",
            now=datetime.now(UTC),
        )
