"""The benchmark's data generator, at a tiny scale: consistent data the app can search."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import select

from scripts.bench_data import generate
from shelterbeds.domain.clock import utcnow
from shelterbeds.domain.enums import UnitStatus
from shelterbeds.domain.freshness import FreshnessThresholds
from shelterbeds.domain.matching import Household, Needs
from shelterbeds.models import Shelter, Unit, UnitStatusChange, User
from shelterbeds.services.auth import authenticate
from shelterbeds.services.vacancies import VacancyQuery, search_vacancies


def test_generator_builds_consistent_data_at_tiny_scale(session):
    now = utcnow()
    data = generate(
        session, now, password="tiny-bench-password", shelters=6, units=40, history_per_unit=8
    )
    session.flush()

    shelters = session.scalars(select(Shelter).where(Shelter.slug.like("shelter-%"))).all()
    assert data.shelters == len(shelters) == 6
    units = session.scalars(select(Unit).where(Unit.shelter_id.in_([s.id for s in shelters])))
    units = units.all()
    assert data.units == len(units) == 40
    per_shelter = Counter(u.shelter_id for u in units)
    assert all(3 <= n <= 60 for n in per_shelter.values())
    assert {u.status for u in units} <= {UnitStatus.FREE, UnitStatus.OCCUPIED, UnitStatus.CLOSED}

    # History: every unit has a chain of changes that ends in its current status.
    changes = session.scalars(
        select(UnitStatusChange)
        .where(UnitStatusChange.unit_id.in_([u.id for u in units]))
        .order_by(UnitStatusChange.unit_id, UnitStatusChange.changed_at)
    ).all()
    assert data.history_rows == len(changes) > 40
    chains = defaultdict(list)
    for change in changes:
        chains[change.unit_id].append(change)
    for unit in units:
        chain = chains[unit.id]
        assert chain[0].from_status is None
        assert chain[-1].to_status is unit.status
        for before, after in zip(chain, chain[1:], strict=False):
            assert after.from_status is before.to_status != after.to_status
        assert all((now - c.changed_at).days <= 366 for c in chain)

    # The benchmark's accounts work, and the staff member's units are her shelter's.
    staff = authenticate(session, data.staff_email, data.password, now)
    assert staff is not None and staff.shelter_id == data.staff_shelter_id
    staff_units = session.scalars(select(Unit).where(Unit.id.in_(data.staff_unit_ids))).all()
    assert staff_units and {u.shelter_id for u in staff_units} == {data.staff_shelter_id}
    assert all(u.status is not UnitStatus.CLOSED for u in staff_units)
    social = session.scalar(select(User).where(User.email == data.social_worker_email))
    assert social.organisation.municipality_codes == ["1880"]

    # And the app can search it: whatever it offers is a generated unit that is free.
    result = search_vacancies(
        session,
        social,
        VacancyQuery(household=Household(adults=1, children=()), needs=Needs()),
        now,
        FreshnessThresholds(),
    )
    offered = {u.id for hit in result.matches for u in hit.units}
    assert offered <= {u.id for u in units if u.status is UnitStatus.FREE}
