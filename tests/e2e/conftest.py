"""Browser tests: the real app served by gunicorn (as the Procfile does) on 127.0.0.1, driven
by Debian's chromium.

The database is PostgreSQL when SHELTERBEDS_TEST_DATABASE_URL is set, SQLite otherwise. It is
migrated and given the demo once per run; each test serves its own copy (`CREATE DATABASE …
TEMPLATE` on PostgreSQL, SQLite's backup API otherwise), so tests can change units without
seeing each other. Chromium is never downloaded: the tests use /usr/bin/chromium, skip
without it locally, and fail instead of skipping when SHELTERBEDS_E2E_REQUIRED is set (CI).
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from shelterbeds import create_app
from shelterbeds.config import Settings
from shelterbeds.db import make_engine
from shelterbeds.domain.clock import utcnow
from shelterbeds.migrate import upgrade
from shelterbeds.services.demo import load_demo
from tests.support.factories import DEMO_PASSWORD
from tests.support.live import gunicorn

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
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
REQUIRED = bool(os.environ.get("SHELTERBEDS_E2E_REQUIRED") or os.environ.get("CI"))
PG_URL = os.environ.get("SHELTERBEDS_TEST_DATABASE_URL", "")
_copies = itertools.count(1)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Where browser tests are required (CI), a skipped one is a failure."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRED and report.skipped and item.get_closest_marker("e2e") is not None:
        report.outcome = "failed"
        why = report.longrepr
        report.longrepr = f"browser test skipped, but SHELTERBEDS_E2E_REQUIRED is set: {why}"


@dataclass
class LiveServer:
    url: str
    database_url: str
    app: Any  # an in-process app on the same database, for rendering expected texts


def _load(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        load_demo(session, utcnow(), password=DEMO_PASSWORD)
        session.commit()
    engine.dispose()


def _pg_admin(url: str) -> Any:
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def demo_database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database with reference data and the demo, copied by each test."""
    if PG_URL.startswith("postgresql"):
        name = f"{make_url(PG_URL).database}_e2e"
        admin = _pg_admin(PG_URL)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        _load(url)
        yield url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    path = tmp_path_factory.mktemp("e2e-template") / "demo.sqlite3"
    _load(f"sqlite:///{path}")
    yield f"sqlite:///{path}"


@pytest.fixture
def live_database(demo_database_template: str, tmp_path: Path) -> Iterator[str]:
    """This test's own copy of the demo database."""
    template = make_url(demo_database_template)
    if template.drivername.startswith("postgresql"):
        name = f"{template.database}_{next(_copies)}"
        admin = _pg_admin(demo_database_template)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"'))
        yield template.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    db_path = tmp_path / "live.sqlite3"
    # SQLite's backup API copies the database consistently, WAL included.
    with (
        closing(sqlite3.connect(str(template.database))) as src,
        closing(sqlite3.connect(db_path)) as dst,
    ):
        src.backup(dst)
    yield f"sqlite:///{db_path}"


@pytest.fixture
def live_server(live_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    """gunicorn (2 workers) on a free port of 127.0.0.1, serving this test's database."""
    env = {
        # Many sign-ins from one address within a minute: the limit is not under test here.
        "SHELTERBEDS_LOGIN_RATE_LIMIT": "1000 per minute",
        "SHELTERBEDS_PASSWORD_HASH_TIME_COST": "1",
        "SHELTERBEDS_PASSWORD_HASH_MEMORY_KIB": "32",
    }
    with gunicorn(live_database, tmp_path, **env) as server:
        settings = Settings(
            env="test", database_url=live_database, secret_key="e2e", sms_backend="recording"
        )
        app = create_app(settings)
        try:
            yield LiveServer(server.url, live_database, app)
        finally:
            from shelterbeds.extensions import db

            with app.app_context():
                db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian chromium; skip locally without it (a failure where required)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(
    browser: Any, server: LiveServer, *, viewport: dict[str, int] = PHONE, locale: str = "sv-SE"
) -> Any:
    """A page in a fresh browser context (no cookies): phone-sized with touch by default."""
    phone = viewport["width"] < 600
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        base_url=server.url,
        locale=locale,
        timezone_id="Europe/Stockholm",
    )
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def phone_page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) with a phone-sized viewport and touch."""
    page = new_page(browser, live_server)
    yield page
    page.context.close()


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
    # CSS pixels (not the phone's 2× device pixels): smaller and quicker on a busy machine.
    page.screenshot(path=str(path), full_page=full_page, scale="css", timeout=60_000)
    return path


def open_menu(page: Any) -> None:
    """Open the header menu if it is closed (a phone); on wide screens it is a row already."""
    menu = page.locator("details[data-menu]")
    if menu.count() and not menu.evaluate("el => el.open"):
        page.click("details[data-menu] > summary")


def choose_language(page: Any, lang: str) -> None:
    """Switch the language with the header's button (in the menu once signed in)."""
    if page.get_attribute("html", "lang") == lang:
        return
    open_menu(page)
    with page.expect_navigation():
        page.click(f"button[name=lang][value={lang}]")


def api_request(server: LiveServer, unit_id: int, **overrides: Any) -> dict[str, Any]:
    """Socialjouren requests (and holds) a unit through the API, as an integration would."""
    from shelterbeds.extensions import db
    from shelterbeds.services import auth
    from tests.support.factories import SOCIALJOUR, request_body

    with server.app.app_context():
        user = auth.user_by_email(db.session, SOCIALJOUR)
        _token, raw = auth.create_token(db.session, user, "e2e", utcnow())
        db.session.commit()
    req = urllib.request.Request(  # noqa: S310 (the local test server)
        server.url + "/api/v1/requests",
        data=json.dumps(request_body(unit_id, **overrides)).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {raw}"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
        assert resp.status == 201
        return dict(json.loads(resp.read()))


def unit_id(server: LiveServer, shelter_slug: str, label: str) -> int:
    """The id of a demo unit."""
    from shelterbeds.extensions import db
    from tests.support.factories import unit_at

    with server.app.app_context():
        return int(unit_at(db.session, shelter_slug, label).id)
