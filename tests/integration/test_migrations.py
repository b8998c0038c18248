"""Migrations: one head, upgrade from empty, and no drift between models and migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from shelterbeds.db import is_sqlite, make_engine
from shelterbeds.migrate import alembic_config, upgrade
from shelterbeds.models import Base


def test_single_head():
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, script.get_heads()


def test_no_drift_between_models_and_migrations(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": is_sqlite(engine)}
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_on_an_empty_sqlite_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_the_suite_database_is_at_head(engine):
    from alembic.runtime.migration import MigrationContext as Ctx

    with engine.connect() as conn:
        current = Ctx.configure(conn).get_current_heads()
    script = ScriptDirectory.from_config(alembic_config())
    assert set(current) == set(script.get_heads())


@pytest.mark.parametrize("table", ["counties", "municipalities"])
def test_reference_data_is_loaded(engine, table):
    from sqlalchemy import text

    with engine.connect() as conn:
        n = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
    assert n == {"counties": 21, "municipalities": 290}[table]
