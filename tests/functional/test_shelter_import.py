"""Bulk import/export of shelters and units: all or nothing, problems named by row and column."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from shelterbeds.models import Shelter, ShelterProfileChange, Unit
from shelterbeds.schemas.imports import COLUMNS, XLSX_TYPE
from tests.support.imports import shelter_rows, to_csv

ADMIN = "admin@example.org"
IMPORT = "/api/v1/imports/shelters"


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def post_csv(client, headers, body: bytes, query: str = ""):
    return client.post(IMPORT + query, data=body, headers=headers | {"Content-Type": "text/csv"})


def test_twenty_shelters_one_bad_row_imports_nothing_and_names_the_row(
    client, demo, token_for, session
):
    headers = token_for(ADMIN)
    before = (count(session, Shelter), count(session, Unit))
    rows = shelter_rows(20, bad_row=6)  # shelter 6 = file rows 12 and 13 (header is row 1)
    r = post_csv(client, headers, to_csv(rows))
    assert r.status_code == 422, r.json
    assert r.mimetype == "application/problem+json"
    problems = r.json["errors"]["rows"]
    assert {(p["row"], p["column"]) for p in problems} == {
        (12, "municipality_code"),
        (13, "municipality_code"),
    }
    assert "9999" in problems[0]["message"]
    assert (count(session, Shelter), count(session, Unit)) == before

    rows = shelter_rows(20)
    r = post_csv(client, headers, to_csv(rows), "?dry_run=1")
    assert r.status_code == 200, r.json
    assert r.json == {
        "dry_run": True,
        "rows": 40,
        "shelters_created": 20,
        "shelters_updated": 0,
        "units_created": 40,
        "units_updated": 0,
        "warnings": [],
    }
    assert (count(session, Shelter), count(session, Unit)) == before

    r = post_csv(client, headers, to_csv(rows, delimiter=";"))  # Swedish Excel's CSV
    assert r.status_code == 200, r.json
    assert r.json["shelters_created"] == 20 and not r.json["dry_run"]
    assert count(session, Shelter) == before[0] + 20
    assert count(session, Unit) == before[1] + 40
    one = session.scalar(select(Shelter).where(Shelter.slug == "boende-3"))
    assert one.on_call_phones == ["+46701740605", "+46701740606"]
    assert one.intake_phone == "+46701740613"
    assert one.max_boy_age == 14 and one.accepts_men is True
    assert one.lgbtq.value == "after_assessment" and one.languages == ["sv", "en"]
    assert {u.status.value for u in one.units} == {"closed"}


def test_dry_run_reports_every_problem(client, demo, token_for, session):
    headers = token_for(ADMIN)
    rows = shelter_rows(3)
    rows[0]["intake_phone"] = "ring oss"
    rows[1]["accepts_men"] = "kanske"
    rows[2]["shelter_slug"] = "Boende 2"
    rows[3]["child_beds"] = "-1"
    rows[4]["operator"] = "finns-inte"
    rows[5]["lgbtq"] = "sometimes"
    rows.append(dict(rows[4]))  # the same unit twice
    r = post_csv(client, headers, to_csv(rows), "?dry_run=1")
    assert r.status_code == 422
    got = {(p["row"], p["column"]) for p in r.json["errors"]["rows"]}
    assert got == {
        (2, "intake_phone"),
        (3, "accepts_men"),
        (4, "shelter_slug"),
        (5, "child_beds"),
        (6, "operator"),
        (7, "lgbtq"),
        (8, "operator"),
        (8, "unit_label"),
    }
    # row 3's shelter columns now differ from row 2's for the same shelter
    rows = shelter_rows(1)
    rows[1]["shelter_name"] = "Annat namn"
    r = post_csv(client, headers, to_csv(rows), "?dry_run=1")
    assert [(p["row"], p["column"]) for p in r.json["errors"]["rows"]] == [(3, "shelter_slug")]
    assert "row 2" in r.json["errors"]["rows"][0]["message"]


def test_header_and_file_problems(client, demo, token_for):
    headers = token_for(ADMIN)
    r = post_csv(client, headers, b"shelter_slug,colour\nx,red\n")
    assert r.status_code == 422
    got = {(p["row"], p["column"]) for p in r.json["errors"]["rows"]}
    assert (1, "colour") in got and (1, "operator") in got
    r = post_csv(client, headers, b"")
    assert r.status_code == 422
    r = client.post(IMPORT, data=b"not a zip", headers=headers | {"Content-Type": XLSX_TYPE})
    assert r.status_code == 422 and "file" in r.json["errors"]
    r = client.post(IMPORT, data=b"%PDF", headers=headers | {"Content-Type": "application/pdf"})
    assert r.status_code == 422 and "file" in r.json["errors"]
    r = client.post(IMPORT, data=b"\xff\xfe\x00", headers=headers | {"Content-Type": "text/csv"})
    assert r.status_code == 422
    social = token_for("socialjour.orebro@example.org")
    r = post_csv(client, social, to_csv(shelter_rows(1)))
    assert r.status_code == 403


def test_export_round_trips_through_the_import_csv_and_xlsx(client, demo, token_for, session):
    headers = token_for(ADMIN)
    r = client.get("/api/v1/exports/shelters?format=csv", headers=headers)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    exported = r.data
    table = list(csv.DictReader(io.StringIO(exported.decode())))
    assert list(table[0]) == COLUMNS
    assert len(table) == 8 + 13 + 4  # one row per unit
    sara = [row for row in table if row["shelter_slug"] == "sara-huset"]
    assert sara[0]["accepts_men"] == "1" and sara[0]["lgbtq"] == "after_assessment"
    assert sara[0]["on_call_phones"].startswith("+46")

    r = post_csv(client, headers, exported)
    assert r.status_code == 200, r.json
    assert (r.json["shelters_created"], r.json["shelters_updated"]) == (0, 3)
    assert (r.json["units_created"], r.json["units_updated"]) == (0, 25)
    assert count(session, ShelterProfileChange) == 0  # nothing actually differed
    again = client.get("/api/v1/exports/shelters?format=csv", headers=headers).data
    assert again == exported

    r = client.get("/api/v1/exports/shelters?format=xlsx", headers=headers)
    assert r.status_code == 200 and r.mimetype == XLSX_TYPE
    book = load_workbook(io.BytesIO(r.data))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == COLUMNS
    # edit the workbook as an administrator would, and send it back as a multipart upload
    sheet.append(
        ["nytt-boende", "Nytt boende", "sara-huset", "1881"] + [None] * 15 + ["Rum 1", 1, 1]
    )
    out = io.BytesIO()
    book.save(out)
    r = client.post(
        IMPORT,
        data={"file": (io.BytesIO(out.getvalue()), "shelters.xlsx")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert r.status_code == 200, r.json
    assert (r.json["shelters_created"], r.json["units_created"]) == (1, 1)
    new = session.scalar(select(Shelter).where(Shelter.slug == "nytt-boende"))
    assert new.accepts_women and new.nationwide and new.municipality_code == "1881"
    assert client.get("/api/v1/exports/shelters?format=pdf", headers=headers).status_code == 422


def test_import_updates_existing_shelters_and_records_history(client, demo, token_for, session):
    headers = token_for(ADMIN)
    exported = client.get("/api/v1/exports/shelters?format=csv", headers=headers).data
    table = list(csv.DictReader(io.StringIO(exported.decode())))
    for row in table:
        if row["shelter_slug"] == "kvinnohuset-orebro":
            row["lgbtq"] = "yes"
            if row["unit_label"] == "Rum 1":
                row["child_beds"] = "3"
    wb = Workbook()
    wb.active.append(COLUMNS)
    for row in table:
        wb.active.append([row[c] for c in COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    r = client.post(IMPORT, data=out.getvalue(), headers=headers | {"Content-Type": XLSX_TYPE})
    assert r.status_code == 200, r.json
    orebro = session.scalar(select(Shelter).where(Shelter.slug == "kvinnohuset-orebro"))
    session.refresh(orebro)
    assert orebro.lgbtq.value == "yes"
    assert {u.label: u.child_beds for u in orebro.units}["Rum 1"] == 3
    changes = session.scalars(select(ShelterProfileChange)).all()
    assert [(c.field, c.before, c.after) for c in changes] == [("lgbtq", "no", "yes")]
