"""Issue 5 end to end: an administrator onboards a shelter; its staff activate and keep it true."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import g, has_app_context
from sqlalchemy import func, select

from shelterbeds.models import Organisation, Shelter, ShelterProfileChange, Unit

ADMIN = "admin@example.org"
SOCIALJOUR = "socialjour.orebro@example.org"
STAFF = "personal.nora@example.org"
PASSWORD = "a-long-enough-password"


def fresh_csrf() -> None:
    """Forget a CSRF token cached in `g` when a test holds one app context for all requests."""
    if has_app_context():
        g.pop("csrf_token", None)


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def onboard(client, headers):
    """Organisation, shelter with three units and a staff account, all through the API."""
    r = client.post(
        "/api/v1/organisations",
        json={
            "slug": "kvinnojouren-nora",
            "name": "Kvinnojouren i Nora",
            "kind": "shelter_operator",
            "municipalities": ["1884"],
            "phone": "070-174 06 60",
        },
        headers=headers,
    )
    assert r.status_code == 201, r.json
    assert r.json["county_code"] == "18"
    assert r.json["municipalities"] == ["1884"]
    assert r.json["phone"] == "+46701740660"
    r = client.post(
        "/api/v1/shelters",
        json={
            "slug": "nora-boende",
            "name": "Skyddat boende Nora",
            "operator": "kvinnojouren-nora",
            "municipality_code": "1884",
            "intake_phone": "070-174 06 61",
            "on_call_phones": ["+46 70 174 06 62", "0701740662"],
            "ivo_licence": "IVO 3.5.1-1234/2024",
            "ivo_licence_date": "2024-04-01",
            "lgbtq": "no",
            "substance_use": "if_detoxified",
            "max_boy_age": 12,
            "staffed_hours": "Vardagar 8-17",
            "languages": ["sv", "en"],
        },
        headers=headers,
    )
    assert r.status_code == 201, r.json
    shelter = r.json
    assert shelter["intake_phone"] == "+46701740661"
    assert shelter["on_call_phones"] == ["+46701740662"]  # parsed, normalised, deduplicated
    assert shelter["policies"]["substance_use"] == "if_detoxified"
    units = []
    for n in (1, 2, 3):
        r = client.post(
            f"/api/v1/shelters/{shelter['id']}/units",
            json={"label": f"Rum {n}", "adult_beds": 1, "child_beds": 2, "pets_allowed": n == 3},
            headers=headers,
        )
        assert r.status_code == 201, r.json
        assert r.json["status"] == "closed"
        units.append(r.json)
    r = client.post(
        "/api/v1/users",
        json={"email": STAFF, "role": "shelter_staff", "shelter": "nora-boende"},
        headers=headers,
    )
    assert r.status_code == 201, r.json
    assert r.json["organisation"] == "kvinnojouren-nora"
    assert r.json["activated"] is False
    return shelter, units, r.json["activation_url"]


def activate(client, url, password=PASSWORD):
    path = urlsplit(url).path
    fresh_csrf()
    page = client.get(path)
    assert page.status_code == 200
    return client.post(
        path,
        data={
            "csrf_token": csrf(page.get_data(as_text=True)),
            "password": password,
            "password_again": password,
        },
    )


def login(client, email, password=PASSWORD):
    fresh_csrf()
    token = csrf(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


def slugs(result):
    return {h["shelter"]["slug"] for h in result}


def test_onboard_activate_set_free_and_found_then_policy_followed(client, demo, token_for, session):
    admin = token_for(ADMIN)
    shelter, units, url = onboard(client, admin)
    assert url.startswith("https://shelterbeds.test/activate/")

    r = activate(client, url)
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    r = login(client, STAFF)
    assert r.status_code == 302, r.get_data(as_text=True)
    fresh_csrf()
    page = client.get("/shelter")
    assert "Skyddat boende Nora" in page.get_data(as_text=True)

    r = client.post(
        f"/shelter/units/{units[0]['id']}/status",
        data={"csrf_token": csrf(page.get_data(as_text=True)), "status": "free"},
    )
    assert r.status_code == 302
    social = token_for(SOCIALJOUR)
    r = client.get("/api/v1/vacancies", headers=social)
    hit = next(h for h in r.json["results"] if h["shelter"]["slug"] == "nora-boende")
    assert [u["label"] for u in hit["units"]] == ["Rum 1"]
    assert hit["freshness"]["state"] == "fresh"

    r = client.get("/api/v1/vacancies?lgbtq=1", headers=social)
    assert "nora-boende" not in slugs(r.json["results"])
    near = {h["shelter"]["slug"]: h["reason"] for h in r.json["near_misses"]}
    assert near["nora-boende"] == "lgbtq"

    staff = token_for(STAFF)
    r = client.patch(f"/api/v1/shelters/{shelter['id']}", json={"lgbtq": "yes"}, headers=staff)
    assert r.status_code == 200, r.json
    assert r.json["policies"]["lgbtq"] == "yes"
    assert r.json["warnings"] == []
    r = client.get("/api/v1/vacancies?lgbtq=1", headers=social)
    assert "nora-boende" in slugs(r.json["results"])

    change = session.scalars(
        select(ShelterProfileChange).where(ShelterProfileChange.shelter_id == shelter["id"])
    ).one()
    assert (change.field, change.before, change.after) == ("lgbtq", "no", "yes")
    assert change.changed_by.email == STAFF
    r = client.get(f"/api/v1/shelters/{shelter['id']}/history", headers=staff)
    assert r.json[0]["field"] == "lgbtq" and r.json[0]["changed_by"] == STAFF


def test_bad_input_changes_nothing(client, demo, token_for, session):
    admin = token_for(ADMIN)
    orgs = session.scalar(select(func.count()).select_from(Organisation))
    shelters = session.scalar(select(func.count()).select_from(Shelter))
    base = {"slug": "ny-org", "name": "Ny", "kind": "social_services", "municipalities": ["1880"]}
    cases = [
        ({**base, "municipalities": ["1880", "9999"]}, 422, "municipalities"),
        ({**base, "slug": "Ny Org"}, 422, "slug"),
        ({**base, "slug": "socialjouren-orebro"}, 409, "slug"),
        ({**base, "phone": "ring mig"}, 422, "phone"),
        ({**base, "kind": "club"}, 422, "kind"),
        ({**base, "municipalities": ["1880", "0180"]}, 422, "county_code"),
        ({**base, "county_code": "01"}, 422, "municipalities"),
    ]
    for body, status, field in cases:
        r = client.post("/api/v1/organisations", json=body, headers=admin)
        assert r.status_code == status, (body, r.json)
        assert r.mimetype == "application/problem+json"
        assert field in r.json["errors"], (body, r.json)
    shelter = {
        "slug": "nytt-boende",
        "name": "Nytt",
        "operator": "sara-huset",
        "municipality_code": "1880",
    }
    cases = [
        ({**shelter, "municipality_code": "9999"}, 422, "municipality_code"),
        ({**shelter, "slug": "sara-huset"}, 409, "slug"),
        ({**shelter, "slug": "nytt_boende"}, 422, "slug"),
        ({**shelter, "intake_phone": "12"}, 422, "intake_phone"),
        ({**shelter, "on_call_phones": ["070-174 06 05", "abc"]}, 422, "on_call_phones"),
        ({**shelter, "operator": "finns-inte"}, 422, "operator"),
        ({**shelter, "lgbtq": "maybe"}, 422, "lgbtq"),
        ({**shelter, "max_boy_age": 40}, 422, "max_boy_age"),
        ({**shelter, "accepts_women": False}, 422, "accepts_women"),
        ({**shelter, "languages": ["svenska"]}, 422, "languages"),
        ({**shelter, "staffed_hours": "ring 19121212-1212"}, 422, "staffed_hours"),
    ]
    for body, status, field in cases:
        r = client.post("/api/v1/shelters", json=body, headers=admin)
        assert r.status_code == status, (body, r.json)
        assert field in r.json["errors"], (body, r.json)
    sara = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    orebro = session.scalar(select(Shelter).where(Shelter.slug == "kvinnohuset-orebro"))
    # Örebro takes no men: refusing women too would leave nobody
    r = client.patch(f"/api/v1/shelters/{orebro.id}", json={"accepts_women": False}, headers=admin)
    assert r.status_code == 422 and "accepts_women" in r.json["errors"]
    r = client.patch(
        f"/api/v1/shelters/{sara.id}", json={"slug": "kvinnohuset-orebro"}, headers=admin
    )
    assert r.status_code == 409
    assert session.scalar(select(func.count()).select_from(Organisation)) == orgs
    assert session.scalar(select(func.count()).select_from(Shelter)) == shelters
    session.refresh(sara)
    session.refresh(orebro)
    assert orebro.accepts_women and sara.slug == "sara-huset"
    assert session.scalar(select(func.count()).select_from(ShelterProfileChange)) == 0


def test_units_rename_close_and_retire_but_never_while_in_use(client, demo, token_for, session):
    admin = token_for(ADMIN)
    sara = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    by_label = {u.label: u for u in sara.units}
    free, occupied = by_label["Lägenhet 2"], by_label["Lägenhet 5"]
    base = f"/api/v1/shelters/{sara.id}/units"

    r = client.patch(f"{base}/{occupied.id}", json={"retired": True}, headers=admin)
    assert r.status_code == 409 and "retired" in r.json["errors"]
    held = by_label["Lägenhet 6"]
    held.status = "held"
    session.commit()
    r = client.patch(f"{base}/{held.id}", json={"retired": True, "label": "X"}, headers=admin)
    assert r.status_code == 409
    session.refresh(held)
    session.refresh(occupied)
    assert held.retired_at is None and held.label == "Lägenhet 6"
    assert occupied.retired_at is None and occupied.status.value == "occupied"

    r = client.patch(
        f"{base}/{free.id}",
        json={"label": "Lägenhet 2B", "child_beds": 4, "wheelchair_accessible": True},
        headers=admin,
    )
    assert r.status_code == 200, r.json
    assert (r.json["label"], r.json["child_beds"], r.json["wheelchair_accessible"]) == (
        "Lägenhet 2B",
        4,
        True,
    )
    r = client.patch(f"{base}/{free.id}", json={"label": "Lägenhet 3"}, headers=admin)
    assert r.status_code == 409 and "label" in r.json["errors"]
    r = client.patch(f"{base}/{free.id}", json={"status": "closed"}, headers=admin)
    assert r.json["status"] == "closed"
    r = client.patch(f"{base}/{free.id}", json={"retired": True}, headers=admin)
    assert r.status_code == 200 and r.json["retired_at"]
    r = client.patch(f"{base}/{free.id}", json={"label": "Igen"}, headers=admin)
    assert r.status_code == 409

    # a free unit is closed on the way out, so its history shows it leaving the stock
    third = by_label["Lägenhet 3"]
    r = client.patch(f"{base}/{third.id}", json={"retired": True}, headers=admin)
    assert r.status_code == 200 and r.json["status"] == "closed"
    listed = client.get(base, headers=admin).json
    assert {u["label"] for u in listed if u["retired_at"]} == {"Lägenhet 2B", "Lägenhet 3"}
    assert session.get(Unit, third.id) is not None  # kept, never deleted
    r = client.get("/api/v1/vacancies", headers=token_for(SOCIALJOUR))
    labels = {u["label"] for h in r.json["results"] for u in h["units"]}
    assert "Lägenhet 3" not in labels and "Lägenhet 2B" not in labels

    for body in ({"adult_beds": 0}, {"status": "held"}, {"label": ""}, {"colour": "red"}):
        r = client.patch(f"{base}/{occupied.id}", json=body, headers=admin)
        assert r.status_code == 422, (body, r.json)


def test_staff_profile_limits_and_tenant_checks(client, demo, token_for, session):
    sara = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    orebro = session.scalar(select(Shelter).where(Shelter.slug == "kvinnohuset-orebro"))
    staff = token_for("personal.orebro@example.org")
    r = client.patch(f"/api/v1/shelters/{sara.id}", json={"pets": False}, headers=staff)
    assert r.status_code in (403, 404)
    r = client.get(f"/api/v1/shelters/{sara.id}", headers=staff)
    assert r.status_code == 404
    for body in ({"slug": "ny"}, {"operator": "sara-huset"}, {"municipality_code": "1881"}):
        r = client.patch(f"/api/v1/shelters/{orebro.id}", json=body, headers=staff)
        assert r.status_code == 403, r.json
        assert next(iter(body)) in r.json["errors"]
    r = client.post(f"/api/v1/shelters/{orebro.id}/units", json={"label": "Rum 9"}, headers=staff)
    assert r.status_code == 403
    session.refresh(sara)
    assert sara.pets is True
    assert orebro.slug == "kvinnohuset-orebro"

    social = token_for(SOCIALJOUR)
    for method, path, body in [
        ("post", "/api/v1/organisations", {"slug": "x", "name": "x", "kind": "county"}),
        ("get", "/api/v1/organisations", None),
        ("get", "/api/v1/users", None),
        ("post", "/api/v1/users", {"email": "x@example.org", "role": "admin"}),
        ("post", "/api/v1/shelters", {"slug": "x"}),
        ("patch", f"/api/v1/shelters/{sara.id}", {"pets": False}),
        ("post", f"/api/v1/shelters/{sara.id}/units", {"label": "x"}),
        ("get", "/api/v1/exports/shelters", None),
    ]:
        r = getattr(client, method)(path, json=body, headers=social)
        assert r.status_code == 403, (method, path, r.status_code)
    assert client.post("/api/v1/organisations", json={}).status_code == 401


def test_policy_narrowing_warns_and_leaves_occupied_units_alone(client, demo, token_for, session):
    orebro = session.scalar(select(Shelter).where(Shelter.slug == "kvinnohuset-orebro"))
    before = {u.id: u.status for u in orebro.units}
    staff = token_for("personal.orebro@example.org")
    r = client.patch(
        f"/api/v1/shelters/{orebro.id}",
        json={"max_boy_age": 10, "languages": [], "on_call_phones": ["070-174 06 99"]},
        headers=staff,
    )
    assert r.status_code == 200, r.json
    assert len(r.json["warnings"]) == 1
    assert r.json["warnings"][0].startswith("6 units are occupied or held")
    assert "not affected" in r.json["warnings"][0]
    assert r.json["on_call_phones"] == ["+46701740699"]
    session.expire_all()
    assert {u.id: u.status for u in orebro.units} == before
    fields = set(
        session.scalars(
            select(ShelterProfileChange.field).where(ShelterProfileChange.shelter_id == orebro.id)
        )
    )
    assert fields == {"max_boy_age", "languages", "on_call_phones"}
    # widening is silent
    r = client.patch(f"/api/v1/shelters/{orebro.id}", json={"pets": True}, headers=staff)
    assert r.json["warnings"] == []
    # an unchanged value records nothing
    r = client.patch(f"/api/v1/shelters/{orebro.id}", json={"pets": True}, headers=staff)
    count = session.scalar(
        select(func.count())
        .select_from(ShelterProfileChange)
        .where(ShelterProfileChange.shelter_id == orebro.id)
    )
    assert count == 4


def test_admin_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    expected = {
        "/api/v1/organisations": {"get", "post"},
        "/api/v1/organisations/{org_id}": {"patch"},
        "/api/v1/shelters": {"get", "post"},
        "/api/v1/shelters/{shelter_id}": {"get", "patch"},
        "/api/v1/shelters/{shelter_id}/units": {"get", "post"},
        "/api/v1/shelters/{shelter_id}/units/{unit_id}": {"patch"},
        "/api/v1/users": {"get", "post"},
        "/api/v1/users/{user_id}": {"patch"},
        "/api/v1/tokens": {"get"},
        "/api/v1/tokens/{token_id}": {"delete"},
        "/api/v1/imports/shelters": {"post"},
        "/api/v1/exports/shelters": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), (path, set(paths[path]))
