"""Retention: old requests and placements lose case reference, note and phone by the clock,
and every statistic computed from them is exactly the same before and after."""

from __future__ import annotations

from datetime import datetime
from statistics import median

from sqlalchemy import func, select, update

from shelterbeds.config import Settings
from shelterbeds.domain.clock import as_utc, local, utcnow
from shelterbeds.domain.retention import months_before
from shelterbeds.jobs import job_table
from shelterbeds.models import IdempotencyKey, Placement, PlacementRequest, TurnAway
from shelterbeds.services.retention import anonymise_expired
from tests.support.factories import SOCIALJOUR, STAFF_OREBRO, STAFF_SARA, request_body, unit_at

TEXT_COLUMNS = {"case_ref", "note", "callback_phone", "anonymised_at"}


def _statistics(session) -> dict[str, object]:
    """The figures the county's statistics are made of, computed straight from the tables."""
    reqs = session.scalars(select(PlacementRequest).order_by(PlacementRequest.id)).all()
    placements = session.scalars(select(Placement).order_by(Placement.id)).all()
    by_status_month: dict[tuple[str, str, str], int] = {}
    for r in reqs:
        key = (r.status.value, r.municipality_code, local(r.created_at).strftime("%Y-%m"))
        by_status_month[key] = by_status_month.get(key, 0) + 1
    minutes = [
        (as_utc(r.decided_at) - as_utc(r.created_at)).total_seconds() / 60
        for r in reqs
        if r.decided_at is not None
    ]
    stays = [
        (p.end_reason.value if p.end_reason else None,
         (as_utc(p.ended_at) - as_utc(p.started_at)).days if p.ended_at else None)
        for p in placements
    ]  # fmt: skip
    columns = [c.name for c in PlacementRequest.__table__.columns if c.name not in TEXT_COLUMNS]
    return {
        "requests_by_status_municipality_month": by_status_month,
        "median_minutes_to_decision": median(minutes) if minutes else None,
        "placements": stays,
        "turnaways": session.scalar(select(func.count()).select_from(TurnAway)),
        "episodes": session.scalar(select(func.count(func.distinct(TurnAway.episode_id)))),
        "request_rows": [tuple(getattr(r, c) for c in columns) for r in reqs],
        "placement_rows": [
            tuple(getattr(p, c.name) for c in Placement.__table__.columns) for p in placements
        ],
    }


def _age(session, request_id: int, months: int) -> None:
    """Move a request (and its placement) `months` into the past, as if it were that old."""
    shift = utcnow() - months_before(utcnow(), months)
    req = session.get(PlacementRequest, request_id)
    session.execute(
        update(PlacementRequest)
        .where(PlacementRequest.id == request_id)
        .values(
            created_at=req.created_at - shift,
            hold_expires_at=req.hold_expires_at - shift,
            decided_at=req.decided_at - shift if req.decided_at else None,
        )
    )
    placement = session.scalar(select(Placement).where(Placement.request_id == request_id))
    if placement is not None:
        session.execute(
            update(Placement)
            .where(Placement.id == placement.id)
            .values(
                started_at=placement.started_at - shift,
                ended_at=placement.ended_at - shift if placement.ended_at else None,
            )
        )
    session.commit()


def test_old_cases_lose_their_details_and_the_statistics_stay_exactly_the_same(
    client, demo, session, token_for
):
    sw, staff = token_for(SOCIALJOUR), token_for(STAFF_OREBRO)
    free = [unit_at(session, "kvinnohuset-orebro", "Rum 1")]
    free += [unit_at(session, "sara-huset", label) for label in ("Lägenhet 1", "Lägenhet 2")]
    ids = []
    for i, unit in enumerate(free):
        body = request_body(unit.id, case_ref=f"SJ-OLD-{i}", note=f"Ring före {i}")
        r = client.post("/api/v1/requests", json=body, headers=sw | {"Idempotency-Key": f"k{i}"})
        assert r.status_code == 201, r.json
        ids.append(r.json["id"])
    ended, declined, active = ids
    placement = client.post(f"/api/v1/requests/{ended}/accept", headers=staff).json
    assert (
        client.post(
            f"/api/v1/placements/{placement['id']}/end", json={"reason": "own_housing"}, headers=sw
        ).status_code
        == 200
    )
    sara = token_for(STAFF_SARA)
    assert (
        client.post(
            f"/api/v1/requests/{declined}/decline", json={"reason": "capacity"}, headers=sara
        ).status_code
        == 200
    )
    assert client.post(f"/api/v1/requests/{active}/accept", headers=sara).status_code == 200
    for request_id in ids:
        _age(session, request_id, 30)
    recent = client.post(
        "/api/v1/requests",
        json=request_body(unit_at(session, "sara-huset", "Lägenhet 3").id, case_ref="SJ-NEW"),
        headers=sw,
    )
    assert recent.status_code == 201, recent.json

    before = _statistics(session)
    assert anonymise_expired(session, utcnow(), months=36) == 0  # 30 months: not yet
    assert anonymise_expired(session, utcnow(), months=24) == 2
    session.commit()
    session.expire_all()
    after = _statistics(session)
    assert after == before  # every figure, exactly

    for request_id in (ended, declined):
        req = session.get(PlacementRequest, request_id)
        assert (req.case_ref, req.note, req.callback_phone) == ("", None, "")
        assert req.anonymised_at is not None
    kept = session.get(PlacementRequest, active)  # its placement is still going on
    assert kept.case_ref == "SJ-OLD-2" and kept.anonymised_at is None
    assert session.get(PlacementRequest, recent.json["id"]).case_ref == "SJ-NEW"
    keys = session.scalars(select(IdempotencyKey.request_id)).all()
    assert ended not in keys and declined not in keys and active in keys
    # Idempotent: a second run changes nothing.
    assert anonymise_expired(session, utcnow(), months=24) == 0


def test_the_retention_rule_counts_calendar_months():
    base = datetime(2026, 3, 31, 12, 0)
    assert months_before(base, 1) == datetime(2026, 2, 28, 12, 0)
    assert months_before(base, 24) == datetime(2024, 3, 31, 12, 0)
    assert months_before(datetime(2026, 1, 15), 13) == datetime(2024, 12, 15)


def test_the_clock_runs_the_retention_job():
    jobs = {job.id: job for job in job_table(Settings())}
    assert jobs["anonymise_expired"].func.__name__ == "anonymise_expired"
