"""Swedish throughout: the API docs page, GET /logout, ages and plurals."""

from __future__ import annotations

from datetime import timedelta

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
