"""The production shape: gunicorn with 4 workers on PostgreSQL, 50 requests for one unit."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelterbeds.domain.clock import utcnow
from shelterbeds.models import PlacementRequest, User
from shelterbeds.services import auth
from tests.support.factories import PG_URL, on_postgres
from tests.support.factories import demo_with_one_free_unit as _setup
from tests.support.live import gunicorn

pytestmark = on_postgres


@pytest.fixture
def server(committed_engine: Any, tmp_path: Any) -> Any:
    with gunicorn(PG_URL, tmp_path, workers=4) as live:
        yield live


def test_fifty_concurrent_posts_through_gunicorn(server, committed_engine):
    ids = _setup(committed_engine)
    with Session(committed_engine) as session:
        _token, raw = auth.create_token(
            session, session.get_one(User, ids["social_worker"]), "race", utcnow()
        )
        session.commit()
    body = {
        "unit_id": ids["unit"],
        "municipality_code": "1880",
        "case_ref": "SJ-GUNICORN",
        "household": {"adults": 1, "children": [{"age": 3, "sex": "m"}]},
        "callback_phone": "070-123 45 67",
    }
    barrier = threading.Barrier(50)
    codes: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        code = server.call("POST", "/api/v1/requests", body, raw).status
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=run) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert Counter(codes) == {201: 1, 409: 49}
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(PlacementRequest)) == 1
