"""The statistics pages: who may see them, the analyst's landing page, tables, downloads."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from shelterbeds.domain.clock import STOCKHOLM, utcnow
from shelterbeds.domain.periods import month_label
from tests.support.factories import ADMIN, ANALYST, SOCIALJOUR, STAFF_OREBRO, csrf, login


def test_the_analyst_lands_on_the_dashboard_after_signing_in(client, demo):
    r = login(client, ANALYST)
    assert r.status_code == 302 and r.headers["Location"].endswith("/stats")
    page = client.get("/stats")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/stats"' in html  # the navigation leads to it too
    assert client.get("/").headers["Location"].endswith("/stats")


@pytest.mark.parametrize("who", [STAFF_OREBRO, SOCIALJOUR])
def test_other_roles_get_403(client, demo, who):
    login(client, who)
    assert client.get("/stats").status_code == 403
    assert client.get("/stats/report/2025").status_code == 403
    assert client.get("/stats/download/turnaways-month.csv").status_code == 403


def test_signed_out_goes_to_login(client, demo):
    r = client.get("/stats")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def _scripted_refusals(client, token_for):
    for _ in range(3):
        r = client.post(
            "/api/v1/turnaways",
            json={
                "adults": 1,
                "children": 0,
                "reason": "capacity",
                "channel": "phone",
                "municipality_code": "1880",
            },
            headers=token_for(STAFF_OREBRO),
        )
        assert r.status_code == 201


def test_dashboard_tables_charts_and_downloads_agree(client, demo, token_for):
    _scripted_refusals(client, token_for)
    login(client, ANALYST)
    today = utcnow().astimezone(STOCKHOLM)
    month = month_label(today.year, today.month)
    html = client.get(f"/stats?from={month}&to={month}").get_data(as_text=True)
    assert "<script>" not in html and "onclick" not in html and "onload" not in html
    assert 'type="application/json" id="stats-charts"' in html
    assert "/static/vendor/chartjs/chart-4.6.1.umd.min.js" in html
    table = re.search(r'data-testid="table-turnaways-month">(.*?)</table>', html, re.S).group(1)
    cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", table)
    assert cells[-3:] == [month, "3", "3"]
    csv_body = client.get(f"/stats/download/turnaways-month.csv?from={month}&to={month}")
    assert csv_body.status_code == 200
    rows = list(csv.reader(io.StringIO(csv_body.get_data(as_text=True))))
    assert rows == [["month", "refusals", "episodes"], [month, "3", "3"]]
    xlsx = client.get(f"/stats/download/turnaways-month.xlsx?from={month}&to={month}")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert list(sheet.iter_rows(values_only=True)) == [
        ("month", "refusals", "episodes"),
        (month, 3, 3),
    ]
    groups = client.get(f"/stats/download/refusal-groups.csv?from={month}&to={month}")
    assert list(csv.reader(io.StringIO(groups.get_data(as_text=True))))[1] == [
        "no_place",
        "3",
        "3",
        "1.0",
    ]


def test_the_admin_sees_small_counts_as_less_than_three(client, demo, token_for):
    r = client.post(
        "/api/v1/turnaways",
        json={"adults": 1, "children": 0, "reason": "staff", "channel": "phone"},
        headers=token_for(STAFF_OREBRO),
    )
    assert r.status_code == 201
    login(client, ADMIN)
    html = client.get("/stats").get_data(as_text=True)
    table = re.search(r'data-testid="table-turnaways-shelter">(.*?)</table>', html, re.S).group(1)
    assert "&lt;3" in table
    body = client.get("/stats/download/turnaways-shelter.csv").get_data(as_text=True)
    assert "kvinnohuset-orebro,<3,<3" in body


def test_bad_filters_are_a_422_page_that_names_them(client, demo):
    login(client, ANALYST)
    r = client.get("/stats?from=2026-13")
    assert r.status_code == 422 and "from" in r.get_data(as_text=True)
    r = client.get("/stats?shelter=nowhere")
    assert r.status_code == 422
    assert client.get("/stats/download/nothing.csv").status_code == 404
    assert client.get("/stats/download/turnaways-month.pdf").status_code == 404


def test_annual_report_is_one_printable_page(client, demo, token_for):
    _scripted_refusals(client, token_for)
    login(client, ANALYST)
    year = utcnow().astimezone(STOCKHOLM).year
    r = client.get(f"/stats/report/{year}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'media="print"' in html and "stats-print.css" in html
    assert 'id="print-report"' in html and "onclick" not in html
    for table in (
        "turnaways-month",
        "refusal-groups",
        "unmet-needs",
        "occupancy",
        "stays",
        "compliance",
        "turnaways-shelter",
    ):
        assert f'data-testid="table-{table}"' in html or f'id="{table}"' in html
    assert client.get("/stats/report").status_code == 200  # last year by default
    assert client.get("/stats/report/1990").status_code == 404


def test_key_figures_say_what_they_count_in_swedish_and_english(client, demo):
    login(client, ANALYST)

    def labels() -> list[str]:
        html = client.get("/stats").get_data(as_text=True)
        return re.findall(r'<div class="headline">\s*<dt>([^<]*)</dt>', html)

    swedish = labels()
    assert "Ej tillgodosedda behov (sökningar utan lämplig plats, avböjanden)" in swedish
    assert "Antal" not in swedish and "Placeringsförfrågningar" in swedish
    client.post("/language", data={"lang": "en", "next": "/stats", "csrf_token": csrf(client)})
    english = labels()
    assert "Unmet needs (searches with nothing suitable, declines)" in english
    assert "Count" not in english and "Reporting compliance" in english
    assert len(english) == len(swedish) == 7
