"""An unexpected error: the caller gets a bare 500, the operator gets the traceback in the
log — and a database error's message and parameters, which may quote what a user typed,
reach neither."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shelterbeds import create_app
from shelterbeds.extensions import db
from tests.support.factories import dispose_app_engine, make_settings

TYPED = "Anna Andersson"
# Fails with a message that names a value (the table); its parameter is what a user typed.
FAILING = text("SELECT * FROM anna_andersson WHERE x = :x")


@pytest.fixture
def production_app(database_url, engine):
    app = create_app(make_settings(database_url))
    assert not app.testing and not app.debug  # the catch-all handler is on

    @app.get("/boom")
    def boom():
        raise RuntimeError("the clock is off by a day")

    @app.get("/boom-db")
    def boom_db():
        db.session.execute(FAILING, {"x": TYPED})

    yield app
    dispose_app_engine()  # the app's own engine and its connections


def test_an_unexpected_error_is_logged_with_its_traceback(production_app, caplog):
    with caplog.at_level(logging.ERROR, logger=production_app.logger.name):
        answer = production_app.test_client().get("/boom")
    assert answer.status_code == 500
    assert "clock" not in answer.get_data(as_text=True)
    record = next(r for r in caplog.records if "unexpected error" in r.getMessage())
    assert record.getMessage() == "unexpected error on GET /boom"
    logged = caplog.text
    assert "Traceback" in logged and "RuntimeError: the clock is off by a day" in logged
    assert "in boom" in logged


def test_a_database_error_is_logged_without_its_message_or_parameters(production_app, caplog):
    with caplog.at_level(logging.ERROR, logger=production_app.logger.name):
        answer = production_app.test_client().get("/boom-db")
    assert answer.status_code == 500
    logged = caplog.text
    assert "unexpected database error" in logged and "GET /boom-db" in logged
    assert "Traceback" in logged and "in boom_db" in logged
    assert TYPED not in logged and "anna_andersson" not in logged.lower()
    assert TYPED not in answer.get_data(as_text=True)


def test_database_errors_carry_no_parameters_anywhere(production_app):
    """Whoever logs a database error (the after-commit sender, a job) logs no parameters."""
    with production_app.app_context(), pytest.raises(DBAPIError) as caught:
        db.session.execute(FAILING, {"x": TYPED})
    assert TYPED not in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)
