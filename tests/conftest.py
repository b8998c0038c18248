"""Shared fixtures: a real database (SQLite, or PostgreSQL when
SHELTERBEDS_TEST_DATABASE_URL is set) built by `alembic upgrade head`, each test rolled back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from shelterbeds import create_app
from shelterbeds.config import Settings
from shelterbeds.db import Base, is_sqlite, make_engine
from shelterbeds.domain.clock import utcnow
from shelterbeds.migrate import upgrade
from shelterbeds.services.reference import ensure_reference_data
from tests.support.factories import DEMO_PASSWORD, make_settings

# cache_versions: one row made by the migration (services/versions.py); kept, not emptied.
REFERENCE_TABLES = {"counties", "municipalities", "alembic_version", "cache_versions"}


def _database_url(tmp: Path) -> str:
    return os.environ.get("SHELTERBEDS_TEST_DATABASE_URL") or f"sqlite:///{tmp / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """A freshly migrated database with reference data, shared by the whole run."""
    engine = make_engine(database_url)
    if not is_sqlite(engine):
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(database_url)
    with Session(engine) as session:
        ensure_reference_data(session)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Any]:
    """One connection with an outer transaction rolled back after the test."""
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def app(settings: Settings, connection: Any) -> Iterator[Any]:
    """The app bound to the test connection. No app context is held open, so each test-client
    request gets its own context (fresh `g`, its own scoped session) as in production."""
    app = create_app(settings, db_bind=connection)
    app.config.update(TESTING=True)
    yield app


@pytest.fixture
def session(app: Any, connection: Any) -> Iterator[Session]:
    """The test's own session on the same connection; refreshed after every request."""
    from flask import request_finished

    test_session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )

    def _expire(_sender: Any, **_kw: Any) -> None:
        test_session.expire_all()

    request_finished.connect(_expire, app)
    yield test_session
    request_finished.disconnect(_expire, app)
    test_session.close()


@pytest.fixture
def demo(session: Session) -> Any:
    from shelterbeds.services.demo import load_demo

    result = load_demo(session, utcnow(), password=DEMO_PASSWORD)
    session.commit()
    return result


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def token_for(session: Session) -> Any:
    """token_for(email) -> 'Authorization' headers for that user's new API token."""
    from shelterbeds.services import auth

    def make(email: str) -> dict[str, str]:
        user = auth.user_by_email(session, email)
        _token, raw = auth.create_token(session, user, "test", utcnow())
        session.commit()
        return {"Authorization": f"Bearer {raw}"}

    return make


@pytest.fixture
def committed_engine(engine: Engine) -> Iterator[Engine]:
    """For tests that need real commits across connections (concurrency): cleaned after."""
    yield engine
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    with engine.begin() as conn:
        # The audit log is append-only in the database; only this cleanup may empty it,
        # through a switch local to this connection / transaction (migration 0006).
        if is_sqlite(engine):
            conn.connection.driver_connection.create_function(
                "shelterbeds_audit_purge", 0, lambda: 1
            )
            for t in tables:
                conn.execute(t.delete())
            conn.connection.driver_connection.create_function(
                "shelterbeds_audit_purge", 0, lambda: 0
            )
        else:
            conn.execute(text("SET LOCAL shelterbeds.audit_truncate = 'on'"))
            conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " CASCADE"))
