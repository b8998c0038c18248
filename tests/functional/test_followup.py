"""Placement follow-up for the placing municipality, and review reminders to organisations."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shelterbeds.domain.clock import utcnow
from shelterbeds.domain.enums import Role, UnitStatus
from shelterbeds.extensions import db
from shelterbeds.jobs import JobContext
from shelterbeds.jobs.requests import remind_reviews
from shelterbeds.models import (
    AuditEvent,
    Organisation,
    OutboxMessage,
    Placement,
    Shelter,
    Unit,
    User,
)
from shelterbeds.notifications.senders import RecordingSender
from shelterbeds.services.auth import hash_password
from tests.support.factories import (
    ANALYST,
    DEMO_PASSWORD,
    KARLSKOGA_SW,
    SOCIALJOUR,
    STAFF_OREBRO,
    login,
    request_body,
)

NORA_SW = "socialtjanst.nora@example.org"


@pytest.fixture
def placed(client, demo, token_for, session):
    """Socialjouren places one household for Nora (1884) and one for Örebro (1880)."""
    nora = session.scalar(select(Organisation).where(Organisation.slug == "socialtjansten-nora"))
    session.add(
        User(
            email=NORA_SW,
            role=Role.SOCIAL_WORKER,
            organisation_id=nora.id,
            password_hash=hash_password(DEMO_PASSWORD),
        )
    )
    session.commit()
    units = session.scalars(
        select(Unit.id)
        .join(Shelter)
        .where(Shelter.slug == "kvinnohuset-orebro", Unit.status == UnitStatus.FREE)
        .order_by(Unit.id)
    ).all()
    codes = {}
    for unit_id, municipality in zip(units, ("1884", "1880"), strict=False):
        r = client.post(
            "/api/v1/requests",
            json=request_body(
                unit_id, municipality_code=municipality, case_ref=f"F-{municipality}"
            ),
            headers=token_for(SOCIALJOUR),
        )
        assert r.status_code == 201, r.json
        assert (
            client.post(
                f"/api/v1/requests/{r.json['id']}/accept", headers=token_for(STAFF_OREBRO)
            ).status_code
            == 200
        )
        codes[municipality] = session.scalar(
            select(Placement).where(Placement.request_id == r.json["id"])
        )
    return codes


def test_the_municipality_sees_placements_made_for_it_by_another_organisation(
    client, session, placed
):
    login(client, NORA_SW)
    html = client.get("/placements/follow-up").get_data(as_text=True)
    nora, orebro = placed["1884"], placed["1880"]
    assert nora.request.code in html and "F-1884" in html
    assert orebro.request.code not in html
    assert "Socialjouren" in html
    reads = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "placement.read", AuditEvent.object_id == nora.id)
    )
    assert reads >= 1
    # The placing organisation sees both of its own.
    client.post("/logout", data={})
    login(client, SOCIALJOUR)
    html = client.get("/placements/follow-up").get_data(as_text=True)
    assert nora.request.code in html and orebro.request.code in html


def test_overdue_reviews_are_marked_and_counted(client, session, placed):
    nora = placed["1884"]
    nora.next_review_at = utcnow() - timedelta(days=1)
    session.commit()
    login(client, NORA_SW)
    html = client.get("/placements/follow-up").get_data(as_text=True)
    count = re.search(r'data-testid="overdue-count">[^<]*?(\d+)</p>', html)
    assert count is not None and count.group(1) == "1"
    assert f'id="followup-{nora.id}"' in html and "overdue" in html


@pytest.mark.parametrize("who", [KARLSKOGA_SW])
def test_other_municipalities_see_none_of_them(client, placed, who):
    login(client, who)
    html = client.get("/placements/follow-up").get_data(as_text=True)
    assert placed["1884"].request.code not in html and placed["1880"].request.code not in html


@pytest.mark.parametrize("who", [STAFF_OREBRO, ANALYST])
def test_other_roles_get_403(client, placed, who):
    login(client, who)
    assert client.get("/placements/follow-up").status_code == 403


def test_the_review_reminder_reaches_the_placing_organisations_phone(session, settings, placed):
    nora = placed["1884"]
    org = nora.organisation
    assert org.slug == "socialjouren-orebro" and org.phone  # every demo organisation has one
    due = nora.next_review_at
    ctx = JobContext(db, settings, RecordingSender(), now=lambda: due + timedelta(minutes=1))
    assert remind_reviews(ctx) >= 1
    sent = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "review_due")).all()
    assert org.phone in {m.to_phone for m in sent}
    assert any(nora.request.code in m.body for m in sent)


def test_every_demo_social_services_organisation_has_its_own_phone(session, demo):
    from shelterbeds.domain.enums import OrganisationKind

    phones = session.scalars(
        select(Organisation.phone).where(
            Organisation.kind.in_([OrganisationKind.SOCIAL_SERVICES, OrganisationKind.SOCIALJOUR])
        )
    ).all()
    assert len(phones) == 13 and all(phones) and len(set(phones)) == 13
