"""National ids and bearer tokens never reach the application log."""

from __future__ import annotations

import io
import logging

import pytest

from trygg.lib.redact import RedactingFilter, redact

ID_FORMS = [
    "191212121212",
    "19121212-1212",
    "19121212+1212",
    "19121212 1212",
    "1212121212",
    "121212-1212",
    "121212+1212",
    "15078512323",
    "150785 12323",
    "150785-12323",
]


@pytest.fixture
def log() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("trygg.tests.redact")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


@pytest.mark.parametrize("number", ID_FORMS)
def test_it_masks_a_national_id_in_the_message(log, number) -> None:
    logger, stream = log
    logger.info(f"looked up {number} at the desk")
    assert number not in stream.getvalue()
    assert "looked up [id] at the desk" in stream.getvalue()


@pytest.mark.parametrize("number", ID_FORMS)
def test_it_masks_a_national_id_passed_as_an_argument(log, number) -> None:
    logger, stream = log
    logger.warning("client %s not found (%d tries)", number, 3)
    assert number not in stream.getvalue()
    assert "client [id] not found (3 tries)" in stream.getvalue()


def test_it_masks_a_national_id_in_an_exception(log) -> None:
    logger, stream = log
    try:
        raise ValueError("duplicate key (national_id)=(191212121212)")
    except ValueError:
        logger.exception("import failed for 19121212-1212")
    output = stream.getvalue()
    assert "1212121212" not in output
    assert "Traceback" in output


def test_it_masks_bearer_tokens(log) -> None:
    logger, stream = log
    logger.info("Authorization: Bearer trg_abc.DEF-123_~+/= from 10.0.0.1")
    assert "trg_abc" not in stream.getvalue()
    assert "Authorization: Bearer [token] from 10.0.0.1" in stream.getvalue()


def test_it_leaves_ordinary_numbers_alone() -> None:
    text = "order 12345 took 250 ms at 2026-03-10 14:00; phone 070-123 45 67"
    assert redact(text) == text


def test_a_record_without_secrets_is_untouched(log) -> None:
    logger, stream = log
    logger.info("%s visits synced", 12)
    assert stream.getvalue() == "INFO 12 visits synced\n"
