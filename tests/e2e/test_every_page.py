"""Every page, as every role sees it, on a 360×740 phone and a 1280×800 screen, in Swedish and
English: no sideways scroll, controls of at least 44×44 px on the phone, and zero axe-core
WCAG 2.0/2.1 A and AA violations. A screenshot of each is saved under test-artifacts/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from shelterbeds.extensions import db
from shelterbeds.models import Organisation, Shelter
from tests.support.factories import (
    ADMIN,
    ANALYST,
    SOCIALJOUR,
    STAFF_SARA,
    unit_at,
)

from .checks import page_problems
from .conftest import (
    DESKTOP,
    PHONE,
    LiveServer,
    api_request,
    choose_language,
    new_page,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.e2e

SEARCH_BOY_AND_DOG = "/search?go=1&adults=1&child_age_0=16&child_sex_0=m&pets=1"


def _ids(server: LiveServer) -> dict[str, int]:
    with server.app.app_context():
        session = db.session
        ids = {
            "unit": unit_at(session, "sara-huset", "Lägenhet 2").id,
            "shelter": session.scalar(select(Shelter.id).where(Shelter.slug == "sara-huset")),
            "org": session.scalar(
                select(Organisation.id).where(Organisation.slug == "socialjouren-orebro")
            ),
        }
    return {k: int(v) for k, v in ids.items() if v is not None}


def _pages(role: str, ids: dict[str, int]) -> list[str]:
    return {
        "anonymous": ["/login", "/no-such-page"],
        STAFF_SARA: [
            "/shelter",
            "/requests",
            "/placements",
            "/turnaways",
            "/subscriptions",
            "/shelter/profile",
            "/account/password",
        ],
        SOCIALJOUR: [
            "/search",
            SEARCH_BOY_AND_DOG,
            f"/requests/new?unit_id={ids['unit']}&adults=1",
            "/requests",
            "/placements",
            "/subscriptions",
            "/placements/follow-up",
            "/account/second-factor",
            "/api/v1/docs",
        ],
        ADMIN: [
            "/admin",
            "/admin/organisations",
            f"/admin/organisations/{ids['org']}",
            "/admin/shelters",
            f"/admin/shelters/{ids['shelter']}",
            "/admin/users",
            "/admin/tokens",
            "/admin/import",
            "/admin/audit",
            "/admin/audit/review",
            "/stats",
            "/search",
            "/requests",
            "/placements",
        ],
        ANALYST: ["/stats", "/stats/report", "/account/password"],
    }[role]


def _name(role: str, path: str) -> str:
    who = role.split("@")[0].replace(".", "-")
    return (
        who
        + re.sub(r"[^a-z0-9]+", "-", path.split("?")[0].lower()).rstrip("-")
        + ("-results" if "go=1" in path else "")
    )


@pytest.mark.parametrize("role", ["anonymous", STAFF_SARA, SOCIALJOUR, ADMIN, ANALYST])
def test_every_page_fits_a_phone_and_passes_axe(
    browser: Any, live_server: LiveServer, role: str
) -> None:
    ids = _ids(live_server)
    if role in (STAFF_SARA, SOCIALJOUR):
        with live_server.app.app_context():
            held = unit_at(db.session, "sara-huset", "Lägenhet 1").id
        api_request(live_server, held)
    problems: dict[str, list[str]] = {}
    for viewport, size in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = new_page(browser, live_server, viewport=viewport)
        try:
            if role != "anonymous":
                sign_in(page, role)
            for lang in ("sv", "en"):
                if size == "desktop" and lang == "en":
                    continue  # the layout does not change with the language
                page.goto(_pages(role, ids)[0])
                choose_language(page, lang)  # the choice is remembered: maybe already
                for index, path in enumerate(_pages(role, ids)):
                    page.goto(path)
                    assert page.get_attribute("html", "lang") == lang, path
                    # axe on the phone in both languages; on the wide layout (where the
                    # menu is an open row) the first page of each role is enough.
                    axe = size == "phone" or index == 0
                    found = page_problems(page, phone=size == "phone", axe=axe)
                    if found:
                        problems[f"{path} ({size}, {lang})"] = found
                    screenshot(page, f"{_name(role, path)}-{size}-{lang}")
        finally:
            page.context.close()
    assert not problems, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in problems.items())
