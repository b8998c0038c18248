"""Turn-away rules without a database: case-reference hashing, windows, local times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from shelterbeds.config import ConfigError, load_settings
from shelterbeds.domain.errors import Invalid
from shelterbeds.domain.turnaways import (
    check_occurred_at,
    household_key,
    lock_id,
    nearest_episode,
    normalise_case_ref,
    resolve_when,
)
from shelterbeds.domain.turnaways import local_to_utc as to_utc

SECRET = "unit-test-secret"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "variant",
    ["ÄR 2026-0042", "är2026-0042", "  Är 2026 - 0042 ", "ÄR\t2026\u20130042", "ＡＲ2026-0042"],
)
def test_case_ref_variants_normalise_alike(variant):
    expected = "är2026-0042" if "Ä" in variant or "ä" in variant else "ar2026-0042"
    assert normalise_case_ref(variant) == expected


def test_normalisation_keeps_meaningful_punctuation():
    assert normalise_case_ref("12/3") != normalise_case_ref("1/23")
    assert normalise_case_ref("A-1") != normalise_case_ref("A1")


def test_same_household_same_key_whatever_the_spelling():
    a = household_key(SECRET, "1880", "SoS 2026/17")
    b = household_key(SECRET, "1880", " sos 2026/17")
    assert a == b
    assert len(a) == 64 and int(a, 16) >= 0


def test_key_depends_on_municipality_reference_and_secret():
    base = household_key(SECRET, "1880", "SoS 2026/17")
    assert household_key(SECRET, "1883", "SoS 2026/17") != base
    assert household_key(SECRET, "1880", "SoS 2026/18") != base
    assert household_key("another-secret", "1880", "SoS 2026/17") != base


def test_key_does_not_contain_the_reference():
    key = household_key(SECRET, "1880", "abc123")
    assert "abc123" not in key and "1880" not in key


def test_key_needs_a_secret_and_a_reference():
    with pytest.raises(ValueError):
        household_key("", "1880", "x")
    with pytest.raises(ValueError):
        household_key(SECRET, "1880", "   ")


def test_lock_id_is_a_signed_32_bit_number():
    assert lock_id("ffffffff" + "0" * 56) == -1
    assert lock_id("7fffffff" + "0" * 56) == 2**31 - 1
    assert lock_id("00000000" + "f" * 56) == 0


def test_occurred_at_limits():
    check_occurred_at(NOW, NOW)
    check_occurred_at(NOW + timedelta(minutes=4), NOW)
    check_occurred_at(NOW - timedelta(days=30), NOW)
    with pytest.raises(Invalid) as future:
        check_occurred_at(NOW + timedelta(minutes=10), NOW)
    assert "occurred_at" in future.value.errors
    with pytest.raises(Invalid):
        check_occurred_at(NOW - timedelta(days=32), NOW)


def test_nearest_episode_within_window_only():
    window = timedelta(hours=72)
    t0 = NOW
    assert nearest_episode([], t0, window) is None
    assert nearest_episode([(1, t0)], t0 + timedelta(hours=71, minutes=59), window) == 1
    assert nearest_episode([(1, t0)], t0 + timedelta(hours=72), window) is None
    # Entered afterwards: a refusal before the episode's first one still belongs to it.
    assert nearest_episode([(1, t0)], t0 - timedelta(hours=10), window) == 1
    # Two candidates: the nearer anchor wins, then the later one.
    assert nearest_episode([(1, t0), (2, t0 + timedelta(hours=80))], t0 + 50 * _H, window) == 2
    assert nearest_episode([(1, t0), (2, t0 + 20 * _H)], t0 + 10 * _H, window) == 2


_H = timedelta(hours=1)


def test_local_time_winter_and_summer():
    assert to_utc(datetime(2026, 1, 15, 12, 0)) == datetime(2026, 1, 15, 11, 0, tzinfo=UTC)
    assert to_utc(datetime(2026, 7, 15, 12, 0)) == datetime(2026, 7, 15, 10, 0, tzinfo=UTC)


def test_local_time_skipped_by_dst_is_rejected():
    with pytest.raises(Invalid) as err:
        to_utc(datetime(2026, 3, 29, 2, 30))
    assert "occurred_at" in err.value.errors


def test_local_time_repeated_by_dst_is_the_first():
    # 02:30 on 25 October 2026 happens twice; the first is still summer time (UTC+2).
    assert to_utc(datetime(2026, 10, 25, 2, 30)) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_resolve_when():
    now = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # 10:00 in Stockholm, the day after DST
    assert resolve_when("now", now) == now
    assert resolve_when("today", now, time(7, 15)) == datetime(2026, 3, 30, 5, 15, tzinfo=UTC)
    # Yesterday was 29 March: 01:30 was still winter time, 23:00 summer time.
    assert resolve_when("yesterday", now, time(1, 30)) == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert resolve_when("yesterday", now, time(23, 0)) == datetime(2026, 3, 29, 21, 0, tzinfo=UTC)
    got = resolve_when("other", now, time(12, 0), date(2026, 3, 1))
    assert got == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
    with pytest.raises(Invalid) as no_time:
        resolve_when("today", now)
    assert "at" in no_time.value.errors
    with pytest.raises(Invalid) as no_day:
        resolve_when("other", now, time(12, 0))
    assert "day" in no_day.value.errors


def test_resolve_when_uses_the_local_date_not_the_utc_date():
    now = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # already 24 November in Stockholm
    assert resolve_when("today", now, time(0, 10)) == datetime(2026, 11, 23, 23, 10, tzinfo=UTC)


def test_episode_key_setting_defaults_to_the_secret_key():
    settings = load_settings({"SHELTERBEDS_SECRET_KEY": "s3cret"})
    assert settings.episode_key == ""
    assert settings.episode_secret == "s3cret"
    own = load_settings({"SHELTERBEDS_SECRET_KEY": "s3cret", "SHELTERBEDS_EPISODE_KEY": "ep"})
    assert own.episode_secret == "ep"


def test_production_without_any_key_fails_fast():
    with pytest.raises(ConfigError):
        load_settings({"SHELTERBEDS_ENV": "production", "SHELTERBEDS_PUBLIC_URL": "https://x"})
    settings = load_settings(
        {
            "SHELTERBEDS_ENV": "production",
            "SHELTERBEDS_PUBLIC_URL": "https://x",
            "SHELTERBEDS_SECRET_KEY": "prod-secret",
        }
    )
    assert settings.episode_secret == "prod-secret"
