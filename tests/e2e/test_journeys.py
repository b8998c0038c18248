"""The journeys of issue 12 on a 360×740 phone, each party in a browser context of its own.

"Without reload" is checked, not assumed: a marker set on the page's `window` before the
change must still be there after it (a reload or navigation would clear it).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.factories import ADMIN, ANALYST, SOCIALJOUR, STAFF_SARA

from .conftest import (
    PHONE,
    LiveServer,
    api_request,
    new_page,
    screenshot,
    sign_in,
    unit_id,
)

pytestmark = pytest.mark.e2e

LIVE_WAIT_MS = 15_000  # the bound: a change shows within 15 s


def mark(page: Any) -> None:
    page.evaluate("window.__notReloaded = true")


def not_reloaded(page: Any) -> bool:
    return bool(page.evaluate("window.__notReloaded === true"))


def in_view(page: Any, selector: str) -> bool:
    """The element is inside the phone's screen as it is now (no scrolling needed)."""
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def test_the_night_journey(browser: Any, live_server: LiveServer) -> None:
    staff = new_page(browser, live_server)
    social = new_page(browser, live_server)
    try:
        # Shelter staff at Sara-huset have the incoming requests open, nothing waiting.
        sign_in(staff, STAFF_SARA)
        staff.goto("/requests")
        assert staff.inner_text("[data-testid=waiting-count]") == "0"
        mark(staff)

        # The socialjour: a woman with a girl of 4, a boy of 15 and a dog.
        sign_in(social, SOCIALJOUR)
        assert social.url.endswith("/search")
        assert in_view(social, "[data-testid=search]")  # the primary action, no scrolling
        social.fill("#child_age_0", "4")
        social.check("input[name=child_sex_0][value=f]")
        social.click("[data-add-child]")  # JavaScript shows the next row: no page load
        social.fill("#child_age_1", "15")
        social.check("input[name=child_sex_1][value=m]")
        social.check("input[name=pets]")
        social.select_option("#municipality", "1880")
        with social.expect_navigation():
            social.click("[data-testid=search]")
        hits = social.locator("[data-testid=results] article.hit")
        assert [h.get_attribute("data-shelter-slug") for h in hits.all()] == ["sara-huset"]
        near = social.locator("[data-testid=near-misses]")
        orebro = near.locator("li[data-shelter-slug=kvinnohuset-orebro]")
        assert orebro.get_attribute("data-reason") == "pets"  # a boy of 15 is within its limit
        screenshot(social, "journey-night-1-results-phone", full_page=False)

        with social.expect_navigation():
            social.locator("article.hit[data-shelter-slug=sara-huset] a.request-this").first.tap()
        assert social.input_value("#child_age_1") == "15"  # the household came along
        assert social.is_checked("input[name=child_sex_1][value=m]")
        assert social.is_checked("input[name=pets]")
        social.fill("#case_ref", "SJ-NATT-7")
        social.fill("#callback_phone", "070-123 45 67")
        assert in_view(social, "[data-testid=send-request]")
        screenshot(social, "journey-night-2-request-phone", full_page=False)
        with social.expect_navigation():
            social.click("[data-testid=send-request]")
        assert social.url.endswith("/requests")
        mine = social.locator("li.request").first
        assert mine.get_attribute("data-status") == "pending"
        assert "Sara-huset" in mine.inner_text()
        mark(social)

        # The staff's open page gets the request by itself: list and count, no reload.
        staff.wait_for_selector("li.request[data-status=pending]", timeout=LIVE_WAIT_MS)
        assert not_reloaded(staff)
        assert staff.inner_text("[data-testid=waiting-count]") == "1"
        assert "SJ-NATT-7" in staff.inner_text("li.request[data-status=pending]")
        assert in_view(staff, "[data-testid=accept]")  # answer without scrolling
        screenshot(staff, "journey-night-3-staff-incoming-phone", full_page=False)
        with staff.expect_navigation():
            staff.click("[data-testid=accept]")
        assert staff.locator("li.request").first.get_attribute("data-status") == "accepted"

        # The socialjour sees the answer on the page she has open.
        social.wait_for_selector("li.request[data-status=accepted]", timeout=LIVE_WAIT_MS)
        assert not_reloaded(social)
        status = social.inner_text("li.request[data-status=accepted] [data-testid=request-status]")
        assert status == "Accepterad"
        screenshot(social, "journey-night-4-accepted-phone", full_page=False)
    finally:
        staff.context.close()
        social.context.close()


def test_a_half_chosen_decline_reason_survives_a_new_request(
    browser: Any, live_server: LiveServer
) -> None:
    first = api_request(live_server, unit_id(live_server, "sara-huset", "Lägenhet 2"))
    staff = new_page(browser, live_server)
    try:
        sign_in(staff, STAFF_SARA)
        staff.goto("/requests")
        reason = f"#reason-{first['id']}"
        staff.select_option(reason, "capacity")
        staff.focus(reason)
        mark(staff)
        second = api_request(
            live_server, unit_id(live_server, "sara-huset", "Lägenhet 3"), case_ref="SJ-2"
        )
        staff.wait_for_selector(f"#request-{second['id']}", timeout=LIVE_WAIT_MS)
        assert not_reloaded(staff)
        assert staff.input_value(reason) == "capacity"  # the form being filled is untouched
        assert staff.inner_text("[data-testid=waiting-count]") == "2"
    finally:
        staff.context.close()


def test_after_a_decline_the_next_places_are_one_tap_away(
    browser: Any, live_server: LiveServer
) -> None:
    req = api_request(live_server, unit_id(live_server, "kvinnohuset-orebro", "Rum 1"))
    staff = new_page(browser, live_server)
    social = new_page(browser, live_server)
    try:
        sign_in(social, SOCIALJOUR)
        social.goto("/requests")
        mark(social)
        sign_in(staff, "personal.orebro@example.org")
        staff.goto("/requests")
        staff.select_option(f"#reason-{req['id']}", "capacity")
        with staff.expect_navigation():
            staff.click(f"#request-{req['id']} [data-testid=decline]")
        social.wait_for_selector("li.request[data-status=declined]", timeout=LIVE_WAIT_MS)
        assert not_reloaded(social)
        with social.expect_navigation():
            social.tap("[data-testid=next-places]")
        assert "/search" in social.url
        slugs = [
            h.get_attribute("data-shelter-slug")
            for h in social.locator("[data-testid=results] article.hit").all()
        ]
        assert "sara-huset" in slugs
        assert social.input_value("#child_age_0") == "4"  # the same household
        screenshot(social, "journey-next-places-phone", full_page=False)
    finally:
        staff.context.close()
        social.context.close()


def test_staff_frees_a_unit_confirms_and_logs_a_phone_refusal(
    browser: Any, live_server: LiveServer
) -> None:
    page = new_page(browser, live_server)
    try:
        sign_in(page, STAFF_SARA)
        last = "li.unit[data-unit-label='Lägenhet 13']"
        assert page.get_attribute(last, "data-status") == "occupied"
        with page.expect_navigation():
            page.locator(f"{last} button[name=status][value=free]").tap()
        assert page.get_attribute(last, "data-status") == "free"
        with page.expect_navigation():
            page.locator("[data-testid=confirm]").tap()
        assert "bekräftade" in page.inner_text("[data-testid=flash]")

        page.goto("/turnaways")
        page.fill("#adults", "1")
        page.fill("#children", "2")
        page.check("input[name=reason][value=capacity]")
        page.check("input[name=channel][value=phone]")
        with page.expect_navigation():
            page.click("form.turnaway-form button[type=submit]")
        flash = page.inner_text("[data-testid=flash]")
        assert re.search(r"\b1 vuxen\b", flash) or "registrerad" in flash.lower(), flash
        screenshot(page, "journey-staff-turnaway-phone", full_page=False)
    finally:
        page.context.close()


def test_an_administrator_onboards_a_shelter(browser: Any, live_server: LiveServer) -> None:
    page = new_page(browser, live_server)
    try:
        sign_in(page, ADMIN)
        page.goto("/admin/shelters")
        page.fill("#name", "Kvinnojouren Nora")
        page.fill("#slug", "kvinnojouren-nora")
        page.fill("#municipality_code", "1884")
        page.check("input[name=accepts_women]")
        page.fill("#staffed_hours", "08–17")
        with page.expect_navigation():
            page.click("form[action$='/admin/shelters'] button[type=submit]")
        assert re.search(r"/admin/shelters/\d+$", page.url), page.url
        page.fill("#new-label", "Rum 1")
        page.fill("#new-child", "2")
        with page.expect_navigation():
            page.click("form[action$='/units'] button[type=submit]")
        assert "Rum 1" in page.inner_text("[data-testid=flash]")

        page.goto("/admin/users")
        page.fill("#email", "personal.nora@example.org")
        page.select_option("#role", "shelter_staff")
        page.select_option("#shelter", "kvinnojouren-nora")
        with page.expect_navigation():
            page.click("form[action$='/admin/users'] button[type=submit]")
        link = page.input_value("#activation input")
        assert "/activate/" in link
        screenshot(page, "journey-admin-onboarded-phone", full_page=False)
    finally:
        page.context.close()


def test_search_and_request_by_keyboard_alone(browser: Any, live_server: LiveServer) -> None:
    page = new_page(browser, live_server)
    try:
        sign_in(page, SOCIALJOUR)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"

        def tab_to(selector: str, limit: int = 40) -> None:
            for _ in range(limit):
                page.keyboard.press("Tab")
                if page.evaluate(f"document.activeElement.matches({selector!r})"):
                    return
            raise AssertionError(f"never reached {selector} by Tab")

        tab_to("#child_age_0")
        page.keyboard.type("4")
        tab_to("input[name=child_sex_0]")
        page.keyboard.press("Space")  # the first radio: girl
        assert page.is_checked("input[name=child_sex_0][value=f]")
        tab_to("input[name=wheelchair]")
        page.keyboard.press("Space")
        # A visible focus ring on the focused control.
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"
        tab_to("[data-testid=search]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        tab_to("a.request-this")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        tab_to("#case_ref")
        page.keyboard.type("SJ-TANGENT-1")
        tab_to("#callback_phone")
        page.keyboard.type("070-123 45 67")
        with page.expect_navigation():
            page.keyboard.press("Enter")  # Enter in a field sends (not "add child")
        assert page.url.endswith("/requests")
        assert page.locator("li.request").first.get_attribute("data-status") == "pending"
    finally:
        page.context.close()


def test_the_waiting_count_follows_on_the_staff_landing_page(
    browser: Any, live_server: LiveServer
) -> None:
    staff = new_page(browser, live_server)
    try:
        sign_in(staff, STAFF_SARA)
        assert staff.url.endswith("/shelter")
        count = staff.locator("[data-testid=waiting-count]")
        assert count.inner_text() == "0" and count.is_visible()  # on screen, not in the menu
        mark(staff)
        api_request(live_server, unit_id(live_server, "sara-huset", "Lägenhet 2"))
        expect(count).to_have_text("1", timeout=LIVE_WAIT_MS)
        assert not_reloaded(staff)
        assert "1 väntar på svar" in count.get_attribute("aria-label")
    finally:
        staff.context.close()


def test_the_county_analyst_opens_the_dashboard_and_downloads_xlsx(
    browser: Any, live_server: LiveServer, tmp_path: Any
) -> None:
    from openpyxl import load_workbook

    page = new_page(browser, live_server)
    try:
        sign_in(page, ANALYST)
        assert page.url.endswith("/stats")  # the analyst's landing page
        section = page.locator("section.stats-section").first
        title = section.locator("h2").inner_text()
        xlsx = section.locator("a[href*='.xlsx']")
        assert xlsx.bounding_box()["height"] >= 44
        with page.expect_download() as info:
            xlsx.click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        assert path.suffix == ".xlsx"
        sheet = load_workbook(path, read_only=True).active
        first_row = [c for c in next(sheet.iter_rows(values_only=True)) if c is not None]
        assert first_row, f"the XLSX of {title!r} has no header row"
        screenshot(page, "journey-analyst-dashboard-phone", full_page=False)
    finally:
        page.context.close()
