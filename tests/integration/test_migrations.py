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


def test_0010_packs_the_stored_decision_times_and_back(tmp_path):
    """Stored decision times survive the change from text to packed integers, both ways."""
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from shelterbeds.domain.enums import OrganisationKind
    from shelterbeds.models import Organisation, Shelter
    from shelterbeds.services.reference import ensure_reference_data
    from shelterbeds.statistics.request_cells import unpack_seconds

    url = f"sqlite:///{tmp_path / 'rollup.sqlite3'}"
    upgrade(url, "0009_stats_rollup")
    engine = make_engine(url)
    # The app's Session hooks bump the change counters of today's schema on commit, and 0009
    # has no `stats` counter: the Session only flushes into the connection's transaction,
    # which the test commits itself.
    with engine.connect() as conn:
        conn.begin()
        session = Session(bind=conn)  # organisations and shelters are as at 0009
        ensure_reference_data(session)
        operator = Organisation(
            slug="op", name="Op", kind=OrganisationKind.SHELTER_OPERATOR, county_code="03"
        )
        session.add(operator)
        session.flush()
        shelter = Shelter(slug="a", name="A", operator_id=operator.id, municipality_code="0380")
        session.add(shelter)
        session.flush()
        session.execute(
            text(
                "INSERT INTO shelter_months (shelter_id, month, unit_nights_open, "
                "unit_nights_occupied, nights_full, days_reported, computed_at, requests, "
                "accepted, declined, withdrawn, expired, decision_seconds) "
                "VALUES (:id, '2026-01', 31, 20, 0, 10, '2026-02-01 00:00:00', 3, 1, 1, 1, 0, "
                "'60 300 86400')"
            ),
            {"id": shelter.id},
        )
        session.close()
        conn.commit()
    upgrade(url)
    with engine.connect() as conn:
        packed = conn.execute(text("SELECT decision_times FROM shelter_months")).scalar()
    assert unpack_seconds(packed) == [60, 300, 86400]
    command.downgrade(alembic_config(url), "0009_stats_rollup")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT decision_seconds FROM shelter_months")).scalar()
    engine.dispose()
    assert back == "60 300 86400"
