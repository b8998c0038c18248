"""Pure rules of the SMS feature: active hours, phones, Twilio signatures, DST-safe nudges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shelterbeds.config import ConfigError, Settings, load_settings, parse_local_times
from shelterbeds.domain.active_hours import is_active
from shelterbeds.jobs import job_table
from shelterbeds.notifications.phones import mask, to_e164
from shelterbeds.notifications.twilio_sender import signature_is_valid


def test_twilio_published_signature_vector():
    """Twilio's documented example. The brief quoted it as '...nDvU='; twilio's own
    RequestValidator (and Twilio's docs) give '...nDgQ=', so the brief's value must fail."""
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert signature_is_valid("12345", url, params, good)
    assert not signature_is_valid("12345", url, params, "0/KCTR6DLpKmkAf8muzZqo1nDvU=")
    assert not signature_is_valid("12345", url, {**params, "Digits": "1235"}, good)
    assert not signature_is_valid("12345", url.replace("bar=2", "bar=3"), params, good)
    assert not signature_is_valid("54321", url, params, good)
    assert not signature_is_valid("", url, params, good)
    assert not signature_is_valid("12345", url, params, None)


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 11, 23, 22, 0, tzinfo=UTC), True),  # 23:00 local
        (datetime(2026, 11, 23, 6, 59, tzinfo=UTC), True),  # 07:59 local
        (datetime(2026, 11, 23, 7, 0, tzinfo=UTC), False),  # 08:00 local
        (datetime(2026, 11, 23, 16, 59, tzinfo=UTC), False),  # 17:59 local
        (datetime(2026, 11, 23, 17, 0, tzinfo=UTC), True),  # 18:00 local
        (datetime(2026, 7, 1, 16, 30, tzinfo=UTC), True),  # 18:30 CEST
        (datetime(2026, 7, 1, 15, 30, tzinfo=UTC), False),  # 17:30 CEST
    ],
)
def test_active_hours_across_midnight(utc, expected):
    assert is_active("18:00", "08:00", utc) is expected


def test_active_hours_daytime_and_always():
    noon = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    assert is_active("08:00", "17:00", noon)
    assert not is_active("13:00", "17:00", noon)
    assert is_active(None, None, noon)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("070-123 45 67", "+46701234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("0046701234567", "+46701234567"),
    ],
)
def test_phone_normalisation(raw, e164):
    assert to_e164(raw) == e164


@pytest.mark.parametrize("raw", ["", "abc", "123", "070-123"])
def test_phone_rejects_junk(raw):
    with pytest.raises(ValueError):
        to_e164(raw)


def test_mask_hides_the_middle():
    assert mask("+46701234567") == "+46******567"


def test_nudge_times_setting():
    assert parse_local_times("08:00, 19:30") == [(8, 0), (19, 30)]
    with pytest.raises(ConfigError):
        load_settings({"SHELTERBEDS_STALE_NUDGE_TIMES": "8am"})
    with pytest.raises(ConfigError):
        load_settings({"SHELTERBEDS_STALE_NUDGE_TIMES": "25:00"})
    assert load_settings({"SHELTERBEDS_OUTBOX_MAX_ATTEMPTS": "7"}).outbox_max_attempts == 7


def _fires(trigger, start, end):
    fires, prev, now = [], None, start
    while True:
        nxt = trigger.get_next_fire_time(prev, now)
        if nxt is None or nxt > end:
            return fires
        fires.append(nxt.astimezone(UTC))
        prev, now = nxt, nxt


@pytest.mark.parametrize(
    ("days", "expected_utc_hours"),
    [
        # Spring forward on 2026-03-29: 08:00 CET = 07:00 UTC, then 08:00 CEST = 06:00 UTC.
        ((datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC)), [7, 7, 6, 6]),
        # Fall back on 2026-10-25: 08:00 CEST = 06:00 UTC, then 08:00 CET = 07:00 UTC.
        ((datetime(2026, 10, 23, tzinfo=UTC), datetime(2026, 10, 27, tzinfo=UTC)), [6, 6, 7, 7]),
    ],
)
def test_stale_nudge_fires_once_a_day_at_0800_local_across_dst(days, expected_utc_hours):
    settings = Settings(stale_nudge_times="08:00")
    [nudge] = [j for j in job_table(settings) if j.id.startswith("nudge_stale_shelters")]
    assert nudge.args == ("08:00",)
    fires = _fires(nudge.trigger, *days)
    assert [f.hour for f in fires] == expected_utc_hours
    assert len({f.date() for f in fires}) == len(fires)  # once per day
    assert all(f.minute == 0 for f in fires)


def test_job_table_has_the_outbox_sweep():
    ids = [j.id for j in job_table(Settings(stale_nudge_times="08:00,19:00"))]
    assert ids == [
        "send_outbox",
        "nudge_stale_shelters@08:00",
        "nudge_stale_shelters@19:00",
        "expire_holds",
        "remind_half_held",
        "remind_reviews",
        "roll_up_statistics",
        "anonymise_expired",
    ]


def test_file_leader_lock_is_exclusive_and_held_across_threads(tmp_path):
    import threading

    from shelterbeds.jobs.leader import FileLeaderLock

    a, b = FileLeaderLock(tmp_path / "db.lock"), FileLeaderLock(tmp_path / "db.lock")
    assert a.try_acquire()
    assert not b.try_acquire()
    seen: list[bool] = []
    # The scheduler checks leadership from a worker thread.
    t = threading.Thread(target=lambda: seen.append(a.still_held()))
    t.start()
    t.join()
    assert seen == [True]
    a.release()
    assert b.try_acquire()
    b.release()
