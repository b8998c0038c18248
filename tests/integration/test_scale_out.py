"""Scale-out (issue 10, item 6): two gunicorn instances on different ports, one PostgreSQL.

Each instance keeps its own in-process caches (search snapshot, ranked answers, tokens);
what one changes, the other sees on its very next request.
"""

from __future__ import annotations

from contextlib import ExitStack

from sqlalchemy.orm import Session

from shelterbeds.domain.clock import utcnow
from shelterbeds.services import auth
from shelterbeds.services.demo import load_demo
from tests.support.factories import (
    DEMO_PASSWORD,
    PG_URL,
    SOCIALJOUR,
    STAFF_SARA,
    on_postgres,
    request_body,
    unit_at,
)
from tests.support.live import gunicorn

WHEELCHAIR = "/api/v1/vacancies?wheelchair=1&municipality=1880"


def _offered(server, token):
    answer = server.call("GET", WHEELCHAIR, token=token)
    assert answer.status == 200, answer
    return [u["id"] for hit in answer.body["results"] for u in hit["units"]]


@on_postgres
def test_two_nodes_share_holds_and_see_each_others_changes(committed_engine, tmp_path):
    with Session(committed_engine) as session:
        load_demo(session, utcnow(), password=DEMO_PASSWORD)
        unit = unit_at(session, "sara-huset", "Lägenhet 1").id
        tokens = {}
        for email in (SOCIALJOUR, STAFF_SARA):
            user = auth.user_by_email(session, email)
            tokens[email] = auth.create_token(session, user, "scale-out", utcnow())[1]
        session.commit()
    social, staff = tokens[SOCIALJOUR], tokens[STAFF_SARA]

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with ExitStack() as stack:
        a = stack.enter_context(gunicorn(PG_URL, tmp_path / "a", workers=2))
        b = stack.enter_context(gunicorn(PG_URL, tmp_path / "b", workers=2))
        assert a.url != b.url
        for node in (a, b):  # both warm: their caches hold the unit as free
            for _ in range(3):
                assert _offered(node, social) == [unit]

        # A hold taken through A is a 409 through B, and B's search stops offering it.
        body = request_body(unit, needs={"wheelchair": True})
        held = a.call("POST", "/api/v1/requests", body, token=social)
        assert held.status == 201, held
        again = b.call("POST", "/api/v1/requests", {**body, "case_ref": "SJ-2"}, token=social)
        assert again.status == 409, again
        assert _offered(b, social) == []

        # Freed through A (withdrawn), offered by B's next search.
        r = a.call("POST", f"/api/v1/requests/{held.body['id']}/withdraw", token=social)
        assert r.status == 200, r
        assert _offered(b, social) == [unit]

        # Occupied and freed again by staff through B: A follows each change.
        for status, expected in (("occupied", []), ("free", [unit])):
            r = b.call("PUT", f"/api/v1/units/{unit}/status", {"status": status}, token=staff)
            assert r.status == 200, r
            for _ in range(3):  # whichever of A's workers answers
                assert _offered(a, social) == expected, status
