"""Sign-in is rate limited across workers (Redis storage, as in production)."""

from __future__ import annotations

import os
import uuid

import pytest

from shelterbeds import create_app
from tests.support.factories import csrf, make_settings

REDIS_URL = os.environ.get("SHELTERBEDS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_available() and not os.environ.get("CI"), reason="no Redis")
def test_login_is_rate_limited(database_url, connection, demo):
    settings = make_settings(
        database_url,
        redis_url=REDIS_URL,
        login_rate_limit="5 per minute",
        rate_limit_prefix=f"test-{uuid.uuid4().hex}",
    )
    app = create_app(settings, db_bind=connection)
    client = app.test_client()
    token = csrf(client)
    statuses = [
        client.post(
            "/login",
            data={
                "email": f"user{i}@example.org",  # per address, whatever the account
                "password": "wrong-password-x",
                "csrf_token": token,
            },
        ).status_code
        for i in range(7)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]
