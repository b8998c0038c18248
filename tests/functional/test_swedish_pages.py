"""Swedish throughout: the API docs page, GET /logout, ages and plurals."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

from shelterbeds.domain.clock import utcnow
from shelterbeds.formatting import age
from tests.support.factories import SOCIALJOUR, STAFF_SARA, csrf, login


def test_api_docs_page_speaks_swedish_and_shows_the_bearer_header(client, demo):
    login(client, SOCIALJOUR)
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "Authorization: Bearer &lt;token&gt;" in html  # shown, not swallowed as a tag
    assert "Bearer ''" not in html
    assert "Skicka rubriken" in html
    assert "Boenden med villkor, sammanfattning av lägenheterna och aktualitet." in html
    assert ">frågesträng<" in html


def test_get_logout_offers_the_sign_out_button(client, demo):
    assert client.get("/logout").headers["Location"].endswith("/login")  # not signed in
    login(client, STAFF_SARA)
    page = client.get("/logout")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Logga ut från shelterbeds på den här enheten?" in html
    assert client.get("/shelter").status_code == 200  # a GET signed nobody out
    client.post("/logout", data={"csrf_token": csrf(client, "/logout")})
    assert client.get("/shelter").status_code == 302


def test_ages_say_just_now_and_use_plurals(app):
    now = utcnow()
    with app.test_request_context("/"):
        from flask_babel import force_locale

        with force_locale("sv"):
            assert age(now, now) == "just nu"
            assert age(now - timedelta(seconds=59), now) == "just nu"
            assert age(now - timedelta(minutes=1), now) == "för 1 min sedan"
            assert age(now - timedelta(hours=1), now) == "för 1 timme sedan"
        with force_locale("en"):
            assert age(now, now) == "just now"


class _Texts(HTMLParser):
    """Text a person sees or hears: text nodes and the labelling attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: set[str] = set()
        self.swedish_data = 0  # inside a shelter's own words (lang="sv"): not UI text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.swedish_data or (("lang", "sv") in attrs and tag not in ("html", "button")):
            self.swedish_data += 1
        for name, value in attrs:
            if name in ("aria-label", "placeholder", "title", "alt") and value:
                self.texts.add(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if self.swedish_data:
            self.swedish_data -= 1

    def handle_data(self, data: str) -> None:
        if self.swedish_data:
            return
        for part in re.split(r"[·:()\n]", data):
            if part.strip():
                self.texts.add(part.strip())


def _texts(html: str) -> set[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


# Names and codes that are the same in both languages.
SAME_IN_BOTH = re.compile(
    r"^(shelterbeds|Svenska|English|Urdu|—|[\d\s,.+–—-]+|\d+ ?(år|yrs)?|Sara-huset.*|Kvinnohuset.*|"
    r"Örebro.*|Karlskoga.*|Nora.*|Lägenhet \d+|Rum \d+|sv|sv, en|\+46.*|\d{4}-\d\d-\d\d.*|"
    r"Find a place · shelterbeds|Hitta en plats · shelterbeds|[A-ZÅÄÖ][a-zåäö]+ \(\d{4}\))$"
)


def test_switching_to_english_changes_every_visible_string_on_the_search_page(client, demo):
    login(client, SOCIALJOUR)
    search = "/search?go=1&adults=1&child_age_0=16&child_sex_0=m&pets=1&honour_related=1"
    pages = {"/search": None, search: None}
    swedish = {path: _texts(client.get(path).get_data(as_text=True)) for path in pages}
    client.post(
        "/language", data={"lang": "en", "next": "/search", "csrf_token": csrf(client, "/search")}
    )
    for path in pages:
        english = _texts(client.get(path).get_data(as_text=True))
        left = {t for t in english & swedish[path] if not SAME_IN_BOTH.match(t)}
        assert not left, f"{path}: still Swedish in English: {sorted(left)}"


def test_error_pages_never_show_english_in_swedish(client, demo):
    login(client, STAFF_SARA)
    r = client.get("/requests/12345/accept")  # a form's address typed into the browser
    assert r.status_code == 405
    assert "Inte en sida att öppna" in r.get_data(as_text=True)
    token = csrf(client, "/shelter")
    missing = client.post("/placements/12345/end", data={"csrf_token": token, "reason": "other"})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 404 and "Hittades inte" in html or "finns inte" in html
    assert "does not exist" not in html  # an untranslated detail is left out
    client.post("/language", data={"lang": "en", "next": "/shelter", "csrf_token": token})
    english = client.post("/placements/12345/end", data={"csrf_token": token, "reason": "other"})
    assert "Placement 12345 does not exist." in english.get_data(as_text=True)
