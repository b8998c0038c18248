"""Engine and session factory, SQLite pragmas, and the metadata naming convention.

One `Database` per app. Web requests use `db.session` (a scoped session removed at the
end of each request); jobs and CLI commands open their own with `db.new_session()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def is_sqlite(url_or_engine: Any) -> bool:
    url = getattr(url_or_engine, "url", url_or_engine)
    return str(url).startswith("sqlite")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE.

    pysqlite opens transactions lazily and never with BEGIN IMMEDIATE, so two writers can
    both read a unit as free and one fails late with "database is locked". Taking the write
    lock at BEGIN makes SQLite transactions serialise like PostgreSQL row locks would, and
    makes savepoints work (SQLAlchemy's documented recipe).
    """
    # SQL parameters carry what users typed (case notes, phone numbers): never into an
    # exception's text or the log.
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        kwargs.setdefault("connect_args", {}).update({"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # The audit trigger asks this; 0 = deleting audit rows is refused (migration 0006).
        dbapi_connection.create_function("shelterbeds_audit_purge", 0, lambda: 0)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Holds the engine and session factories for one app."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.single_connection = False
        self._factory: sessionmaker[Session] | None = None
        # scoped_session accepts any session factory; binding is deferred to init().
        self.registry: scoped_session[Session] = scoped_session(self._make_session)  # type: ignore[arg-type]

    @property
    def session(self) -> Session:
        """The current request's session (thread-local; removed when the request ends)."""
        return self.registry()

    def init(self, url: str, bind: Engine | Connection | None = None, **session_kw: Any) -> None:
        """Bind to a database URL, or to an existing engine/connection (tests)."""
        # One shared connection (tests): nothing may use it from another thread.
        self.single_connection = bind is not None and not isinstance(bind, Engine)
        if bind is None:
            self.engine = make_engine(url)
            bind = self.engine
        elif isinstance(bind, Engine):
            self.engine = bind
        else:
            # Tests: the session joins an outer transaction; commits become savepoints.
            self.engine = bind.engine
            session_kw.setdefault("join_transaction_mode", "create_savepoint")
        session_kw.setdefault("expire_on_commit", False)
        self._factory = sessionmaker(bind=bind, **session_kw)

    def _make_session(self) -> Session:
        if self._factory is None:
            raise RuntimeError("Database.init() was not called")
        return self._factory()

    def new_session(self) -> Session:
        """A session outside the request scope (jobs, CLI)."""
        return self._make_session()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        session = self.new_session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def insert_ignoring_conflict(bind: Any, entity: Any, *columns: str) -> Any:
    """An INSERT for `entity` that inserts nothing when `columns` (a unique constraint)
    already hold the values: `ON CONFLICT (columns) DO NOTHING`, on PostgreSQL and SQLite
    alike. Only that constraint's conflicts are ignored; any other still fails."""
    from sqlalchemy.dialects import postgresql, sqlite

    if bind.dialect.name == "sqlite":  # an Engine or a Connection
        return sqlite.insert(entity).on_conflict_do_nothing(index_elements=list(columns))
    return postgresql.insert(entity).on_conflict_do_nothing(index_elements=list(columns))
