"""The county dashboard in a real browser at phone width: charts drawn by the vendored
Chart.js under the app's CSP, no script errors, no horizontal scroll at 360 px."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from shelterbeds.db import make_engine
from shelterbeds.domain.clock import utcnow

from .conftest import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.e2e
ANALYST = "lansstyrelsen@example.org"


def _history(database_url: str) -> None:
    """A year of synthetic history for the demo's shelters (the benchmark's generator)."""
    from datetime import timedelta

    from scripts.bench_stats import generate_history

    engine = make_engine(database_url)
    now = utcnow()
    with Session(engine) as session:
        generate_history(
            session,
            now,
            password="e2e-history-password",
            years=1,
            requests_per_year=200,
            manual_turnaways_per_year=40,
            signals_per_year=30,
            changes_per_unit_year=20,
            history_until=now - timedelta(hours=2),
        )
        session.commit()
    engine.dispose()


def test_dashboard_on_a_phone(phone_page: Any, live_server: LiveServer) -> None:
    _history(live_server.database_url)
    problems: list[str] = []
    phone_page.on("pageerror", lambda err: problems.append(str(err)))
    phone_page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    phone_page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    phone_page.set_viewport_size({"width": 360, "height": 800})
    sign_in(phone_page, ANALYST)
    assert phone_page.url.endswith("/stats")  # the analyst's landing page
    phone_page.wait_for_function(
        "Array.from(document.querySelectorAll('canvas')).every(c => c.chart)"
    )
    drawn = phone_page.evaluate("document.querySelectorAll('canvas').length")
    assert drawn >= 4
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways: {width}px"
    tables = phone_page.locator("table.stats-table")
    assert tables.count() >= 8
    screenshot(phone_page, "stats-dashboard-phone")
    phone_page.goto("/stats/report")
    assert phone_page.locator("#print-report").count() == 1
    phone_page.wait_for_function(
        "Array.from(document.querySelectorAll('canvas')).every(c => c.chart)"
    )
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone_page, "stats-report-phone")
    assert problems == []
