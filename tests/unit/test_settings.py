"""Settings parsed from the environment: defaults that follow each other, fail-fast rules."""

from __future__ import annotations

import pytest

from shelterbeds.config import ConfigError, load_settings


def test_links_follow_the_port_outside_production(tmp_path):
    env = {"SHELTERBEDS_PORT": "5077", "SHELTERBEDS_INSTANCE_DIR": str(tmp_path)}
    assert load_settings(env).public_url == "http://127.0.0.1:5077"


def test_an_explicit_public_url_wins(tmp_path):
    env = {
        "SHELTERBEDS_PORT": "5077",
        "SHELTERBEDS_PUBLIC_URL": "https://beds.example.org",
        "SHELTERBEDS_INSTANCE_DIR": str(tmp_path),
    }
    assert load_settings(env).public_url == "https://beds.example.org"


def test_production_needs_a_public_url(tmp_path):
    env = {"SHELTERBEDS_ENV": "production", "SHELTERBEDS_SECRET_KEY": "x" * 32}
    with pytest.raises(ConfigError, match="SHELTERBEDS_PUBLIC_URL"):
        load_settings(env)


def test_password_hash_cost_is_checked(tmp_path):
    env = {"SHELTERBEDS_PASSWORD_HASH_TIME_COST": "0", "SHELTERBEDS_INSTANCE_DIR": str(tmp_path)}
    with pytest.raises(ConfigError, match="password hash cost"):
        load_settings(env)
