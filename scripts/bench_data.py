"""National-scale benchmark data: ~300 shelters, ~6,000 units, a year of unit history.

Everything is synthetic and seeded (same seed, same data). Rows go in with bulk INSERTs
(SQLAlchemy's insertmanyvalues), so a few hundred thousand history rows take seconds.
Only the accounts the benchmark signs in with are made through the services.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from shelterbeds.domain.enums import (
    ChangeSource,
    LgbtqPolicy,
    OrganisationKind,
    Role,
    SubstancePolicy,
    UnitStatus,
)
from shelterbeds.models import (
    Municipality,
    Organisation,
    Shelter,
    Subscription,
    Unit,
    UnitStatusChange,
    User,
    organisation_municipalities,
)
from shelterbeds.services.auth import hash_password
from shelterbeds.services.reference import ensure_reference_data

STAFF_EMAIL = "bench.staff@example.org"
SOCIAL_WORKER_EMAIL = "bench.socialjour@example.org"
ADMIN_EMAIL = "bench.admin@example.org"
Progress = Callable[[int, int], None]
SOCIAL_WORKER_MUNICIPALITY = "1880"  # Örebro
LANGUAGES = ("en", "ar", "so", "fa", "ti", "pl", "ru", "uk", "es", "fi")
# Current unit statuses at a national scale: most places are taken, a few closed.
STATUS_WEIGHTS = {UnitStatus.FREE: 0.14, UnitStatus.OCCUPIED: 0.78, UnitStatus.CLOSED: 0.08}
HISTORY_STATUSES = (UnitStatus.FREE, UnitStatus.OCCUPIED, UnitStatus.CLOSED)
BATCH = 5_000


@dataclass
class BenchData:
    """What was generated and who the benchmark acts as."""

    shelters: int
    units: int
    history_rows: int
    staff_email: str
    staff_shelter_id: int
    staff_unit_ids: list[int]
    social_worker_email: str
    password: str
    counts: dict[str, int] = field(default_factory=dict)
    unit_ids: list[int] = field(default_factory=list)
    # Free units a social worker from 1880 may request (trusted vacancies, her region).
    request_unit_ids: list[int] = field(default_factory=list)
    history_per_unit: int = 0

    @property
    def accounts(self) -> dict[str, str]:
        """The benchmark's accounts by role."""
        return {
            "social_worker": self.social_worker_email,
            "staff": self.staff_email,
            "admin": ADMIN_EMAIL,
        }


def progress_bar(label: str, width: int = 30) -> Progress:
    """A one-line progress bar on stderr: `label [#####.....]  45%  135,000/300,000`."""

    def show(done: int, total: int) -> None:
        share = min(1.0, done / total) if total else 1.0
        bar = "#" * round(share * width)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r  {label} [{bar:<{width}}] {share:4.0%} {done:,}/{total:,}{end}")
        sys.stderr.flush()

    return show


def _weighted(rng: random.Random, weights: dict) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _policy(rng: random.Random) -> dict[str, object]:
    """A plausible mix of shelter policies (most do not take men, few take active use)."""
    around_clock = rng.random() < 0.25
    return dict(
        accepts_women=True,
        accepts_men=rng.random() < 0.12,
        lgbtq=_weighted(
            rng,
            {LgbtqPolicy.YES: 0.3, LgbtqPolicy.AFTER_ASSESSMENT: 0.45, LgbtqPolicy.NO: 0.25},
        ),
        substance_use=_weighted(
            rng,
            {
                SubstancePolicy.NO: 0.6,
                SubstancePolicy.IF_DETOXIFIED: 0.3,
                SubstancePolicy.YES: 0.1,
            },
        ),
        psychiatric=rng.random() < 0.15,
        pets=rng.random() < 0.2,
        max_boy_age=rng.choice([None, None, 12, 13, 15, 15, 17, 18]),
        staffed_around_clock=around_clock,
        staffed_hours=None if around_clock else "Dagtid",
        languages=["sv", *rng.sample(LANGUAGES, rng.randint(0, 3))],
        nationwide=rng.random() < 0.85,
    )


def _unit_counts(rng: random.Random, shelters: int, units: int) -> list[int]:
    """Units per shelter: 3 to 60, skewed small, summing to exactly `units`."""
    raw = [rng.lognormvariate(0, 0.6) for _ in range(shelters)]
    scale = units / sum(raw)
    counts = [max(3, min(60, round(r * scale))) for r in raw]
    i = 0
    while sum(counts) != units:  # nudge to the exact total, keeping the bounds
        step = 1 if sum(counts) < units else -1
        if 3 <= counts[i % shelters] + step <= 60:
            counts[i % shelters] += step
        i += 1
    return counts


def _history(
    rng: random.Random, unit_id: int, current: UnitStatus, now: datetime, changes: int
) -> list[dict[str, object]]:
    """`changes` status changes over the past year that end in the unit's current status."""
    seconds = sorted(rng.uniform(0, 365 * 86400) for _ in range(changes))
    statuses = [current]
    for _ in range(changes - 1):  # walk backwards so the last change lands on `current`
        statuses.append(rng.choice([s for s in HISTORY_STATUSES if s is not statuses[-1]]))
    statuses.reverse()
    rows: list[dict[str, object]] = []
    previous: UnitStatus | None = None
    for ago, status in zip(reversed(seconds), statuses, strict=True):
        rows.append(
            dict(
                unit_id=unit_id,
                from_status=previous,
                to_status=status,
                changed_at=now - timedelta(seconds=ago),
                source=ChangeSource.WEB if previous else ChangeSource.SYSTEM,
            )
        )
        previous = status
    return rows


def _bulk(session: Session, model: type, rows: list[dict[str, object]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(model.__table__.insert(), rows[start : start + BATCH])


def generate(
    session: Session,
    now: datetime,
    *,
    password: str,
    shelters: int = 300,
    units: int = 6_000,
    history_per_unit: int = 50,
    seed: int = 2026,
    progress: Progress | None = None,
) -> BenchData:
    """Fill an empty, migrated database; flush, the caller commits."""
    rng = random.Random(seed)
    ensure_reference_data(session)
    municipalities = list(session.scalars(select(Municipality).order_by(Municipality.code)))

    # Social services in every municipality (they are the tenants that search).
    social = session.scalars(
        insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True),
        [
            dict(
                slug=f"socialtjansten-{m.code}",
                name=f"Socialtjänsten {m.name}",
                kind=OrganisationKind.SOCIAL_SERVICES,
                county_code=m.county_code,
                created_at=now,
            )
            for m in municipalities
        ],
    ).all()
    session.execute(
        insert(organisation_municipalities),
        [
            {"organisation_id": oid, "municipality_code": m.code}
            for oid, m in zip(social, municipalities, strict=True)
        ],
    )

    # Shelters spread over the municipalities, each with its operator.
    homes = [rng.choice(municipalities) for _ in range(shelters)]
    operators = session.scalars(
        insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True),
        [
            dict(
                slug=f"operator-{i:04d}",
                name=f"Kvinnojour {m.name} {i}",
                kind=OrganisationKind.SHELTER_OPERATOR,
                county_code=m.county_code,
                created_at=now,
            )
            for i, m in enumerate(homes)
        ],
    ).all()
    # Freshness mix: most confirmed within hours, some stale or unknown.
    ages_h = [rng.choice([0.2, 0.5, 1, 1.5, 3, 6, 10, 14, 20, 30, 72]) for _ in homes]
    policies = [_policy(rng) for _ in homes]  # the same draws, in the same order, as inline
    shelter_ids = session.scalars(
        insert(Shelter).returning(Shelter.id, sort_by_parameter_order=True),
        [
            dict(
                slug=f"shelter-{i:04d}",
                name=f"Skyddat boende {m.name} {i}",
                operator_id=operators[i],
                municipality_code=m.code,
                intake_phone=f"+4670174{i % 100:02d}{i % 10}",
                on_call_phones=[],
                confirmed_at=now - timedelta(hours=ages_h[i]),
                created_at=now,
                **policies[i],
            )
            for i, m in enumerate(homes)
        ],
    ).all()

    unit_rows = []
    for shelter_id, n in zip(shelter_ids, _unit_counts(rng, shelters, units), strict=True):
        wheelchair = set(rng.sample(range(n), k=min(n, rng.choice([0, 0, 1, 1, 2]))))
        for j in range(n):
            unit_rows.append(
                dict(
                    shelter_id=shelter_id,
                    label=f"Rum {j + 1}",
                    adult_beds=rng.choice([1, 1, 1, 2]),
                    child_beds=rng.choice([0, 1, 2, 2, 3, 3, 4]),
                    wheelchair_accessible=j in wheelchair,
                    pets_allowed=rng.random() < 0.1,
                    status=_weighted(rng, STATUS_WEIGHTS),
                    status_changed_at=now - timedelta(hours=rng.uniform(0, 2000)),
                )
            )
    unit_ids = session.scalars(
        insert(Unit).returning(Unit.id, sort_by_parameter_order=True), unit_rows
    ).all()

    history_rows = 0
    expected = units * history_per_unit
    batch: list[dict[str, object]] = []
    for unit_id, row in zip(unit_ids, unit_rows, strict=True):
        changes = max(1, round(rng.gauss(history_per_unit, history_per_unit / 4)))
        batch.extend(_history(rng, unit_id, row["status"], now, changes))  # type: ignore[arg-type]
        if len(batch) >= BATCH * 4:
            _bulk(session, UnitStatusChange, batch)
            history_rows += len(batch)
            batch = []
            if progress:
                progress(history_rows, max(expected, history_rows))
    _bulk(session, UnitStatusChange, batch)
    history_rows += len(batch)
    if progress:
        progress(history_rows, history_rows)

    # The accounts the benchmark uses: staff of a typically sized shelter, a social worker.
    per_shelter = Counter(row["shelter_id"] for row in unit_rows)
    typical = min(shelter_ids, key=lambda s: (abs(per_shelter[s] - 20), s))
    social_org = session.scalar(
        select(Organisation).where(
            Organisation.slug == f"socialtjansten-{SOCIAL_WORKER_MUNICIPALITY}"
        )
    )
    pw_hash = hash_password(password)
    shelter = session.get_one(Shelter, typical)
    session.add_all(
        [
            User(
                email=STAFF_EMAIL,
                role=Role.SHELTER_STAFF,
                organisation_id=shelter.operator_id,
                shelter_id=typical,
                password_hash=pw_hash,
            ),
            User(
                email=SOCIAL_WORKER_EMAIL,
                role=Role.SOCIAL_WORKER,
                organisation=social_org,
                password_hash=pw_hash,
            ),
            User(email=ADMIN_EMAIL, role=Role.ADMIN, password_hash=pw_hash),
        ]
    )
    session.flush()
    staff_units = [
        uid
        for uid, row in zip(unit_ids, unit_rows, strict=True)
        if row["shelter_id"] == typical and row["status"] is not UnitStatus.CLOSED
    ]
    counts = {
        "organisations": session.scalar(select(func.count()).select_from(Organisation)) or 0,
        "municipalities": len(municipalities),
    }
    trusted = {
        sid
        for sid, age, m, pol in zip(shelter_ids, ages_h, homes, policies, strict=True)
        if age < 20 and (pol["nationwide"] or m.county_code == SOCIAL_WORKER_MUNICIPALITY[:2])
    }
    requestable = [
        uid
        for uid, row in zip(unit_ids, unit_rows, strict=True)
        if row["shelter_id"] in trusted - {typical} and row["status"] is UnitStatus.FREE
    ][:64]
    return BenchData(
        shelters=len(shelter_ids),
        units=len(unit_ids),
        history_rows=history_rows,
        staff_email=STAFF_EMAIL,
        staff_shelter_id=typical,
        staff_unit_ids=staff_units,
        social_worker_email=SOCIAL_WORKER_EMAIL,
        password=password,
        counts=counts,
        unit_ids=list(unit_ids),
        request_unit_ids=requestable,
        history_per_unit=history_per_unit,
    )


def add_history(
    session: Session,
    now: datetime,
    data: BenchData,
    *,
    factor: int = 9,
    seed: int = 2027,
    progress: Progress | None = None,
) -> int:
    """Add `factor` more years of history before the first (the growth run); return rows."""
    rng = random.Random(seed)
    per_unit = max(1, data.history_per_unit)
    expected = factor * len(data.unit_ids) * per_unit
    added = 0
    batch: list[dict[str, object]] = []
    for year in range(1, factor + 1):
        then = now - timedelta(days=365 * year)
        for unit_id in data.unit_ids:
            current = rng.choice(HISTORY_STATUSES)
            batch.extend(_history(rng, unit_id, current, then, per_unit))
            if len(batch) >= BATCH * 4:
                _bulk(session, UnitStatusChange, batch)
                added += len(batch)
                batch = []
                if progress:
                    progress(added, max(expected, added))
    _bulk(session, UnitStatusChange, batch)
    added += len(batch)
    if progress:
        progress(added, added)
    return added


def fanout_subscriptions(session: Session, data: BenchData, count: int) -> None:
    """`count` subscriptions (one woman, any shelter) owned by the benchmark's social worker."""
    owner = session.scalar(select(User).where(User.email == data.social_worker_email))
    assert owner is not None and owner.organisation_id is not None
    rows = [
        dict(
            organisation_id=owner.organisation_id,
            owner_id=owner.id,
            phone=f"+46709{i:06d}",
            household={"adults": 1, "children": []},
            needs={},
        )
        for i in range(count)
    ]
    _bulk(session, Subscription, rows)
