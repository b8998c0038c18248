"""Issue 2 as people use it: staff on a phone, a social worker searching, language, sign-out.

Elements are found by ids, names and data-* attributes, not by their (translated) text. Where
the language of a message is the point, the expected text is rendered by the app's own
Swedish catalogue, so the test holds while translations are being filled in.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask_babel import force_locale, gettext

from shelterbeds.domain.enums import MatchReason, UnitStatus
from shelterbeds.formatting import label

from .conftest import PHONE, LiveServer, choose_language, open_menu, screenshot, sign_in

pytestmark = pytest.mark.e2e

SARA_STAFF = "personal.sara@example.org"
SOCIALJOUR = "socialjour.orebro@example.org"


def in_swedish(app: Any, render: Any) -> str:
    """What `render()` says in Swedish according to the app's catalogue (which must have it)."""
    texts = {}
    for locale in ("sv", "en"):
        with app.test_request_context("/"), force_locale(locale):
            texts[locale] = str(render())
    assert texts["sv"] != texts["en"], f"no Swedish translation for {texts['en']!r}"
    return texts["sv"]


def unit_item(page: Any, unit_label: str) -> Any:
    return page.locator(f"li.unit[data-unit-label='{unit_label}']")


def confirmed_at(page: Any) -> str:
    return page.get_attribute("[data-testid=last-confirmed]", "data-confirmed-at")


def test_staff_sets_a_unit_occupied_and_confirms_on_a_phone(
    phone_page: Any, live_server: LiveServer
) -> None:
    page = phone_page
    sign_in(page, SARA_STAFF)
    assert page.url.endswith("/shelter")
    assert page.get_attribute("html", "lang") == "sv"
    screenshot(page, "staff-shelter-phone")

    # The header's links are thumb-sized too, and the menu opens without leaving the page.
    for link in page.locator(".topbar a:visible, .topbar summary").all():
        assert link.bounding_box()["height"] >= 44, link.inner_text()
    open_menu(page)
    for link in page.locator(".topbar nav a, .topbar nav button").all():
        box = link.bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= PHONE["width"], link.inner_text()
    page.click("details[data-menu] > summary")  # closed again

    # Every unit is a card with big one-tap buttons, inside the phone's width.
    items = page.locator("li.unit")
    assert items.count() == 13
    viewport_width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport_width
    for button in unit_item(page, "Lägenhet 1").locator("button[name=status]").all():
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 88, box  # a thumb, not a stylus
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport_width

    unit = unit_item(page, "Lägenhet 1")
    assert unit.get_attribute("data-status") == "free"
    before = confirmed_at(page)
    with page.expect_navigation():
        unit.locator("button[name=status][value=occupied]").tap()

    unit = unit_item(page, "Lägenhet 1")
    assert unit.get_attribute("data-status") == "occupied"
    assert unit.locator("button[value=occupied]").get_attribute("aria-pressed") == "true"
    assert unit_item(page, "Lägenhet 2").get_attribute("data-status") == "free"
    flash = page.locator("[data-testid=flash]").inner_text().strip()
    expected = in_swedish(
        live_server.app,
        lambda: gettext(
            "%(unit)s is now %(status)s.",
            unit="Lägenhet 1",
            status=label(UnitStatus.OCCUPIED).lower(),
        ),
    )
    assert flash == expected
    assert "Lägenhet 1" in flash
    after_change = confirmed_at(page)
    assert after_change > before  # a status change also stamps the shelter as confirmed
    screenshot(page, "staff-unit-occupied-phone")

    with page.expect_navigation():
        page.locator("[data-testid=confirm]").tap()
    assert confirmed_at(page) > after_change
    thanks = in_swedish(
        live_server.app, lambda: gettext("Thank you: the vacancies are confirmed as correct.")
    )
    assert page.locator("[data-testid=flash]").inner_text().strip() == thanks
    screenshot(page, "staff-confirmed-phone")


def on_screen(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()  # relative to the viewport
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def test_a_change_far_down_the_list_is_confirmed_on_screen(phone_page: Any) -> None:
    page = phone_page
    sign_in(page, SARA_STAFF)
    last = "li.unit[data-unit-label='Lägenhet 13']"
    assert page.get_attribute(last, "data-status") == "occupied"
    with page.expect_navigation():
        page.locator(f"{last} button[name=status][value=free]").tap()
    assert page.get_attribute(last, "data-status") == "free"
    # The page jumps to the unit, and the message saying what changed is still in view.
    assert on_screen(page, last + " .unit-head")
    assert on_screen(page, "[data-testid=flash]")
    assert "Lägenhet 13" in page.inner_text("[data-testid=flash]")
    screenshot(page, "staff-last-unit-freed-phone", full_page=False)


def search(page: Any, *, checks: tuple[str, ...] = (), boy_age: int | None = None) -> None:
    """Fill the search form from a clean state and submit it."""
    page.goto("/search")
    for name in checks:
        page.check(f"input[type=checkbox][name={name}]")
    if boy_age is not None:
        page.fill("input[name=child_age_0]", str(boy_age))
        page.check("input[name=child_sex_0][value=m]")
    with page.expect_navigation():
        page.click("[data-testid=search]")


def results_on_screen(page: Any) -> bool:
    """After a search the phone shows the results, not the top of the long form."""
    top = page.evaluate("document.getElementById('results').getBoundingClientRect().top")
    return -1 <= top < page.viewport_size["height"]  # sub-pixel scrolling


def result_slugs(page: Any) -> list[str]:
    hits = page.locator("[data-testid=results] article.hit")
    return [h.get_attribute("data-shelter-slug") for h in hits.all()]


def near_miss(page: Any, slug: str) -> Any:
    return page.locator(f"[data-testid=near-misses] li[data-shelter-slug='{slug}']")


def test_social_worker_searches_by_needs(phone_page: Any, live_server: LiveServer) -> None:
    page = phone_page
    sign_in(page, SOCIALJOUR)
    assert page.url.endswith("/search")

    search(page, checks=("wheelchair",))
    assert results_on_screen(page)
    assert result_slugs(page) == ["sara-huset"]
    units = page.locator("[data-testid=results] article.hit li[data-unit-id]")
    assert units.count() == 1
    assert units.first.inner_text().startswith("Lägenhet 1:")
    screenshot(page, "search-wheelchair-phone", full_page=False)

    search(page, checks=("lgbtq",))
    assert "kvinnohuset-orebro" not in result_slugs(page)
    assert "sara-huset" in result_slugs(page)
    orebro = near_miss(page, "kvinnohuset-orebro")
    assert orebro.get_attribute("data-reason") == "lgbtq"
    reason = in_swedish(live_server.app, lambda: label(MatchReason.LGBTQ))
    assert reason in orebro.inner_text()
    screenshot(page, "search-lgbtq-phone", full_page=False)

    search(page, boy_age=16)
    assert "kvinnohuset-orebro" not in result_slugs(page)
    assert near_miss(page, "kvinnohuset-orebro").get_attribute("data-reason") == "boys_age"
    boys = near_miss(page, "kvinnohuset-orebro").locator("li[data-reason=boys_age]")
    assert boys.inner_text() == "Pojkar upp till 15 år — antagande"
    assert page.input_value("input[name=child_age_0]") == "16"  # the form keeps the household
    screenshot(page, "search-boy16-phone", full_page=False)


def test_language_switch_to_english_and_back(phone_page: Any) -> None:
    page = phone_page
    sign_in(page, SARA_STAFF)
    assert page.get_attribute("html", "lang") == "sv"
    choose_language(page, "en")
    assert page.get_attribute("html", "lang") == "en"
    assert page.url.endswith("/shelter")  # stays on the same page
    page.goto("/shelter")  # the choice sticks across pages
    assert page.get_attribute("html", "lang") == "en"
    screenshot(page, "staff-shelter-english-phone")
    choose_language(page, "sv")
    assert page.get_attribute("html", "lang") == "sv"
    assert page.locator("button[name=lang][value=en]").count() == 1


def test_sign_out_ends_the_session(browser: Any, phone_page: Any, live_server: LiveServer) -> None:
    page = phone_page
    sign_in(page, SARA_STAFF)
    old_cookies = page.context.cookies()
    assert any(c["name"] == "shelterbeds_session" for c in old_cookies)
    open_menu(page)
    with page.expect_navigation():
        page.click("[data-testid=logout]")
    assert "/login" in page.url
    page.goto("/shelter")
    assert "/login" in page.url

    # Someone who kept a copy of the old cookie gets nothing: the session is over server-side.
    replay = browser.new_context(base_url=live_server.url)
    try:
        replay.add_cookies(old_cookies)
        other = replay.new_page()
        other.goto("/shelter")
        assert "/login" in other.url
        assert other.locator("li.unit").count() == 0
    finally:
        replay.close()
