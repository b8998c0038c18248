"""Production-like apps for the security tests: HTTPS host, __Host- cookies, Redis limits."""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

from shelterbeds import create_app
from tests.support.factories import DEMO_PASSWORD, make_settings

REDIS_URL = os.environ.get("SHELTERBEDS_TEST_REDIS_URL", "")
HOST = "shelterbeds.test"
BASE = f"https://{HOST}"


def prod_app(database_url: str, connection: Any, **overrides: Any) -> Any:
    """An app with production settings behind no proxy, bound to the test connection.

    The second factor is off unless a test asks (`require_2fa=""`: production's default,
    required); the tests of limits, headers and sessions sign in with the password only.
    """
    values: dict[str, Any] = {
        "env": "production",
        "require_2fa": "0",
        "secret_key": "prod-test-secret-0123456789",
        "public_url": BASE,
        "redis_url": REDIS_URL,
        "rate_limit_prefix": f"test-{uuid.uuid4().hex}",
    }
    values.update(overrides)
    app = create_app(make_settings(database_url, **values), db_bind=connection)
    app.config.update(TESTING=True)
    return app


def prod_client(app: Any) -> Any:
    """A test client whose every request goes to https://shelterbeds.test."""
    client = app.test_client()
    plain_open = client.open

    def open_https(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("base_url", BASE)
        return plain_open(*args, **kwargs)

    client.open = open_https
    return client


def form_token(client: Any, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client: Any, path: str, data: dict[str, Any], **kw: Any) -> Any:
    """POST a form as a browser on HTTPS does (CSRF token, same-origin Referer)."""
    headers = {"Referer": BASE + path} | kw.pop("headers", {})
    return client.post(path, data=data, headers=headers, **kw)


def sign_in(client: Any, email: str, password: str = DEMO_PASSWORD, **kw: Any) -> Any:
    token = form_token(client)
    return post_form(
        client, "/login", {"email": email, "password": password, "csrf_token": token}, **kw
    )
