"""The vacancy registry through the JSON API, as issue 2 will be checked."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from shelterbeds.domain.clock import utcnow
from shelterbeds.models import Shelter, Unit, UnmetNeedSignal

SOCIALJOUR = "socialjour.orebro@example.org"


def _unit(session, shelter_slug, label):
    return session.scalar(
        select(Unit).join(Shelter).where(Shelter.slug == shelter_slug, Unit.label == label)
    )


def _signals(session):
    return session.scalar(select(func.count()).select_from(UnmetNeedSignal))


def test_wheelchair_finds_only_saras_accessible_unit(client, demo, token_for, session):
    r = client.get("/api/v1/vacancies?wheelchair=1", headers=token_for(SOCIALJOUR))
    assert r.status_code == 200, r.json
    results = r.json["results"]
    assert [h["shelter"]["slug"] for h in results] == ["sara-huset"]
    assert [u["label"] for u in results[0]["units"]] == ["Lägenhet 1"]
    assert results[0]["units"][0]["wheelchair_accessible"] is True
    assert results[0]["freshness"]["state"] == "fresh"
    assert "wheelchair_accessible" in [w["code"] for w in results[0]["why"]]


def test_lgbtq_leaves_orebro_out_as_near_miss(client, demo, token_for):
    r = client.get("/api/v1/vacancies?lgbtq=true", headers=token_for(SOCIALJOUR))
    slugs = {h["shelter"]["slug"] for h in r.json["results"]}
    assert "kvinnohuset-orebro" not in slugs
    assert "sara-huset" in slugs
    sara = next(h for h in r.json["results"] if h["shelter"]["slug"] == "sara-huset")
    assert "lgbtq_after_assessment" in [w["code"] for w in sara["why"]]
    near = {h["shelter"]["slug"]: h["reason"] for h in r.json["near_misses"]}
    assert near["kvinnohuset-orebro"] == "lgbtq"


def test_boys_age_limit(client, demo, token_for):
    headers = token_for(SOCIALJOUR)
    r = client.get("/api/v1/vacancies?child_ages=16&child_sexes=m", headers=headers)
    near = {h["shelter"]["slug"]: h["reason"] for h in r.json["near_misses"]}
    assert near["kvinnohuset-orebro"] == "boys_age"
    r = client.get("/api/v1/vacancies?child_ages=15&child_sexes=m", headers=headers)
    assert "kvinnohuset-orebro" in {h["shelter"]["slug"] for h in r.json["results"]}
    # a 16-year-old girl is no problem
    r = client.get("/api/v1/vacancies?child_ages=16&child_sexes=f", headers=headers)
    assert "kvinnohuset-orebro" in {h["shelter"]["slug"] for h in r.json["results"]}


def test_occupying_the_accessible_unit_leaves_nothing_and_stores_a_signal(
    client, demo, token_for, session
):
    unit = _unit(session, "sara-huset", "Lägenhet 1")
    r = client.put(
        f"/api/v1/units/{unit.id}/status",
        json={"status": "occupied"},
        headers=token_for("personal.sara@example.org"),
    )
    assert r.status_code == 200, r.json
    assert r.json["status"] == "occupied"
    before = _signals(session)
    r = client.get(
        "/api/v1/vacancies?wheelchair=1&municipality=1880", headers=token_for(SOCIALJOUR)
    )
    assert r.json["results"] == []
    assert r.json["unmet_need_recorded"] is True
    assert _signals(session) == before + 1
    signal = session.scalars(select(UnmetNeedSignal).order_by(UnmetNeedSignal.id.desc())).first()
    assert signal.wheelchair and signal.municipality_code == "1880"
    assert signal.need_kinds == ["wheelchair"]


def test_staff_cannot_change_another_shelters_unit(client, demo, token_for, session):
    unit = _unit(session, "sara-huset", "Lägenhet 2")
    r = client.put(
        f"/api/v1/units/{unit.id}/status",
        json={"status": "occupied"},
        headers=token_for("personal.orebro@example.org"),
    )
    assert r.status_code in (403, 404)
    assert r.mimetype == "application/problem+json"
    session.refresh(unit)
    assert unit.status.value == "free"


def test_unconfirmed_shelter_shows_no_free_units(client, demo, token_for, session):
    sara = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    sara.confirmed_at = utcnow() - timedelta(hours=25)
    session.commit()
    r = client.get("/api/v1/vacancies?wheelchair=1", headers=token_for(SOCIALJOUR))
    assert r.json["results"] == []
    near = {h["shelter"]["slug"]: h for h in r.json["near_misses"]}
    assert near["sara-huset"]["reason"] == "unknown_vacancy"
    assert near["sara-huset"]["freshness"]["state"] == "unknown"


def test_malformed_parameters_are_422_with_field_errors(client, demo, token_for):
    headers = token_for(SOCIALJOUR)
    for qs, field in [
        ("adults=many", "adults"),
        ("wheelchair=perhaps", "wheelchair"),
        ("child_ages=4,x", "child_ages"),
        ("child_ages=4&child_sexes=f,m", "child_sexes"),
        ("substance_use=sometimes", "substance_use"),
        ("municipality=18", "municipality"),
        ("adults=0", "adults"),
    ]:
        r = client.get(f"/api/v1/vacancies?{qs}", headers=headers)
        assert r.status_code == 422, (qs, r.status_code, r.json)
        assert r.mimetype == "application/problem+json"
        assert field in r.json["errors"], (qs, r.json)


def test_unknown_municipality_is_422(client, demo, token_for):
    r = client.get("/api/v1/vacancies?municipality=9999", headers=token_for(SOCIALJOUR))
    assert r.status_code == 422
    assert "municipality" in r.json["errors"]


def test_no_token_is_401_and_wrong_role_403(client, demo, token_for):
    assert client.get("/api/v1/vacancies").status_code == 401
    r = client.get("/api/v1/vacancies", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    r = client.get("/api/v1/vacancies", headers=token_for("personal.sara@example.org"))
    assert r.status_code == 403


def test_repeated_identical_search_is_one_signal(client, demo, token_for, session):
    headers = token_for(SOCIALJOUR)
    before = _signals(session)
    for _ in range(3):
        r = client.get("/api/v1/vacancies?psychiatric=1&lgbtq=1", headers=headers)
        assert r.json["results"] == [] and r.json["unmet_need_recorded"] is True
    assert _signals(session) == before + 1
    client.get("/api/v1/vacancies?psychiatric=1", headers=headers)
    assert _signals(session) == before + 2
