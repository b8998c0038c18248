"""Browser tests: the real app served by werkzeug on 127.0.0.1, driven by Debian's chromium.

Each test gets its own copy of a SQLite file that was migrated and given the demo once per
run, so tests can change units without seeing each other. Chromium is never downloaded: the
tests use /usr/bin/chromium, skip without it locally and fail without it in CI.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from shelterbeds import create_app
from shelterbeds.config import Settings
from shelterbeds.db import make_engine
from shelterbeds.domain.clock import utcnow
from shelterbeds.migrate import upgrade
from shelterbeds.services.demo import load_demo
from tests.support.factories import DEMO_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class LiveServer:
    url: str
    database_url: str
    app: Any


@pytest.fixture(scope="session")
def demo_database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with reference data and the demo, copied by each test."""
    path = tmp_path_factory.mktemp("e2e-template") / "demo.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        load_demo(session, utcnow(), password=DEMO_PASSWORD)
        session.commit()
    engine.dispose()
    return path


@pytest.fixture
def live_server(demo_database_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    """The app on a free port of 127.0.0.1 in a background thread, on a fresh demo DB."""
    db_path = tmp_path / "live.sqlite3"
    # SQLite's backup API copies the database consistently, WAL included.
    with (
        closing(sqlite3.connect(demo_database_template)) as src,
        closing(sqlite3.connect(db_path)) as dst,
    ):
        src.backup(dst)
    database_url = f"sqlite:///{db_path}"
    settings = Settings(
        env="test",  # no rate limit on sign-in: the tests sign in many times
        database_url=database_url,
        secret_key="e2e-secret",
        sms_backend="recording",
        public_url="http://127.0.0.1",
    )
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", database_url, app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        from shelterbeds.extensions import db

        if db.engine is not None:
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian chromium; skip locally without it, fail in CI (CI must not skip)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set: browser tests may not be skipped)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) with a phone-sized viewport and touch."""
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
        locale="sv-SE",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form and wait for the landing page."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form[action$='/login'] button[type=submit]")


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
