"""The statistics benchmark's history generator and probes, at a tiny scale."""

from __future__ import annotations

from sqlalchemy import func, select

from scripts.bench_data import generate
from scripts.bench_stats import STATS_EMAIL, generate_history, grow_history, stats_probes
from shelterbeds.domain.clock import utcnow
from shelterbeds.models import PlacementRequest, ShelterMonth, TurnAway, UnitStatusChange


def test_history_generator_and_probes_at_tiny_scale(app, session, client, token_for):
    now = utcnow()
    generate(session, now, password="tiny-bench-password", shelters=4, units=20, history_per_unit=4)
    before = session.scalar(select(func.count()).select_from(UnitStatusChange))
    counts = generate_history(
        session,
        now,
        password="tiny-bench-password",
        years=2,
        requests_per_year=120,
        manual_turnaways_per_year=30,
        signals_per_year=20,
        changes_per_unit_year=6,
    )
    session.commit()
    assert counts["requests"] == 240
    assert session.scalar(select(func.count()).select_from(PlacementRequest)) == 240
    turnaways = session.scalar(select(func.count()).select_from(TurnAway))
    assert turnaways == counts["turn_aways"] >= 60
    assert counts["episodes"] <= turnaways
    assert session.scalar(select(func.count()).select_from(UnitStatusChange)) == before + 120
    assert (
        counts["shelter_months"]
        == session.scalar(select(func.count()).select_from(ShelterMonth))
        > 0
    )
    headers = token_for(STATS_EMAIL)
    probes = stats_probes(now)
    assert len(probes) == 5 and all(path.startswith("/api/v1/stats/") for _n, path in probes)
    for _name, path in probes:
        r = client.get(path, headers=headers)
        assert r.status_code == 200, (path, r.json)
        assert r.json["from"] < r.json["to"]
    year = client.get(probes[0][1], headers=headers).json
    assert isinstance(year["totals"]["refusals"], int) and year["totals"]["refusals"] > 0

    # The growth run: 2 more copies of the history, further back; the 12 months unchanged.
    added = grow_history(session, years=2, factor=2)
    session.commit()
    if session.get_bind().dialect.name != "postgresql":
        assert added == 0  # grows on PostgreSQL only (said in the output)
        return
    assert session.scalar(select(func.count()).select_from(PlacementRequest)) == 3 * 240
    assert session.scalar(select(func.count()).select_from(TurnAway)) == 3 * turnaways
    assert added >= 2 * (240 + turnaways)
    again = client.get(probes[0][1], headers=headers).json
    assert again["rows"] == year["rows"] and again["totals"] == year["totals"]


def test_bench_verdicts_give_each_figure_against_the_search_and_its_growth():
    from scripts.bench_stats import verdicts

    search = "search: typical"
    rows = [
        {"probe": search, "per_second": 50.0, "ratio": 0.1},
        {"probe": "stats: requests", "per_second": 10.0, "ratio": 0.02},
        {"probe": "stats: unmet", "per_second": 4.0, "ratio": 0.008},
    ]
    grow = {"after": [{"probe": "stats: requests", "ratio": 0.008}, {"probe": "stats: unmet"}]}
    found = {v["target"]: (v["value"], v["pass"]) for v in verdicts(rows, grow, search)}
    assert found == {
        "stats: requests / typical search (time)": (5.0, True),
        "stats: requests slowdown with 10x history": (2.5, False),
        "stats: unmet / typical search (time)": (12.5, False),
        "stats: unmet slowdown with 10x history": (None, False),
    }
    assert len(verdicts(rows, None, search)) == 2
