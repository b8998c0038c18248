"""The statistics benchmark's growth run and its pass/fail verdicts (issue 9, item 9).

Used through scripts/bench_stats.py by scripts/bench_run.py: `grow_history` after the
growth run's unit history, `verdicts` in its report.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Interval, and_, func, insert, literal, null, select, true
from sqlalchemy.orm import Session

from shelterbeds.domain.enums import TurnAwayChannel
from shelterbeds.domain.requests import RequestStatus
from shelterbeds.models import PlacementRequest, ShelterConfirmation, TurnAway, UnmetNeedSignal
from shelterbeds.models.types import UTCDateTime

# Issue 9, item 9: a 12-month figure answers within 10x a vacancy search (the typical one of
# scripts/bench_run.py), and 10x more history makes it at most 2x slower.
SEARCH_RATIO_LIMIT = 10.0
GROWTH_LIMIT = 2.0


def verdicts(rows: list[dict[str, Any]], grow: dict | None, search: str) -> list[dict[str, Any]]:
    """Pass/fail of each statistics probe of a bench_run report: its time as a multiple of
    the search probe `search` (throughputs inverted: both come from the same run) and, after
    the growth run, its slowdown (its ratio to /healthz before ÷ after)."""
    by_name = {r["probe"]: r for r in rows}
    after = {r["probe"]: r for r in (grow or {}).get("after", [])}
    out = []

    def verdict(name: str, value: float | None, limit: float) -> dict[str, Any]:
        ok = value is not None and value <= limit
        return {"target": name, "value": value, "goal": f"<= {limit}", "pass": ok}

    for name, row in by_name.items():
        if not name.startswith("stats: "):
            continue
        base = by_name[search]["per_second"]
        times = round(base / row["per_second"], 2) if row["per_second"] else None
        out.append(verdict(f"{name} / typical search (time)", times, SEARCH_RATIO_LIMIT))
        if grow:
            later = after.get(name, {}).get("ratio")
            slower = round(row["ratio"] / later, 3) if later and row["ratio"] else None
            out.append(verdict(f"{name} slowdown with 10x history", slower, GROWTH_LIMIT))
    return out


def grow_history(session: Session, *, years: int = 5, factor: int = 9) -> int:
    """The growth run's statistics part: `factor` copies of the generated statistics
    history (requests, turn-aways, unmet-need signals, confirmations), each moved `years`
    further back, so the 12-month probes run over 10x the history. Server-side INSERT …
    SELECT (PostgreSQL); the unit history grows by bench_data.add_history. Returns rows."""
    if session.get_bind().dialect.name != "postgresql":
        print("  (statistics history grows on PostgreSQL only)", flush=True)
        return 0
    which = {  # what was generated (not the benchmark's own requests), and what changes
        # Generated requests only (code S…, case B-…): a request of the bench's own
        # request + withdraw probe may have a code starting with S too, and one left pending
        # when wrk stopped would be copied as a second pending request on its unit.
        PlacementRequest: (
            and_(
                PlacementRequest.code.like("S%"),
                PlacementRequest.case_ref.like("B-%"),
                PlacementRequest.status != RequestStatus.PENDING,
            ),
            ("code",),
        ),
        TurnAway: (true(), ("request_id", "channel")),  # a copy refers to no request
        UnmetNeedSignal: (UnmetNeedSignal.profile_key.like("bench-%"), ()),
        ShelterConfirmation: (true(), ()),
    }
    last = {m: session.scalar(select(func.max(m.id))) or 0 for m in which}  # originals only
    before = sum(session.scalar(select(func.count()).select_from(m)) or 0 for m in which)
    for k in range(1, factor + 1):
        shift = literal(timedelta(days=365 * years * k), Interval())
        for model, (condition, changed) in which.items():
            table = model.__table__
            columns = [c for c in table.c if c.name != "id"]
            other = {
                # A copy's request code: the copy's number, then the original's digits.
                "code": literal(str(k)) + func.substr(table.c.code, 2)
                if "code" in changed
                else None,
                "request_id": null(),
                "channel": literal(TurnAwayChannel.PHONE, table.c.channel.type)
                if "channel" in changed
                else None,
            }
            values = [
                other[c.name]
                if c.name in changed
                else c - shift
                if isinstance(c.type, UTCDateTime)
                else c
                for c in columns
            ]
            source = select(*values).where(condition, table.c.id <= last[model])
            session.execute(insert(table).from_select(columns, source))
    session.flush()
    return sum(session.scalar(select(func.count()).select_from(m)) or 0 for m in which) - before
