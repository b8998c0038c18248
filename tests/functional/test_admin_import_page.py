"""The admin "Import and export" page: download, dry run, import, and refusals."""

from __future__ import annotations

import csv
import io
import re

from flask import g, has_app_context
from openpyxl import load_workbook
from sqlalchemy import func, select

from shelterbeds.domain.enums import OrganisationKind, Role
from shelterbeds.models import Organisation, Shelter, ShelterProfileChange, Unit, User
from shelterbeds.schemas.imports import COLUMNS, XLSX_TYPE
from shelterbeds.services.auth import hash_password
from tests.support.factories import DEMO_PASSWORD
from tests.support.imports import shelter_rows, to_csv

ADMIN = "admin@example.org"
PAGE = "/admin/import"


def csrf(client, path=PAGE) -> str:
    if has_app_context():
        g.pop("csrf_token", None)
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, email=ADMIN) -> None:
    data = {"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf(client, "/login")}
    assert client.post("/login", data=data).status_code == 302


def upload(client, body: bytes, name="shelters.csv", *, dry_run=True, token=None, **kw):
    data = {"file": (io.BytesIO(body), name)} if name else {}
    if dry_run:
        data["dry_run"] = "1"
    data["csrf_token"] = token if token is not None else csrf(client)
    return client.post(PAGE, data=data, content_type="multipart/form-data", **kw)


def state(session) -> tuple[int, int, int]:
    return tuple(
        session.scalar(select(func.count()).select_from(m))
        for m in (Shelter, Unit, ShelterProfileChange)
    )


def table_rows(html: str) -> list[tuple[str, str]]:
    """(row, column) of each line of the problems table."""
    body = html.split('class="problems"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td>", body)
    return [(row, column) for row, column in cells]


def test_page_links_and_exports_csv_and_xlsx(client, demo, token_for):
    sign_in(client)
    html = client.get("/admin").get_data(as_text=True)
    assert 'href="/admin/import"' in html  # the overview and the nav both link here
    r = client.get(PAGE)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    assert re.search(r'name="dry_run" value="1" checked', html)  # dry run is the default
    assert 'accept=".csv,.xlsx' in html

    r = client.get("/admin/import/shelters.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"] == 'attachment; filename="shelters.csv"'
    table = list(csv.DictReader(io.StringIO(r.data.decode())))
    assert list(table[0]) == COLUMNS and len(table) == 8 + 13 + 4
    # the page gives the same file as the API
    api = client.get("/api/v1/exports/shelters?format=csv", headers=token_for(ADMIN))
    assert r.data == api.data

    r = client.get("/admin/import/shelters.xlsx")
    assert r.status_code == 200 and r.mimetype == XLSX_TYPE
    assert r.headers["Content-Disposition"] == 'attachment; filename="shelters.xlsx"'
    sheet = load_workbook(io.BytesIO(r.data)).worksheets[0]
    assert [c.value for c in sheet[1]] == COLUMNS and sheet.max_row == 1 + 25
    assert client.get("/admin/import/shelters.pdf").status_code == 404


def test_dry_run_with_a_bad_row_names_it_and_changes_nothing(client, demo, session):
    sign_in(client)
    before = state(session)
    rows = shelter_rows(3, bad_row=2)  # shelter 2 = file rows 4 and 5
    rows[0]["adult_beds"] = "many"  # row 2, unit column
    r = upload(client, to_csv(rows))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert table_rows(html) == [
        ("2", "adult_beds"),
        ("4", "municipality_code"),
        ("5", "municipality_code"),
    ]
    assert "9999" in html
    assert state(session) == before
    # the same file without dry run is refused the same way
    r = upload(client, to_csv(rows), dry_run=False)
    assert r.status_code == 422 and len(table_rows(r.get_data(as_text=True))) == 3
    assert state(session) == before


def test_dry_run_then_real_import(client, demo, session):
    sign_in(client)
    before = state(session)
    body = to_csv(shelter_rows(3))
    r = upload(client, body)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Provkörning: filen är i ordning" in html
    assert "<tr><th>Boenden som skapas</th><td>3</td></tr>" in html
    assert "<tr><th>Enheter som skapas</th><td>6</td></tr>" in html
    # the next step: the form again, dry run unticked
    assert re.search(r'name="dry_run" value="1">', html)
    assert state(session) == before

    r = upload(client, body, dry_run=False)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert "<h2>Importerat</h2>" in r.get_data(as_text=True)
    assert state(session)[:2] == (before[0] + 3, before[1] + 6)
    shelter = session.scalar(select(Shelter).where(Shelter.slug == "boende-1"))
    assert shelter.name == "Boende 1" and len(shelter.units) == 2

    # an edited XLSX export updates existing shelters through the page too
    book = load_workbook(io.BytesIO(client.get("/admin/import/shelters.xlsx").data))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "boende-1":
            row[header.index("shelter_name")].value = "Boende Ett"
    out = io.BytesIO()
    book.save(out)
    r = upload(client, out.getvalue(), "shelters.xlsx", dry_run=False)
    assert r.status_code == 200, r.get_data(as_text=True)
    session.refresh(shelter)
    assert shelter.name == "Boende Ett"


def test_non_admin_is_refused(client, demo, session):
    sign_in(client, "personal.sara@example.org")
    assert client.get(PAGE).status_code == 403
    assert client.get("/admin/import/shelters.csv").status_code == 403
    before = state(session)
    token = csrf(client, "/shelter")
    r = upload(client, to_csv(shelter_rows(1)), dry_run=False, token=token)
    assert r.status_code == 403
    assert state(session) == before


def test_signed_out_is_sent_to_login(client, demo):
    r = client.get("/admin/import/shelters.csv")
    assert r.status_code in (302, 401)


def test_missing_csrf_is_refused(client, demo, session):
    sign_in(client)
    before = state(session)
    r = upload(client, to_csv(shelter_rows(1)), dry_run=False, token="")
    assert r.status_code == 400
    assert state(session) == before


def test_missing_or_wrong_file_shows_a_clear_error(client, demo, session):
    sign_in(client)
    before = state(session)
    r = upload(client, b"", name=None, dry_run=False)
    assert r.status_code == 422
    assert "Välj en fil att ladda upp." in r.get_data(as_text=True)
    r = upload(client, b"%PDF-1.4", name="shelters.pdf", dry_run=False)
    assert r.status_code == 422
    assert "shelters.pdf är inte en CSV- eller XLSX-fil" in r.get_data(as_text=True)
    r = upload(client, b"not a zip", name="shelters.xlsx", dry_run=False)
    assert r.status_code == 422
    unreadable = "Filen kunde inte läsas: The file is not a readable XLSX workbook."
    assert unreadable in r.get_data(as_text=True)
    r = upload(client, b"\xff\xfe\x00", name="shelters.csv", dry_run=False)
    assert r.status_code == 422 and "UTF-8" in r.get_data(as_text=True)
    r = upload(client, b"shelter_slug,colour\nx,red\n", dry_run=False)
    assert r.status_code == 422 and ("1", "colour") in table_rows(r.get_data(as_text=True))
    assert state(session) == before


def test_page_is_in_swedish(client, demo):
    sign_in(client)
    html = client.get("/admin").get_data(as_text=True)
    assert ">Importera och exportera</a>" in html
    html = client.get(PAGE).get_data(as_text=True)
    assert "Bara provkörning: kontrollera filen utan att ändra något" in html


def test_county_admin_imports_and_exports_only_their_county(client, demo, session):
    org = Organisation(
        slug="lansstyrelsen-stockholm",
        name="Länsstyrelsen Stockholms län",
        kind=OrganisationKind.COUNTY,
        county_code="01",
    )
    session.add(org)
    session.add(
        User(
            email="admin.stockholm@example.org",
            role=Role.ADMIN,
            organisation=org,
            password_hash=hash_password(DEMO_PASSWORD),
        )
    )
    session.commit()
    sign_in(client, "admin.stockholm@example.org")
    r = client.get("/admin/import/shelters.csv")
    assert r.status_code == 200
    assert list(csv.reader(io.StringIO(r.data.decode()))) == [COLUMNS]  # Örebro's are not here
    before = state(session)
    r = upload(client, to_csv(shelter_rows(1)), dry_run=False)  # municipality 1880 (Örebro)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert ("2", "municipality_code") in table_rows(html)
    assert "Outside the county you administer." in html
    assert state(session) == before
