"""Demo accounts, request bodies and small lookups shared by the tests."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from shelterbeds.config import Settings
from shelterbeds.domain.clock import utcnow
from shelterbeds.domain.enums import UnitStatus
from shelterbeds.models import Shelter, Unit, User
from shelterbeds.services.demo import load_demo

DEMO_PASSWORD = "demo-password-123"
SOCIALJOUR = "socialjour.orebro@example.org"
KARLSKOGA_SW = "socialtjanst.karlskoga@example.org"
STAFF_OREBRO = "personal.orebro@example.org"
STAFF_SARA = "personal.sara@example.org"
ADMIN = "admin@example.org"
ANALYST = "lansstyrelsen@example.org"

PG_URL = os.environ.get("SHELTERBEDS_TEST_DATABASE_URL", "")
on_postgres = pytest.mark.skipif(
    not PG_URL.startswith("postgresql"), reason="needs PostgreSQL (set the test database URL)"
)
on_sqlite = pytest.mark.skipif(PG_URL.startswith("postgresql"), reason="SQLite-only race")


def unit_at(session: Session, shelter_slug: str, label: str) -> Unit:
    """The demo unit with this label at this shelter."""
    unit = session.scalar(
        select(Unit).join(Shelter).where(Shelter.slug == shelter_slug, Unit.label == label)
    )
    assert unit is not None, (shelter_slug, label)
    return unit


def request_body(unit_id: int, **overrides: Any) -> dict[str, Any]:
    """A valid placement request body for the API (Socialjouren, Örebro)."""
    body: dict[str, Any] = {
        "unit_id": unit_id,
        "municipality_code": "1880",
        "case_ref": "SJ-2026-117",
        "household": {"adults": 1, "children": [{"age": 4, "sex": "f"}]},
        "needs": {"wheelchair": False},
        "urgency": "immediate",
        "callback_phone": "070-123 45 67",
    }
    body.update(overrides)
    return body


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def demo_with_one_free_unit(engine: Engine) -> dict[str, int]:
    """Commit the demo with only Kvinnohuset i Örebro, Rum 1 left free; return useful ids."""
    with Session(engine) as session:
        load_demo(session, utcnow(), password=DEMO_PASSWORD)
        unit = unit_at(session, "kvinnohuset-orebro", "Rum 1")
        session.execute(
            update(Unit)
            .where(Unit.id != unit.id, Unit.status == UnitStatus.FREE)
            .values(status=UnitStatus.OCCUPIED)
        )
        ids = {
            "unit": unit.id,
            "social_worker": session.scalar(select(User.id).where(User.email == SOCIALJOUR)),
            "staff": session.scalar(select(User.id).where(User.email == STAFF_OREBRO)),
        }
        session.commit()
    return {k: int(v) for k, v in ids.items() if v is not None}


def csrf(client: Any, path: str = "/login") -> str:
    """The CSRF token of the first form on a page."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: Any, email: str, password: str = DEMO_PASSWORD) -> Any:
    """Sign in through the web form."""
    token = csrf(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for tests: the test database, the recording SMS sender, a fixed secret."""
    base = Settings(
        env="test",
        database_url=database_url,
        secret_key="test-secret",
        sms_backend="recording",
        public_url="https://shelterbeds.test",
        # The cheapest Argon2id: hashing dominated the suite's time.
        password_hash_time_cost=1,
        password_hash_memory_kib=32,
    )
    return base.with_overrides(overrides)


def dispose_app_engine() -> None:
    """Give back the engine of an app created on its own engine (another web node in a
    test), with the connection its cache-version reader holds."""
    from shelterbeds.extensions import db
    from shelterbeds.services import versions

    if db.engine is not None:
        versions.close_reader(db.engine)
        db.engine.dispose()
