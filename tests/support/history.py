"""Hand-built histories for statistics tests: shelters, units, status changes, refusals,
requests and placements at chosen local (Stockholm) times, outside the demo's county."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
from shelterbeds.domain.requests import EndReason, RequestStatus, Urgency
from shelterbeds.models import (
    Organisation,
    Placement,
    PlacementRequest,
    Shelter,
    ShelterConfirmation,
    TurnAway,
    TurnAwayEpisode,
    Unit,
    UnitStatusChange,
    UnmetNeedSignal,
    User,
)

COUNTY = "03"  # Uppsala län: nothing of the Örebro demo lives here
MUNICIPALITY = "0380"
OTHER_MUNICIPALITY = "0305"


def at(text: str) -> datetime:
    """A local (Stockholm) wall-clock time 'YYYY-MM-DD HH:MM' as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=STOCKHOLM).astimezone(UTC)


@dataclass
class History:
    session: Session
    operator: Organisation
    social: Organisation
    staff: User
    worker: User
    shelters: dict[str, Shelter] = field(default_factory=dict)
    _codes: int = 0

    def shelter(self, slug: str, municipality: str = MUNICIPALITY) -> Shelter:
        shelter = Shelter(
            slug=slug,
            name=slug.title(),
            operator_id=self.operator.id,
            municipality_code=municipality,
            created_at=at("2024-01-01 00:00"),
        )
        self.session.add(shelter)
        self.session.flush()
        self.shelters[slug] = shelter
        return shelter

    def unit(self, shelter: Shelter, label: str, opened: str | None = None) -> Unit:
        """A unit; with `opened`, set free at that local time (its first status change)."""
        unit = Unit(shelter_id=shelter.id, label=label, status=UnitStatus.CLOSED)
        self.session.add(unit)
        self.session.flush()
        if opened:
            self.status(unit, "free", opened)
        return unit

    def status(self, unit: Unit, status: str, when: str, source: str = "web") -> None:
        self.session.add(
            UnitStatusChange(
                unit_id=unit.id,
                from_status=None,
                to_status=UnitStatus(status),
                changed_at=at(when),
                source=ChangeSource(source),
            )
        )
        self.session.flush()

    def episode(self, when: str) -> TurnAwayEpisode:
        episode = TurnAwayEpisode(episode_key=None, started_at=at(when))
        self.session.add(episode)
        self.session.flush()
        return episode

    def refuse(
        self,
        shelter: Shelter,
        when: str,
        reason: str = "capacity",
        episode: TurnAwayEpisode | None = None,
        municipality: str | None = MUNICIPALITY,
    ) -> TurnAway:
        episode = episode or self.episode(when)
        refusal = TurnAway(
            shelter_id=shelter.id,
            recorded_by_id=self.staff.id,
            occurred_at=at(when),
            adults=1,
            children=1,
            reason=DeclineReason(reason),
            channel=TurnAwayChannel.PHONE,
            municipality_code=municipality,
            episode_id=episode.id,
        )
        self.session.add(refusal)
        self.session.flush()
        return refusal

    def request(
        self,
        shelter: Shelter,
        unit: Unit,
        made: str,
        status: str,
        decided: str | None = None,
        reason: str | None = None,
        municipality: str = MUNICIPALITY,
    ) -> PlacementRequest:
        self._codes += 1
        req = PlacementRequest(
            code=f"T{self._codes:05d}",
            unit_id=unit.id,
            shelter_id=shelter.id,
            organisation_id=self.social.id,
            requested_by_id=self.worker.id,
            municipality_code=municipality,
            case_ref="X",
            adults=1,
            children=[],
            urgency=Urgency.IMMEDIATE,
            callback_phone="+46701234567",
            status=RequestStatus(status),
            hold_expires_at=at(made),
            created_at=at(made),
            decided_at=at(decided) if decided else None,
            decline_reason=DeclineReason(reason) if reason else None,
        )
        self.session.add(req)
        self.session.flush()
        return req

    def placement(
        self, shelter: Shelter, unit: Unit, start: str, end: str | None, reason: str = "other"
    ) -> Placement:
        req = self.request(shelter, unit, start, "accepted", decided=start)
        placement = Placement(
            request_id=req.id,
            unit_id=unit.id,
            shelter_id=shelter.id,
            organisation_id=self.social.id,
            municipality_code=req.municipality_code,
            started_at=at(start),
            ended_at=at(end) if end else None,
            end_reason=EndReason(reason) if end else None,
        )
        self.session.add(placement)
        self.session.flush()
        return placement

    def unmet(self, when: str, municipality: str | None = MUNICIPALITY, **needs: Any) -> None:
        self.session.add(
            UnmetNeedSignal(
                created_at=at(when),
                created_by_id=self.worker.id,
                organisation_id=self.social.id,
                profile_key=f"k{when}{sorted(needs)}{municipality}",
                municipality_code=municipality,
                adults=1,
                children=0,
                **needs,
            )
        )
        self.session.flush()

    def confirm(self, shelter: Shelter, when: str) -> None:
        self.session.add(ShelterConfirmation(shelter_id=shelter.id, confirmed_at=at(when)))
        self.session.flush()


def build_history(session: Session) -> History:
    """Organisations and two accounts in Uppsala län; shelters are added by each test."""
    operator = Organisation(
        slug="uppsala-kvinnojour",
        name="Uppsala kvinnojour",
        kind=OrganisationKind.SHELTER_OPERATOR,
        county_code=COUNTY,
    )
    social = Organisation(
        slug="socialtjansten-uppsala",
        name="Socialtjänsten Uppsala",
        kind=OrganisationKind.SOCIAL_SERVICES,
        county_code=COUNTY,
    )
    session.add_all([operator, social])
    session.flush()
    staff = User(
        email="staff@uppsala.example", role=Role.SOCIAL_WORKER, organisation_id=operator.id
    )
    worker = User(
        email="worker@uppsala.example", role=Role.SOCIAL_WORKER, organisation_id=social.id
    )
    session.add_all([staff, worker])
    session.flush()
    return History(session, operator, social, staff, worker)
