"""The audit log: append-only in the database, who/what/when/from where for sign-ins,
failures, reads and changes, the administrator's page with filters and CSV, and the
monthly log review."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from shelterbeds.db import make_engine
from shelterbeds.domain.clock import local, utcnow
from shelterbeds.models import AuditEvent, User
from shelterbeds.services import audit
from tests.support.factories import (
    ADMIN,
    KARLSKOGA_SW,
    SOCIALJOUR,
    STAFF_OREBRO,
    login,
    request_body,
    unit_at,
)


def _one_event(session):
    user = session.scalar(select(User).where(User.email == ADMIN))
    event = audit.record(session, user, "request.read", "request", 1, utcnow())
    session.commit()
    return event


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'tampered' WHERE id = :id",
        "UPDATE audit_events SET actor_id = NULL",
        "DELETE FROM audit_events WHERE id = :id",
    ],
)
def test_the_database_refuses_to_change_an_audit_row(connection, session, demo, statement):
    event = _one_event(session)
    # Through the application's own connection (the one the app is bound to).
    savepoint = connection.begin_nested()
    with pytest.raises(DBAPIError) as err:
        connection.execute(text(statement), {"id": event.id})
    savepoint.rollback()
    assert "append-only" in str(err.value)
    assert (
        connection.execute(
            text("SELECT action FROM audit_events WHERE id = :id"), {"id": event.id}
        ).scalar_one()
        == "request.read"
    )


def test_a_fresh_application_connection_cannot_update_either(database_url, committed_engine):
    engine = make_engine(database_url)  # as the app makes it in production
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO audit_events (at, action, object_type) "
                    "VALUES (CURRENT_TIMESTAMP, 'x.y', 'z')"
                )
            )
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("UPDATE audit_events SET action = 'changed'"))
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_events"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT action FROM audit_events")).scalars().all() == ["x.y"]
    finally:
        engine.dispose()


def test_sign_ins_failures_and_reads_say_who_what_when_and_from_where(
    client, demo, session, token_for
):
    client.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    login(client, SOCIALJOUR, password="wrong-password-123")
    login(client, "nobody@example.org", password="wrong-password-123")
    login(client, SOCIALJOUR)
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    user = session.scalar(select(User).where(User.email == SOCIALJOUR))
    failed = [e for e in events if e.action == "signin.failed"]
    assert [(e.actor_id, e.detail) for e in failed] == [
        (user.id, "password"),
        (None, "unknown_account"),
    ]
    signin = next(e for e in events if e.action == "signin")
    assert signin.actor_id == user.id and signin.address == "192.0.2.44"
    assert all(e.at is not None for e in events)
    # A read through the API: who, what, from where.
    headers = token_for(SOCIALJOUR)
    unit = unit_at(session, "kvinnohuset-orebro", "Rum 1")
    created = client.post("/api/v1/requests", json=request_body(unit.id), headers=headers)
    assert created.status_code == 201
    client.get(f"/api/v1/requests/{created.json['id']}", headers=headers)
    read = session.scalars(select(AuditEvent).where(AuditEvent.action == "request.read")).all()[-1]
    assert (read.actor_id, read.object_id, read.address) == (
        user.id,
        created.json["id"],
        "192.0.2.44",
    )


def test_every_change_leaves_a_row_in_its_own_transaction(client, demo, session, token_for):
    headers = token_for(ADMIN)
    org_id = session.scalar(select(func.min(User.organisation_id)))

    def changes():
        return session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "change")
        )

    before = changes()
    r = client.patch(f"/api/v1/organisations/{org_id}", json={"name": "Nytt namn"}, headers=headers)
    assert r.status_code == 200
    assert changes() == before + 1
    row = session.scalars(select(AuditEvent).where(AuditEvent.action == "change")).all()[-1]
    assert (row.object_type, row.object_id, row.detail) == ("update_organisation", org_id, "PATCH")
    r = client.patch(f"/api/v1/organisations/{org_id}", json={"name": ""}, headers=headers)
    assert r.status_code == 422
    assert changes() == before + 1  # nothing changed, nothing audited


def test_the_admin_page_filters_and_exports_csv(client, demo, session, token_for):
    unit = unit_at(session, "kvinnohuset-orebro", "Rum 1")
    r = client.post("/api/v1/requests", json=request_body(unit.id), headers=token_for(SOCIALJOUR))
    request_id = r.json["id"]
    client.get(f"/api/v1/requests/{request_id}", headers=token_for(STAFF_OREBRO))
    login(client, ADMIN)
    page = client.get(f"/admin/audit?action=request.read&object_id={request_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert STAFF_OREBRO in html and "request.read" in html
    out = client.get(f"/admin/audit?user={STAFF_OREBRO}&format=csv&from=2000-01-01&to=2100-12-31")
    assert out.status_code == 200 and out.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(out.get_data(as_text=True))))
    assert rows and {r["user"] for r in rows} == {STAFF_OREBRO}
    assert any(r["action"] == "request.read" and r["object_id"] == str(request_id) for r in rows)
    assert client.get("/admin/audit?object_id=abc").status_code == 422
    other = client.application.test_client()
    login(other, SOCIALJOUR)
    assert other.get("/admin/audit").status_code == 403


def test_the_monthly_log_review_samples_each_users_reads(client, demo, session, token_for):
    unit = unit_at(session, "kvinnohuset-orebro", "Rum 1")
    r = client.post("/api/v1/requests", json=request_body(unit.id), headers=token_for(SOCIALJOUR))
    assert r.status_code == 201
    for email in (SOCIALJOUR, STAFF_OREBRO):
        for _ in range(4):
            client.get(f"/api/v1/requests/{r.json['id']}", headers=token_for(email))
    client.get("/api/v1/requests", headers=token_for(KARLSKOGA_SW))  # sees nothing: no reads
    month = local(utcnow()).strftime("%Y-%m")
    login(client, ADMIN)
    page = client.get(f"/admin/audit/review?month={month}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert SOCIALJOUR in html and STAFF_OREBRO in html and KARLSKOGA_SW not in html
    first = client.get(f"/admin/audit/review?month={month}&format=csv").get_data(as_text=True)
    again = client.get(f"/admin/audit/review?month={month}&format=csv").get_data(as_text=True)
    assert first == again  # a reproducible sample
    rows = list(csv.DictReader(io.StringIO(first)))
    staff = [row for row in rows if row["user"] == STAFF_OREBRO]
    assert 1 <= len(staff) <= 5 and int(staff[0]["reads"]) >= 4
    assert client.get("/admin/audit/review?month=2026-13").status_code == 422
    empty = client.get("/admin/audit/review?month=2001-01").get_data(as_text=True)
    assert 'data-testid="no-reads"' in empty
