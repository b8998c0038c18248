"""The floor under the bench's request + withdraw target: the least any design could do.

Three WSGI apps that do a request + withdraw cycle's writes — the unit's conditional UPDATE,
its history row, the shelter's freshness stamp, the request row, two audit rows, the cache
version bump; on withdrawal also the subscriptions lookup — as ONE data-modifying CTE per
HTTP request on an autocommit connection: one round trip and one WAL flush each, with no ORM,
no validation, no token check, no rate limit and no response schema. Not the service; a
yardstick for `scripts/bench_floor.py`, run by gunicorn exactly as the Procfile runs the
app:

- `bare`: a plain WSGI callable (the cheapest Python HTTP answer there is);
- `flask_app`: the same in Flask with two routes (the framework the service is built on);
- `service_app()`: the service itself — `create_app()` with every hook, the API token check
  and the role table — with only the two views replaced by the same one statement each (no
  marshmallow in or out, no rate limit, no ORM in the view).

Settings from the environment: SHELTERBEDS_FLOOR_DATABASE_URL (a libpq URL) and
SHELTERBEDS_FLOOR_ACTOR ("user id,organisation id" of a social worker). PostgreSQL only.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from flask import Flask, request

from shelterbeds import create_app
from shelterbeds.authz import roles_required
from shelterbeds.config import Settings
from shelterbeds.domain.enums import Role

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
HOLD = timedelta(minutes=60)

# The sub-statements of a WITH run in no set order: the version bump reads the shelter
# update's output, so the locks are taken as the app takes them (unit, shelter, versions)
# and two cycles cannot deadlock.
# The request: take the unit if it is free, at an active shelter, for a municipality the
# organisation decides for; then everything the app writes with it, in the same statement.
REQUEST_SQL = """
WITH u AS (
  UPDATE units SET status = 'held', status_changed_at = %(now)s
  WHERE id = %(unit)s AND status = 'free'
    AND EXISTS (SELECT 1 FROM shelters s WHERE s.id = units.shelter_id AND s.active)
    AND EXISTS (SELECT 1 FROM organisation_municipalities om
                WHERE om.organisation_id = %(org)s AND om.municipality_code = %(muni)s)
  RETURNING id, shelter_id),
h AS (
  INSERT INTO unit_status_changes (unit_id, from_status, to_status, changed_at, changed_by_id,
                                   source)
  SELECT id, 'free', 'held', %(now)s, %(user)s, 'api' FROM u),
s AS (UPDATE shelters SET confirmed_at = %(now)s WHERE id = (SELECT shelter_id FROM u)
      RETURNING id),
r AS (
  INSERT INTO placement_requests (code, unit_id, shelter_id, organisation_id, requested_by_id,
    municipality_code, case_ref, adults, children, wheelchair, pets, lgbtq, psychiatric, men,
    honour_related, urgency, callback_phone, status, hold_expires_at, created_at,
    protected_identity)
  SELECT %(code)s, id, shelter_id, %(org)s, %(user)s, %(muni)s, %(case_ref)s, %(adults)s, '[]',
    false, false, false, false, false, false, %(urgency)s, %(phone)s, 'pending', %(expires)s,
    %(now)s, false
  FROM u
  RETURNING id, code),
a AS (
  INSERT INTO audit_events (at, actor_id, actor_role, organisation_id, action, object_type,
                            object_id, address, detail)
  SELECT %(now)s, %(user)s, 'social_worker', %(org)s, 'request.create', 'request', id,
         '127.0.0.1', NULL FROM r
  UNION ALL
  SELECT %(now)s, %(user)s, 'social_worker', %(org)s, 'change', 'create_request', NULL,
         '127.0.0.1', 'POST' FROM r),
v AS (UPDATE cache_versions SET search = search + 1, stats = stats + 1
      WHERE id = 1 AND EXISTS (SELECT 1 FROM r) AND EXISTS (SELECT 1 FROM s))
SELECT id, code FROM r
"""

# The withdrawal: the request leaves pending if its hold still runs; the unit is free again.
WITHDRAW_SQL = """
WITH p AS (
  UPDATE placement_requests SET status = 'withdrawn', decided_at = %(now)s,
         decided_by_id = %(user)s
  WHERE id = %(id)s AND organisation_id = %(org)s AND status = 'pending'
    AND hold_expires_at > %(now)s
  RETURNING id, unit_id),
u AS (
  UPDATE units SET status = 'free', status_changed_at = %(now)s
  WHERE id = (SELECT unit_id FROM p) AND status = 'held'
  RETURNING id, shelter_id),
h AS (
  INSERT INTO unit_status_changes (unit_id, from_status, to_status, changed_at, changed_by_id,
                                   source)
  SELECT id, 'held', 'free', %(now)s, %(user)s, 'api' FROM u),
s AS (UPDATE shelters SET confirmed_at = %(now)s WHERE id = (SELECT shelter_id FROM u)
      RETURNING id),
a AS (
  INSERT INTO audit_events (at, actor_id, actor_role, organisation_id, action, object_type,
                            object_id, address, detail)
  SELECT %(now)s, %(user)s, 'social_worker', %(org)s, 'request.withdraw', 'request', id,
         '127.0.0.1', NULL FROM p
  UNION ALL
  SELECT %(now)s, %(user)s, 'social_worker', %(org)s, 'change', 'withdraw_request', id,
         '127.0.0.1', 'POST' FROM p),
v AS (UPDATE cache_versions SET search = search + 1, stats = stats + 1
      WHERE id = 1 AND EXISTS (SELECT 1 FROM p) AND EXISTS (SELECT 1 FROM s))
SELECT p.id,
       (SELECT count(*) FROM sms_subscriptions
        WHERE shelter_id IS NULL OR shelter_id = (SELECT shelter_id FROM u)) AS subscriptions
FROM p
"""


class Floor:
    """One autocommit connection per process (gunicorn's sync workers: one request at a time)."""

    def __init__(self, conninfo: str, user_id: int, organisation_id: int) -> None:
        self.conninfo = conninfo
        self.user_id = user_id
        self.organisation_id = organisation_id
        self.conn: psycopg.Connection[Any] | None = None
        self.pid = 0

    @classmethod
    def from_environ(cls) -> Floor:
        user_id, organisation_id = os.environ["SHELTERBEDS_FLOOR_ACTOR"].split(",")
        return cls(os.environ["SHELTERBEDS_FLOOR_DATABASE_URL"], int(user_id), int(organisation_id))

    def _connection(self) -> psycopg.Connection[Any]:
        if self.conn is None or self.pid != os.getpid():  # a forked worker opens its own
            self.conn = psycopg.connect(self.conninfo, autocommit=True)
            self.pid = os.getpid()
        return self.conn

    def close(self) -> None:
        if self.conn is not None and self.pid == os.getpid():
            self.conn.close()
        self.conn = None

    def request_unit(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """Hold the unit; the new request's id and code, or None if it was not free.

        A code already taken fails the whole statement (autocommit: nothing stays written)
        and we draw again, as the app does.
        """
        now = datetime.now(UTC)
        params = {
            "now": now,
            "expires": now + HOLD,
            "unit": int(body["unit_id"]),
            "muni": str(body["municipality_code"]),
            "case_ref": str(body["case_ref"]),
            "adults": int(body["household"]["adults"]),
            "urgency": str(body["urgency"]),
            "phone": str(body["callback_phone"]),
            "user": self.user_id,
            "org": self.organisation_id,
        }
        for _attempt in range(20):
            params["code"] = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
            try:
                row = self._connection().execute(REQUEST_SQL, params).fetchone()
            except psycopg.errors.UniqueViolation:
                continue
            return {"id": row[0], "code": row[1], "status": "pending"} if row else None
        raise RuntimeError("could not find a free request code")

    def withdraw(self, request_id: int) -> dict[str, Any] | None:
        """Withdraw a pending request of the organisation; None if it was not pending."""
        row = (
            self._connection()
            .execute(
                WITHDRAW_SQL,
                {
                    "now": datetime.now(UTC),
                    "id": request_id,
                    "user": self.user_id,
                    "org": self.organisation_id,
                },
            )
            .fetchone()
        )
        return {"id": row[0], "status": "withdrawn"} if row else None


_FLOOR: Floor | None = None


def _floor() -> Floor:
    global _FLOOR  # noqa: PLW0603 (one per process, made on first use after the fork)
    if _FLOOR is None:
        _FLOOR = Floor.from_environ()
    return _FLOOR


def _withdraw_id(path: str) -> int | None:
    parts = path.split("/")  # /api/v1/requests/<id>/withdraw
    if len(parts) == 6 and parts[:4] == ["", "api", "v1", "requests"] and parts[5] == "withdraw":
        return int(parts[4]) if parts[4].isdigit() else None
    return None


def bare(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The floor as a plain WSGI callable."""
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    answer: dict[str, Any] | None
    if path == "/healthz":
        status, answer = "200 OK", {"status": "ok"}
    elif method == "POST" and path == "/api/v1/requests":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        answer = _floor().request_unit(json.loads(environ["wsgi.input"].read(size)))
        status = "201 Created" if answer else "409 Conflict"
    elif method == "POST" and (request_id := _withdraw_id(path)) is not None:
        answer = _floor().withdraw(request_id)
        status = "200 OK" if answer else "409 Conflict"
    else:
        status, answer = "404 Not Found", None
    data = json.dumps(answer or {}).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


flask_app = Flask(__name__)


@flask_app.get("/healthz")
def healthz() -> Any:
    return {"status": "ok"}


@flask_app.post("/api/v1/requests")
def create_request() -> Any:
    answer = _floor().request_unit(request.get_json())
    return (answer, 201) if answer else ({}, 409)


@flask_app.post("/api/v1/requests/<int:request_id>/withdraw")
def withdraw_request(request_id: int) -> Any:
    answer = _floor().withdraw(request_id)
    return answer if answer else ({}, 409)


def service_app(settings: Settings | None = None) -> Flask:
    """The service with its request and withdraw views doing the floor's statement (gunicorn:
    `scripts.bench_floor_app:service_app()`; settings from the environment by default)."""
    app = create_app(settings)
    social_worker = roles_required(Role.SOCIAL_WORKER)  # the service's role check stays
    app.view_functions["requests.create_request"] = social_worker(create_request)
    app.view_functions["requests.withdraw_request"] = social_worker(withdraw_request)
    return app
