"""Per-user generation rate limits (per hour and per day, configurable), refused with the time to wait; the
other settings from the environment, and as JSON for a build worker."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from vaist_lab.service import CurrentUser, InvalidInput, Lab, LabSettings, RateLimited


def test_the_hourly_limit_says_when_to_come_back(lab: Lab, alice: CurrentUser, bob: CurrentUser, clock) -> None:
    assert lab.settings.generations_per_hour == 5
    for _ in range(5):
        lab.reserve_generation(alice)
        clock.advance(minutes=10)
    with pytest.raises(RateLimited, match=r"5 per hour\): try again in 10 min 00 s") as refused:
        lab.reserve_generation(alice)
    assert refused.value.retry_after == timedelta(minutes=10)
    lab.reserve_generation(bob)  # limits are per user
    clock.advance(minutes=9, seconds=59)
    with pytest.raises(RateLimited, match="try again in 1 s"):
        lab.reserve_generation(alice)
    clock.advance(seconds=1)
    lab.reserve_generation(alice)  # the first one has left the window


def test_the_daily_limit_counts_across_hours(lab: Lab, alice: CurrentUser, clock) -> None:
    first = clock()
    for _ in range(8):
        lab.reserve_generation(alice)
        clock.advance(hours=2)
    with pytest.raises(RateLimited, match=r"8 per day\): try again in 8 h 00 min") as refused:
        lab.reserve_generation(alice)
    assert clock() + refused.value.retry_after == first + timedelta(days=1)
    with lab.database.session() as session:
        from vaist_lab.store import User

        row = session.get(User, alice.id)
        assert row.generation_count == 8 and row.last_generation_at == first + timedelta(hours=14)


def test_a_refused_generation_is_not_counted(lab: Lab, alice: CurrentUser, clock) -> None:
    for _ in range(5):
        lab.reserve_generation(alice)
    for _ in range(3):
        with pytest.raises(RateLimited):
            lab.reserve_generation(alice)
    clock.advance(hours=1, seconds=1)
    for _ in range(3):
        lab.reserve_generation(alice)  # the day allows 8 in all: 5 + 3


def test_limits_come_from_the_environment() -> None:
    settings = LabSettings.from_environment(
        {"VAIST_GENERATIONS_PER_HOUR": "unlimited", "VAIST_GENERATIONS_PER_DAY": "50", "VAIST_MAX_PROMPT_CHARS": "100"}
    )
    assert (settings.generations_per_hour, settings.generations_per_day, settings.max_prompt_chars) == (None, 50, 100)
    assert LabSettings.from_environment({}) == LabSettings()
    with pytest.raises(InvalidInput, match="VAIST_GENERATIONS_PER_DAY must be a positive whole number or 'unlimited'"):
        LabSettings.from_environment({"VAIST_GENERATIONS_PER_DAY": "-3"})
    with pytest.raises(InvalidInput, match="VAIST_MAX_REPLY_CHARS must be a positive whole number, not 'lots'"):
        LabSettings.from_environment({"VAIST_MAX_REPLY_CHARS": "lots"})


def test_build_verification_comes_from_the_environment() -> None:
    assert LabSettings().verify_builds
    assert not LabSettings.from_environment({"VAIST_VERIFY_BUILDS": "0"}).verify_builds
    assert LabSettings.from_environment({"VAIST_VERIFY_BUILDS": " Yes "}).verify_builds
    with pytest.raises(InvalidInput, match="VAIST_VERIFY_BUILDS must be 1 or 0, not 'maybe'"):
        LabSettings.from_environment({"VAIST_VERIFY_BUILDS": "maybe"})


def test_settings_travel_to_a_build_worker_as_json() -> None:
    settings = LabSettings(generations_per_day=None, stale_build_after=timedelta(seconds=90), verify_builds=False)
    assert LabSettings.from_json(json.loads(json.dumps(settings.to_json()))) == settings


def test_unlimited_means_unlimited(lab: Lab, alice: CurrentUser) -> None:
    lab.settings = LabSettings(generations_per_hour=None, generations_per_day=None)
    for _ in range(20):
        lab.reserve_generation(alice)
