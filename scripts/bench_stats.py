"""Statistics at national scale: years of history for the benchmark, and the probes to time.

Interface for the benchmark runner (scripts/bench_run.py may import this module):

    from scripts.bench_stats import STATS_EMAIL, generate_history, stats_probes

    counts = generate_history(session, now, password=pw, years=5)   # after bench_data.generate
    session.commit()
    for name, path in stats_probes(now):                             # 12-month figures
        ...GET path signed in as STATS_EMAIL (a national administrator, password `pw`)...

`generate_history` adds, on top of the shelters and units that `bench_data.generate` made:
requests with outcomes (default 50,000 a year), placements for the accepted ones, turn-aways
(capacity/staff declines plus manual refusals) grouped into episodes, unmet-need signals,
confirmations, and unit status history before the year bench_data already wrote (about
33 changes per unit and year: ~1,000,000 rows for 6,000 units and 5 years). Then it stores
the occupancy rollups of ended months, as the nightly clock job would have. Seeded, bulk
INSERTs, flush only (the caller commits). `python -m scripts.bench_stats --help` measures
the probes directly (see docs/STATISTICS.md, "Speed").
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from shelterbeds.domain.clock import STOCKHOLM
from shelterbeds.domain.enums import (
    ChangeSource,
    DeclineReason,
    OrganisationKind,
    Role,
    TurnAwayChannel,
    UnitStatus,
)
from shelterbeds.domain.periods import add_months, month_label
from shelterbeds.domain.requests import EndReason, RequestStatus, Urgency
from shelterbeds.models import (
    Organisation,
    Placement,
    PlacementRequest,
    ShelterConfirmation,
    TurnAway,
    TurnAwayEpisode,
    Unit,
    UnitStatusChange,
    UnmetNeedSignal,
    User,
    organisation_municipalities,
)
from shelterbeds.services.auth import hash_password
from shelterbeds.services.stats_rollup import roll_up_months

STATS_EMAIL = "bench.stats@example.org"
BATCH = 5_000
YEAR = timedelta(days=365)
OUTCOMES = {
    RequestStatus.ACCEPTED: 0.35,
    RequestStatus.DECLINED: 0.40,
    RequestStatus.WITHDRAWN: 0.10,
    RequestStatus.EXPIRED: 0.15,
}
DECLINES = {
    DeclineReason.CAPACITY: 0.55,
    DeclineReason.STAFF: 0.08,
    DeclineReason.WHEELCHAIR: 0.06,
    DeclineReason.SUBSTANCE_USE: 0.08,
    DeclineReason.PSYCHIATRIC: 0.07,
    DeclineReason.BOYS_AGE: 0.04,
    DeclineReason.SECURITY: 0.05,
    DeclineReason.CLIENT_DECLINED: 0.04,
    DeclineReason.INAPPROPRIATE: 0.02,
    DeclineReason.OTHER: 0.01,
}
TURNAWAY_REASONS = (DeclineReason.CAPACITY, DeclineReason.STAFF)


def stats_probes(now: datetime) -> list[tuple[str, str]]:
    """(name, path) of 12-month statistics requests ending with the current local month."""
    today = now.astimezone(STOCKHOLM)
    last = month_label(today.year, today.month)
    first = month_label(*add_months(today.year, today.month, -11))
    period = f"from={first}&to={last}"
    return [
        ("stats turnaways 12m shelter×month", f"/api/v1/stats/turnaways?{period}&by=shelter,month"),
        ("stats requests 12m by month", f"/api/v1/stats/requests?{period}&by=month"),
        ("stats occupancy 12m shelter×month", f"/api/v1/stats/occupancy?{period}&by=shelter,month"),
        ("stats unmet needs 12m by need", f"/api/v1/stats/unmet-needs?{period}&by=need"),
        ("stats compliance 12m by shelter", f"/api/v1/stats/compliance?{period}&by=shelter"),
    ]


def _bulk(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model.__table__), rows[start : start + BATCH])


def _bulk_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows` and return their ids in order, BATCH rows per statement call.

    Core, not the ORM's bulk insert: that one starts a new statement whenever the set of
    non-NULL keys changes from one row to the next (a request with or without a decline
    reason) and splices each statement's RETURNING rows onto all the previous ones —
    quadratic, and it ran for over half an hour on 250,000 requests.
    """
    ids: list[int] = []
    table = model.__table__
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    for start in range(0, len(rows), BATCH):
        ids.extend(session.scalars(statement, rows[start : start + BATCH]).all())
    return ids


def _pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate_history(
    session: Session,
    now: datetime,
    *,
    password: str,
    years: int = 5,
    requests_per_year: int = 50_000,
    manual_turnaways_per_year: int = 10_000,
    signals_per_year: int = 10_000,
    changes_per_unit_year: int = 33,
    history_until: datetime | None = None,
    seed: int = 9,
) -> dict[str, int]:
    """Add `years` of statistics history to the bench database; return row counts."""
    rng = random.Random(seed)
    units = session.execute(select(Unit.id, Unit.shelter_id)).all()
    by_shelter: dict[int, list[int]] = {}
    for unit_id, shelter_id in units:
        by_shelter.setdefault(shelter_id, []).append(unit_id)
    shelters = sorted(by_shelter)
    orgs = session.execute(
        select(Organisation.id, organisation_municipalities.c.municipality_code)
        .join(organisation_municipalities)
        .where(
            Organisation.kind.in_([OrganisationKind.SOCIAL_SERVICES, OrganisationKind.SOCIALJOUR])
        )
        .order_by(Organisation.id, organisation_municipalities.c.municipality_code)
    ).all()
    worker = session.scalar(select(User.id).where(User.role == Role.SOCIAL_WORKER).limit(1))
    staff = session.scalar(select(User.id).where(User.role == Role.SHELTER_STAFF).limit(1))
    assert units and orgs and worker and staff, "run bench_data.generate first"
    session.add(User(email=STATS_EMAIL, role=Role.ADMIN, password_hash=hash_password(password)))
    start = now - years * YEAR
    span = (now - start).total_seconds() - 86400

    def moment() -> datetime:
        return start + timedelta(seconds=rng.uniform(0, span))

    counts: dict[str, int] = {}
    # Requests, their outcomes and placements.
    requests: list[dict[str, Any]] = []
    for i in range(years * requests_per_year):
        shelter = rng.choice(shelters)
        org_id, code = rng.choice(orgs)
        created = moment()
        status = _pick(rng, OUTCOMES)
        decided = created + timedelta(minutes=rng.lognormvariate(2.5, 0.9))
        requests.append(
            dict(
                code=f"S{i:07d}",
                unit_id=rng.choice(by_shelter[shelter]),
                shelter_id=shelter,
                organisation_id=org_id,
                requested_by_id=worker,
                municipality_code=code,
                case_ref=f"B-{i}",
                adults=1,
                children=[],
                urgency=Urgency.IMMEDIATE,
                callback_phone="+46701234567",
                status=status,
                hold_expires_at=created + timedelta(hours=1),
                created_at=created,
                decided_at=decided,
                decline_reason=_pick(rng, DECLINES) if status is RequestStatus.DECLINED else None,
            )
        )
    ids = _bulk_ids(session, PlacementRequest, requests)
    counts["requests"] = len(ids)
    placements, refusals = [], []
    for req_id, req in zip(ids, requests, strict=True):
        if req["status"] is RequestStatus.ACCEPTED:
            ended = min(req["decided_at"] + timedelta(days=rng.uniform(1, 90)), now)
            placements.append(
                dict(
                    request_id=req_id,
                    unit_id=req["unit_id"],
                    shelter_id=req["shelter_id"],
                    organisation_id=req["organisation_id"],
                    municipality_code=req["municipality_code"],
                    started_at=req["decided_at"],
                    ended_at=ended,
                    end_reason=rng.choice(list(EndReason)),
                )
            )
        elif req["decline_reason"] in TURNAWAY_REASONS:
            refusals.append((req, req_id))
    _bulk(session, Placement, placements)
    counts["placements"] = len(placements)

    # Turn-aways: request declines and manual refusals; a household's refusals (1–3) share
    # an episode.
    manual = [
        (
            dict(
                shelter_id=rng.choice(shelters),
                decided_at=moment(),
                decline_reason=rng.choice(TURNAWAY_REASONS),
                municipality_code=rng.choice(orgs)[1],
            ),
            None,
        )
        for _ in range(years * manual_turnaways_per_year)
    ]
    everything = sorted(refusals + manual, key=lambda r: r[0]["decided_at"])
    groups: list[list[tuple[dict[str, Any], int | None]]] = []
    at = 0
    while at < len(everything):
        size = rng.choice([1, 1, 1, 2, 3])
        groups.append(everything[at : at + size])
        at += size
    episode_ids = _bulk_ids(
        session,
        TurnAwayEpisode,
        [dict(episode_key=None, started_at=g[0][0]["decided_at"], created_at=now) for g in groups],
    )
    rows = []
    for episode_id, group in zip(episode_ids, groups, strict=True):
        for req, req_id in group:
            rows.append(
                dict(
                    shelter_id=req["shelter_id"],
                    recorded_by_id=staff,
                    occurred_at=req["decided_at"],
                    recorded_at=req["decided_at"],
                    adults=1,
                    children=rng.randint(0, 3),
                    reason=req["decline_reason"],
                    channel=TurnAwayChannel.REQUEST if req_id else TurnAwayChannel.PHONE,
                    municipality_code=req["municipality_code"],
                    request_id=req_id,
                    episode_id=episode_id,
                )
            )
    _bulk(session, TurnAway, rows)
    counts["turn_aways"], counts["episodes"] = len(rows), len(episode_ids)

    signals = []
    for i in range(years * signals_per_year):
        org_id, code = rng.choice(orgs)
        signals.append(
            dict(
                created_at=moment(),
                organisation_id=org_id,
                created_by_id=worker,
                profile_key=f"bench-{i}",
                municipality_code=code,
                adults=1,
                children=rng.randint(0, 3),
                wheelchair=rng.random() < 0.2,
                pets=rng.random() < 0.15,
                lgbtq=rng.random() < 0.1,
                psychiatric=rng.random() < 0.2,
                men=rng.random() < 0.05,
                need_kinds=[],
            )
        )
    _bulk(session, UnmetNeedSignal, signals)
    counts["unmet_need_signals"] = len(signals)

    confirmations = [
        dict(shelter_id=s, confirmed_at=start + timedelta(days=d, hours=rng.uniform(7, 20)))
        for s in shelters
        for d in range(0, years * 365, 3)
    ]
    _bulk(session, ShelterConfirmation, confirmations)
    counts["confirmations"] = len(confirmations)

    # Older unit history, before the year bench_data wrote (or up to `history_until`).
    older_end = history_until or now - YEAR
    changes: list[dict[str, Any]] = []
    written = 0
    statuses = (UnitStatus.FREE, UnitStatus.OCCUPIED, UnitStatus.CLOSED)
    for unit_id, _shelter in units:
        n = round(changes_per_unit_year * (older_end - start) / YEAR)
        seconds = sorted(rng.uniform(0, (older_end - start).total_seconds()) for _ in range(n))
        status = UnitStatus.FREE
        for s in seconds:
            status = rng.choice([x for x in statuses if x is not status])
            changes.append(
                dict(
                    unit_id=unit_id,
                    from_status=None,
                    to_status=status,
                    changed_at=start + timedelta(seconds=s),
                    source=ChangeSource.WEB,
                )
            )
        if len(changes) >= BATCH * 4:
            _bulk(session, UnitStatusChange, changes)
            written += len(changes)
            changes = []
    _bulk(session, UnitStatusChange, changes)
    counts["older_status_changes"] = written + len(changes)
    session.flush()

    rolled = 0
    while True:  # what the nightly job would have stored by now
        step = roll_up_months(session, now, limit_months=120)
        rolled += step
        if not step:
            break
    counts["shelter_months"] = rolled
    return counts


def _measure(url: str, now: datetime, rounds: int) -> dict[str, float]:
    """Median milliseconds of each probe and of a vacancy search, through the test client."""
    from shelterbeds import create_app
    from shelterbeds.config import load_settings
    from shelterbeds.services import auth

    app = create_app(load_settings({"SHELTERBEDS_DATABASE_URL": url, "SHELTERBEDS_ENV": "test"}))
    with app.app_context():
        from shelterbeds.extensions import db

        admin = auth.user_by_email(db.session, STATS_EMAIL)
        worker = db.session.scalar(select(User).where(User.role == Role.SOCIAL_WORKER).limit(1))
        _t, raw_admin = auth.create_token(db.session, admin, "bench", now)
        _t, raw_worker = auth.create_token(db.session, worker, "bench", now)
        db.session.commit()
    client = app.test_client()
    probes = [("vacancy search (one woman)", "/api/v1/vacancies?adults=1", raw_worker)]
    probes += [(name, path, raw_admin) for name, path in stats_probes(now)]
    times: dict[str, list[float]] = {name: [] for name, _p, _t in probes}
    for _ in range(rounds):
        for name, path, token in probes:
            began = time.perf_counter()
            r = client.get(path, headers={"Authorization": f"Bearer {token}"})
            times[name].append((time.perf_counter() - began) * 1000)
            assert r.status_code == 200, (path, r.status_code, r.get_data(as_text=True)[:300])
    return {name: statistics.median(v) for name, v in times.items()}


def main() -> None:
    """Build bench data plus `--years` of history in a fresh SQLite file (or --url) and time
    the 12-month probes against a vacancy search."""
    from shelterbeds.db import make_engine
    from shelterbeds.domain.clock import utcnow
    from shelterbeds.migrate import upgrade

    from .bench_data import generate

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--url", default="")
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--shelters", type=int, default=300)
    parser.add_argument("--units", type=int, default=6_000)
    parser.add_argument("--requests-per-year", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench-stats.sqlite3'}"
    print(f"database: {url}")
    upgrade(url)
    now = utcnow()
    password = secrets.token_urlsafe(12)  # only for this run's accounts
    began = time.perf_counter()
    with Session(make_engine(url)) as session:
        generate(session, now, password=password, shelters=args.shelters, units=args.units)
        counts = generate_history(
            session,
            now,
            password=password,
            years=args.years,
            requests_per_year=args.requests_per_year,
        )
        session.commit()
    print(f"generated in {time.perf_counter() - began:.0f} s: {counts}")
    results = _measure(url, now, args.rounds)
    search = results["vacancy search (one woman)"]
    for name, ms in results.items():
        print(f"{name:40s} {ms:8.1f} ms  {ms / search:5.2f}× search")


if __name__ == "__main__":
    main()
