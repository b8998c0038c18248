"""Administration: the audit log (filters, CSV) and the monthly log review."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Response, render_template, request
from marshmallow import ValidationError
from sqlalchemy import select

from ..authz import current_actor, roles_required
from ..domain.clock import STOCKHOLM, local, utcnow
from ..domain.enums import Role
from ..extensions import db
from ..models import User
from ..schemas.audit import AuditArgs, ReviewArgs
from ..services import audit
from . import bp

COLUMNS = ["at", "user", "role", "action", "object_type", "object_id", "address", "detail"]


def _utc(day: date) -> datetime:
    """Local (Stockholm) midnight starting `day`, in UTC (midnight always exists: DST-safe)."""
    return datetime.combine(day, time(0), tzinfo=STOCKHOLM).astimezone(UTC)


def _row(ev: Any) -> list[str]:
    return [
        local(ev.at).isoformat(timespec="seconds"),
        ev.actor.email if ev.actor else "",
        ev.actor_role.value if ev.actor_role else "",
        ev.action,
        ev.object_type,
        "" if ev.object_id is None else str(ev.object_id),
        ev.address or "",
        ev.detail or "",
    ]


def _csv(header: list[str], rows: list[list[str]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/admin/audit")
@roles_required(Role.ADMIN)
def admin_audit() -> Any:
    """The audit log, newest first, filtered; `format=csv` downloads the same rows."""
    actor = current_actor()
    try:
        args = AuditArgs().load(request.args)
    except ValidationError as err:
        return render_template(
            "admin/audit.html", events=[], errors=err.messages, values=request.args,
            actions=audit.actions(db.session),
        ), 422  # fmt: skip
    user_id = None
    if args["user"]:
        user_id = db.session.scalar(select(User.id).where(User.email == args["user"].lower()))
        user_id = user_id or -1  # an unknown e-mail matches nothing
    flt = audit.AuditFilter(
        user_id=user_id,
        action=args["action"],
        object_type=args["object_type"],
        object_id=args["object_id"],
        address=args["address"],
        start=_utc(args["start"]) if args["start"] else None,
        end=_utc(args["end"] + timedelta(days=1)) if args["end"] else None,
    )
    csv_wanted = args["format"] == "csv"
    events = audit.search(db.session, actor, flt, limit=100_000 if csv_wanted else 500)
    if csv_wanted:
        return _csv(COLUMNS, [_row(ev) for ev in events], "audit.csv")
    return render_template(
        "admin/audit.html", events=events, errors={}, values=request.args,
        actions=audit.actions(db.session),
    )  # fmt: skip


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(p) for p in month.split("-"))
    first = date(year, mon, 1)
    following = date(year + mon // 12, mon % 12 + 1, 1)
    return _utc(first), _utc(following)


@bp.get("/admin/audit/review")
@roles_required(Role.ADMIN)
def admin_audit_review() -> Any:
    """The monthly log review: each user's reads of cases, with a sample to follow up."""
    try:
        args = ReviewArgs().load(request.args)
    except ValidationError as err:
        return render_template("admin/audit_review.html", rows=[], errors=err.messages), 422
    if args["month"] is None:  # default: the month just ended (local time)
        today = local(utcnow()).date().replace(day=1)
        args["month"] = (today - timedelta(days=1)).strftime("%Y-%m")
    start, end = _month_bounds(args["month"])
    rows = audit.review_report(db.session, current_actor(), start, end, args["month"])
    if args["format"] == "csv":
        header = ["month", "user", "role", "reads", "cases", *COLUMNS]
        lines = [
            [args["month"], r.user.email, r.user.role.value, str(r.reads), str(r.cases),
             *_row(ev)]
            for r in rows
            for ev in r.sample
        ]  # fmt: skip
        return _csv(header, lines, f"log-review-{args['month']}.csv")
    return render_template("admin/audit_review.html", rows=rows, month=args["month"], errors={})
