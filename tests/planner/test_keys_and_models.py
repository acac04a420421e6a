"""The real SDK clients against the local wire servers for what is not a plan: each provider's models list
(filtered to the models that can plan, without deprecated ones), the key test (`check_key`, `vaist-lab keys
test`, `LabApi.test_api_key`) with every failure kind told apart, the model picker's choices with their cache
and fallback, and the turns that must not leave with a key or must say plainly what is wrong."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from provider_wire import FAILURES, WIRES, ScriptedServer, Wire, reset, settings_for

from vaist_lab.cli.app import main
from vaist_lab.plan import parse_plan
from vaist_lab.planner import Planner, PlannerSettings
from vaist_lab.planner.keys import check_key
from vaist_lab.planner.providers import ProviderFault, make_provider
from vaist_lab.service import Lab
from vaist_lab.service.user_lab import UserLab

by_provider = pytest.mark.parametrize("wire", WIRES, ids=lambda wire: wire.provider)
WIRE = {wire.provider: wire for wire in WIRES}
# A key each provider would take by its prefix (and a recognisable one for the others' prefixes).
KEYS = {"gemini": "AIzaTestKey-0123456789", "anthropic": "sk-ant-test-0123456789", "openai": "sk-proj-test-0123456789"}

# What each provider lists (in the order it sends them), and what of it can plan.
LISTED: dict[str, tuple[list[str], list[str]]] = {
    "gemini": (
        [
            "gemini-4-argon",
            "gemini-3.8-flash",
            "gemini-3.8-flash-tts",  # speech
            "gemini-embedding-2",  # embedContent only
            "gemini-2.5-flash",  # deprecated
            "gemma-4-31b-it",  # no JSON mode
            "gemini-3.5-flash-lite",
        ],
        ["gemini-4-argon", "gemini-3.8-flash", "gemini-3.5-flash-lite"],
    ),
    "anthropic": (
        ["claude-fable-5-2", "claude-sonnet-5-5", "claude-opus-5-5", "claude-sonnet-4-5", "claude-haiku-5-5"],
        ["claude-fable-5-2", "claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5"],
    ),
    "openai": (
        [
            "gpt-6.2-sol",
            "gpt-6.1-sol",
            "gpt-realtime",
            "gpt-6-astra",
            "gpt-4o-mini-tts",
            "gpt-4.1-mini",  # deprecated
            "o3",  # deprecated
            "text-embedding-3-large",
            "gpt-5.5-pro",  # Responses only
            "ft:gpt-4o-mini:acme::abc123",
            "gpt-5.6-terra",
            "gpt-4-turbo",  # before GPT-4o: no structured outputs
        ],
        ["gpt-6.2-sol", "gpt-6.1-sol", "gpt-6-astra", "gpt-5.6-terra"],
    ),
}
EXPECTED_KIND = {
    "auth": "auth",
    "not_found": "not_found",
    "quota": "quota",
    "rate_limit": "rate_limit",
    "down": "unreachable",
}
EXPECTED_LINE = {
    "auth": "wrong key:",
    "not_found": "unknown model:",
    "quota": "no quota:",
    "rate_limit": "rate-limited:",
    "down": "is down or out of reach",
}


@by_provider
def test_the_models_list_keeps_the_models_that_can_plan(wire: Wire, server: ScriptedServer) -> None:
    listed, usable = LISTED[wire.provider]
    server.queue(wire.models(listed))

    models = make_provider(wire.provider, wire.model, KEYS[wire.provider], settings_for(wire, server)).list_models()

    assert models == usable
    [request] = server.requests
    assert request.method == "GET" and request.path.split("?")[0] == wire.list_path
    assert wire.key(request) == KEYS[wire.provider]


def test_claude_asks_for_active_models_only(server: ScriptedServer) -> None:
    wire = WIRE["anthropic"]
    server.queue(wire.models(["claude-sonnet-5-5"]))

    make_provider("anthropic", wire.model, KEYS["anthropic"], settings_for(wire, server)).list_models()

    query = parse_qs(urlsplit(server.requests[0].path).query)
    assert query["lifecycle[]"] == ["active"]  # the SDK's spelling of a list parameter


@by_provider
def test_a_failed_models_list_is_a_fault_of_its_kind(wire: Wire, server: ScriptedServer) -> None:
    provider = make_provider(wire.provider, wire.model, KEYS[wire.provider], settings_for(wire, server))
    kinds = []
    for failure in FAILURES:
        server.queue(wire.failure(failure))
        with pytest.raises(ProviderFault) as raised:
            provider.list_models()
        kinds.append(raised.value.kind)

    assert kinds == ["auth", "not_found", "quota", "rate_limit", "server_error"]


@by_provider
def test_a_working_key_answers_ok_with_its_time(wire: Wire, server: ScriptedServer) -> None:
    server.queue(wire.answer())

    result = check_key(wire.provider, KEYS[wire.provider], settings_for(wire, server))  # type: ignore[arg-type]

    assert result.ok and result.kind == "ok" and result.model == wire.model
    assert result.message.startswith(f"ok: {wire.model} answered in ") and result.message.endswith(" s")
    [request] = server.requests
    assert wire.path_ok(request) and wire.key(request) == KEYS[wire.provider]


@by_provider
@pytest.mark.parametrize("failure", FAILURES)
def test_each_failure_of_a_key_test_is_told_apart_in_one_line(wire: Wire, failure: str, server: ScriptedServer) -> None:
    server.queue(wire.failure(failure))

    result = check_key(wire.provider, KEYS[wire.provider], settings_for(wire, server))  # type: ignore[arg-type]

    assert not result.ok and result.kind == EXPECTED_KIND[failure]
    assert EXPECTED_LINE[failure] in result.message and "\n" not in result.message
    assert len(server.requests) == 1  # one request, never retried


@by_provider
@pytest.mark.parametrize("fault", ["reset", "nothing listening"])
def test_a_provider_out_of_reach_is_said_so(wire: Wire, fault: str, server: ScriptedServer) -> None:
    server.queue(reset)
    settings = settings_for(wire, server)
    if fault == "nothing listening":
        settings = PlannerSettings(base_urls={wire.provider: "http://127.0.0.1:9"}, models={wire.provider: wire.model})

    result = check_key(wire.provider, KEYS[wire.provider], settings)  # type: ignore[arg-type]

    assert result.kind == "unreachable" and "is down or out of reach" in result.message


@by_provider
def test_another_providers_key_is_caught_by_its_prefix_and_never_sent(wire: Wire, server: ScriptedServer) -> None:
    other = next(name for name in KEYS if name != wire.provider)

    result = check_key(wire.provider, KEYS[other], settings_for(wire, server))  # type: ignore[arg-type]

    assert result.kind == "wrong_provider" and "nothing was sent" in result.message
    assert server.requests == []


@pytest.mark.filterwarnings("ignore:The model 'claude-sonnet-4-5' is deprecated:DeprecationWarning")
@pytest.mark.parametrize(
    ("provider", "retired"),
    [("gemini", "gemini-2.5-flash"), ("anthropic", "claude-sonnet-4-5"), ("openai", "gpt-4.1-mini")],
)
def test_a_deprecated_model_that_still_answers_is_flagged(provider: str, retired: str, server: ScriptedServer) -> None:
    wire = WIRE[provider]
    server.queue(wire.answer())

    result = check_key(provider, KEYS[provider], settings_for(wire, server, models={provider: retired}))  # type: ignore[arg-type]

    assert result.kind == "deprecated" and not result.ok
    assert f"{retired} answered, but it is deprecated" in result.message


# -- turns --------------------------------------------------------------------------------------------------


@by_provider
def test_a_turn_with_another_providers_key_sends_nothing_and_keeps_the_plan(
    wire: Wire, server: ScriptedServer, echo_plan: dict[str, Any]
) -> None:
    other = next(name for name in KEYS if name != wire.provider)
    previous = parse_plan(echo_plan)

    result = Planner(settings_for(wire, server)).turn(
        "darker", current=previous, model=wire.provider, api_keys={wire.provider: KEYS[other]}
    )

    assert not result.ok and result.current is previous and server.requests == []
    assert result.reply.startswith("Not sent: your ") and "key looks like" in result.reply
    assert result.reply.endswith("The plan is unchanged.") and "\n" not in result.reply


@by_provider
@pytest.mark.parametrize(("failure", "said"), [("not_found", "has no model"), ("quota", "no quota or credit left")])
def test_an_unknown_model_or_a_spent_quota_ends_the_turn_at_once(
    wire: Wire, failure: str, said: str, server: ScriptedServer, echo_plan: dict[str, Any]
) -> None:
    server.queue(*[wire.failure(failure)] * 3)
    previous = parse_plan(echo_plan)

    result = Planner(settings_for(wire, server)).turn(
        "darker", current=previous, model=wire.provider, api_keys={wire.provider: KEYS[wire.provider]}
    )

    assert not result.ok and result.current is previous and len(server.requests) == 1
    assert said in result.reply and result.reply.endswith("The plan is unchanged.")


@by_provider
def test_an_empty_plan_is_sent_back_and_then_refused_with_the_plan_kept(
    wire: Wire, server: ScriptedServer, echo_plan: dict[str, Any]
) -> None:
    server.queue(*[wire.plan({})] * 3)
    previous = parse_plan(echo_plan)

    result = Planner(settings_for(wire, server)).turn(
        "darker", current=previous, model=wire.provider, api_keys={wire.provider: KEYS[wire.provider]}
    )

    assert not result.ok and result.current is previous
    assert "still invalid after 2 correction(s)" in result.reply and "pluginName" in result.reply


# -- the service, the CLI ---------------------------------------------------------------------------------


@pytest.fixture
def lab_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[PlannerSettings], UserLab]]:
    monkeypatch.delenv("VAIST_DATABASE_URL", raising=False)
    monkeypatch.setenv("VAIST_CACHE_DIR", str(tmp_path / "cache"))
    opened: list[Lab] = []

    def open_lab(settings: PlannerSettings) -> UserLab:
        lab = Lab.open(f"sqlite:///{tmp_path / 'lab.db'}", data=tmp_path / "data", planner=Planner(settings))
        opened.append(lab)
        return UserLab(lab, lab.local_user())

    yield open_lab
    for lab in opened:
        lab.close()


@by_provider
def test_the_picker_lists_the_providers_models_for_the_users_key_and_reuses_the_list(
    wire: Wire, server: ScriptedServer, lab_for: Callable[[PlannerSettings], UserLab]
) -> None:
    api = lab_for(settings_for(wire, server))
    listed, usable = LISTED[wire.provider]
    assert server.requests == [] and [choice.has_key for choice in api.models()] == [True, False, False, False]

    api.set_api_key(wire.provider, KEYS[wire.provider])
    server.queue(wire.models(listed))
    first, again = api.models(), api.models()

    offered = [choice.value for choice in first if choice.provider == wire.provider]
    assert offered == [f"{wire.provider}:{model}" for model in [wire.model, *usable]]  # the configured model first
    assert all(choice.has_key and not choice.note for choice in first if choice.provider == wire.provider)
    assert again == first and len(server.requests) == 1  # cached
    api.set_api_key(wire.provider, KEYS[wire.provider])  # a new key: listed anew
    server.queue(wire.models(listed[:1]))
    assert len([choice for choice in api.models() if choice.provider == wire.provider]) == 2
    assert len(server.requests) == 2


@by_provider
def test_when_listing_fails_the_picker_offers_the_configured_model_with_a_note(
    wire: Wire, server: ScriptedServer, lab_for: Callable[[PlannerSettings], UserLab]
) -> None:
    api = lab_for(settings_for(wire, server))
    api.set_api_key(wire.provider, KEYS[wire.provider])
    server.queue(wire.failure("auth"))

    [choice] = [choice for choice in api.models() if choice.provider == wire.provider]

    assert choice.value == f"{wire.provider}:{wire.model}" and choice.has_key
    assert "could not be listed" in choice.note and "the API key was refused" in choice.note


@by_provider
def test_the_service_tests_the_users_key_and_says_when_there_is_none(
    wire: Wire, server: ScriptedServer, lab_for: Callable[[PlannerSettings], UserLab]
) -> None:
    api = lab_for(settings_for(wire, server))
    none = api.test_api_key(wire.provider)
    api.set_api_key(wire.provider, KEYS[wire.provider])
    server.queue(wire.failure("quota"))

    check = api.test_api_key(wire.provider)

    assert (
        (none.kind, none.ok) == ("no_key", False) and none.message.startswith("no key:") and server.requests[1:] == []
    )
    assert (check.provider, check.model, check.kind) == (wire.provider, wire.model, "quota")


def test_keys_test_on_the_command_line(server: ScriptedServer, tmp_path: Path) -> None:
    gemini, claude = WIRE["gemini"], WIRE["anthropic"]
    environment = {
        "VAIST_DATA_DIR": str(tmp_path / "data"),
        "VAIST_CACHE_DIR": str(tmp_path / "cache"),
        "VAIST_DATABASE_URL": "",
        "VAIST_GEMINI_BASE_URL": gemini.base_url(server),
        "VAIST_GEMINI_MODEL": gemini.model,
        "VAIST_ANTHROPIC_BASE_URL": claude.base_url(server),
        "VAIST_ANTHROPIC_MODEL": claude.model,
        **dict.fromkeys(["GEMINI_API_KEY", "GOOGLE_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"], ""),
    }
    runner = CliRunner()
    for provider, key in (("gemini", KEYS["gemini"]), ("claude", KEYS["anthropic"])):
        stored = runner.invoke(main, ["keys", "set", provider, "--key", key], env=environment)
        assert stored.exit_code == 0 and key not in stored.output, stored.output
    server.queue(gemini.answer(), claude.failure("auth"))

    both = runner.invoke(main, ["keys", "test"], env=environment)
    server.queue(gemini.answer())
    one = runner.invoke(main, ["keys", "test", "gemini"], env=environment)
    nothing = runner.invoke(main, ["keys", "test", "openai"], env=environment)
    unknown = runner.invoke(main, ["keys", "test", "llama"], env=environment)

    gemini_line, claude_line = both.output.splitlines()
    assert both.exit_code == 1
    assert gemini_line.startswith(f"gemini: ok: {gemini.model} answered in ") and gemini_line.endswith(" s")
    assert claude_line == "anthropic: wrong key: Claude refused it (the API key was refused (401): invalid x-api-key)"
    assert one.exit_code == 0 and one.output.startswith("gemini: ok: ")
    assert nothing.exit_code == 1 and nothing.output.startswith("openai: no key:")
    assert (
        unknown.exit_code == 1 and "'llama' is not a provider" in unknown.output and "Traceback" not in unknown.output
    )
