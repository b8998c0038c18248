"""The production shape: gunicorn with 4 workers on PostgreSQL, 50 requests for one unit."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelterbeds.domain.clock import utcnow
from shelterbeds.models import PlacementRequest, User
from shelterbeds.services import auth

from .test_concurrency import PG_URL, _setup, on_postgres

pytestmark = on_postgres


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: dict[str, Any], token: str) -> int:
    req = urllib.request.Request(  # noqa: S310 (a local test server)
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


@pytest.fixture
def server(committed_engine: Any, tmp_path: Any) -> Any:
    port = _free_port()
    env = {
        **os.environ,
        "SHELTERBEDS_DATABASE_URL": PG_URL,
        "SHELTERBEDS_ENV": "development",
        "SHELTERBEDS_SECRET_KEY": "race-test",
        "SHELTERBEDS_SMS_BACKEND": "console",
        "SHELTERBEDS_INSTANCE_DIR": str(tmp_path),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "shelterbeds:create_app()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310
                break
        except OSError:
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(30)


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
        code = _post(server + "/api/v1/requests", body, raw)
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
