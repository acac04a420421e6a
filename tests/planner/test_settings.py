"""Configuration: model names and keys from settings and the environment, and who answers a turn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from vaist_lab.planner import PlannerConfigError, PlannerSettings, parse_model, resolve_backend
from vaist_lab.planner.providers.base import retry_after_seconds
from vaist_lab.planner.settings import DEFAULT_MODELS


def test_defaults_name_every_providers_model_and_no_keys() -> None:
    settings = PlannerSettings.from_environment({})

    assert settings.default_model == "auto"
    assert {provider: settings.model_for(provider) for provider in DEFAULT_MODELS} == DEFAULT_MODELS
    assert settings.fallback_keys == {} and settings.base_urls == {}


def test_the_environment_overrides_models_urls_keys_and_timings() -> None:
    settings = PlannerSettings.from_environment(
        {
            "VAIST_PLANNER_MODEL": "claude",
            "VAIST_GEMINI_MODEL": "gemini-9-pro",
            "VAIST_OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
            "GEMINI_API_KEY": "plain",
            "VAIST_GEMINI_API_KEY": "vaist",  # the VAIST_ name wins
            "ANTHROPIC_API_KEY": "claude-key",
            "OPENAI_API_KEY": "  ",  # blank: none
            "VAIST_PLANNER_TIMEOUT": "12.5",
            "VAIST_PLANNER_ATTEMPTS": "5",
            "VAIST_PLANNER_BACKOFF": "0.5",
            "VAIST_PLANNER_REPAIRS": "1",
            "VAIST_PLANNER_MAX_TOKENS": "4096",
        }
    )

    assert settings.default_model == "claude" and settings.model_for("gemini") == "gemini-9-pro"
    assert settings.base_urls == {"openai": "http://127.0.0.1:9/v1"}
    assert settings.fallback_keys == {"gemini": "vaist", "anthropic": "claude-key"}
    assert (settings.timeout, settings.attempts, settings.backoff_initial) == (12.5, 5, 0.5)
    assert (settings.repairs, settings.max_output_tokens) == (1, 4096)
    assert "vaist" not in repr(settings)  # keys never printed


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"VAIST_PLANNER_TIMEOUT": "soon"}, "VAIST_PLANNER_TIMEOUT must be seconds"),
        ({"VAIST_PLANNER_ATTEMPTS": "2.5"}, "VAIST_PLANNER_ATTEMPTS must be a whole number"),
        ({"VAIST_PLANNER_ATTEMPTS": "0"}, "attempts must be at least 1"),
        ({"VAIST_PLANNER_REPAIRS": "3"}, "repairs must be 0, 1 or 2"),
    ],
)
def test_bad_settings_are_refused(environment: dict[str, str], message: str) -> None:
    with pytest.raises(PlannerConfigError, match=message):
        PlannerSettings.from_environment(environment)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gemini", ("gemini", "gemini-test")),
        ("Claude", ("anthropic", DEFAULT_MODELS["anthropic"])),
        ("gpt", ("openai", DEFAULT_MODELS["openai"])),
        ("claude-opus-5-5", ("anthropic", "claude-opus-5-5")),
        ("gpt-6.1-sol", ("openai", "gpt-6.1-sol")),
        ("openai:o3", ("openai", "o3")),  # a retired line's name picks no provider alone, but may be asked for
        ("openai:my-fine-tune", ("openai", "my-fine-tune")),
        ("google:gemini-2.5-pro", ("gemini", "gemini-2.5-pro")),
    ],
)
def test_model_names_pick_their_provider(name: str, expected: tuple[str, str]) -> None:
    assert parse_model(name, PlannerSettings(models={"gemini": "gemini-test"})) == expected


@pytest.mark.parametrize("name", ["llama-3", "o3-mini", "o1", "chatgpt-4o-latest"])
def test_an_unknown_model_name_is_refused(name: str) -> None:
    with pytest.raises(PlannerConfigError, match=f"unknown model '{name}'.*provider:model"):
        resolve_backend(name, {}, PlannerSettings())


def test_the_users_key_comes_first_then_the_servers_then_offline() -> None:
    settings = PlannerSettings(fallback_keys={"openai": "server-openai", "anthropic": "server-claude"})

    user = resolve_backend("claude", {"claude": "mine"}, settings)  # a stored provider name may be an alias
    server = resolve_backend("claude", {"openai": "mine"}, settings)
    offline = resolve_backend("gemini", {"openai": "mine"}, settings)

    assert (user.provider, user.api_key, user.key_source) == ("anthropic", "mine", "user")
    assert (server.provider, server.api_key, server.key_source) == ("anthropic", "server-claude", "server")
    assert offline.provider is None and "No Gemini API key" in offline.notice
    assert "mine" not in repr(user)


def test_auto_prefers_any_user_key_to_any_server_key_and_offline_needs_none() -> None:
    settings = PlannerSettings(fallback_keys={"gemini": "server-gemini"})

    assert resolve_backend(None, {"openai": "mine"}, settings).label == f"openai:{DEFAULT_MODELS['openai']}"
    assert resolve_backend(None, {}, settings).key_source == "server"
    assert resolve_backend(None, {}, PlannerSettings()).label == "offline"
    assert resolve_backend("offline", {"openai": "mine"}, settings).label == "offline"


def test_retry_after_reads_milliseconds_seconds_and_dates() -> None:
    in_ten_seconds = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)

    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert 8 <= retry_after_seconds({"retry-after": in_ten_seconds}) <= 10  # type: ignore[operator]
    assert retry_after_seconds({"retry-after": "whenever"}) is None
    assert retry_after_seconds({}) is None
