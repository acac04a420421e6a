"""A user's API key never shows: with a recognisable key, every failure kind is driven through the real SDK
clients at the wire servers (turns, key tests, models lists, the `keys test` command), and the key's text is
in no exception, no log record at DEBUG (httpx's, the SDKs' and ours), no TurnView, KeyCheck or model
choice, and no output of the command line. One server quotes the key it refused whole, as no real API does
but a misbehaving proxy might: that must not pass it on either."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from provider_wire import FAILURES, WIRES, Action, ScriptedServer, Wire, after, reset, settings_for

from vaist_lab.cli.app import main
from vaist_lab.planner import Planner
from vaist_lab.planner.providers import ProviderFault, make_provider
from vaist_lab.service import Lab
from vaist_lab.service.user_lab import UserLab

SECRET = "SECRET-0123456789-abcdefghij"
# Each provider's key, with its documented prefix so that it is sent (and the secret part after it).
KEYS = {"gemini": f"AIza{SECRET}", "anthropic": f"sk-ant-{SECRET}", "openai": f"sk-proj-{SECRET}"}
by_provider = pytest.mark.parametrize("wire", WIRES, ids=lambda wire: wire.provider)
# Every fault goes through the provider calls above; through the service, the kinds whose texts differ
# (each call there builds a client, which for Gemini costs a TLS set-up of a quarter second).
TURN_FAULTS = ("auth", "echoed key", "not_found", "quota", "down", "reset", "refusal", "empty plan")
KEY_AND_LIST_FAULTS = ("auth", "echoed key", "down")


def faults(wire: Wire, plan: dict[str, Any]) -> dict[str, Action]:
    """Every way a request can fail, as the server answers it."""
    return {
        **{kind: wire.failure(kind) for kind in FAILURES},
        "echoed key": wire.echoing_failure(),
        "refusal": wire.refusal(),
        "non-json": wire.non_json(),
        "truncated": wire.truncated(plan),
        "empty plan": wire.plan({}),
        "reset": reset,
        "timeout": after(1.0, wire.answer()),
    }


@pytest.fixture
def everything_said(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """Collects every text a failure produced; at the end, every log record (at DEBUG, every logger) joins it,
    and none may hold the secret."""
    caplog.set_level(logging.DEBUG)
    said: list[str] = []
    yield said
    for record in caplog.records:
        said.append(record.getMessage())
        if record.exc_info:
            said.append("".join(traceback.format_exception(*record.exc_info)))
    assert len(said) >= 5
    leaks = [text for text in said if SECRET in text]
    assert leaks == []


def exception_text(error: BaseException) -> str:
    return f"{error}\n{error!r}\n" + "".join(traceback.format_exception(error))


@by_provider
def test_no_exception_or_log_of_the_provider_calls_holds_the_key(
    wire: Wire, server: ScriptedServer, echo_plan: dict[str, Any], everything_said: list[str]
) -> None:
    settings = settings_for(wire, server, timeout=0.3, attempts=1)
    provider = make_provider(wire.provider, wire.model, KEYS[wire.provider], settings)  # type: ignore[arg-type]
    calls: dict[str, Callable[[], Any]] = {
        "propose": lambda: provider.propose(_conversation()),
        "list_models": provider.list_models,
        "probe": provider.probe,
    }
    for name, call in calls.items():
        for kind, action in faults(wire, echo_plan).items():
            if name != "propose" and kind in ("refusal", "non-json", "truncated", "empty plan"):
                continue  # a plan's faults: a list or a probe reads no plan
            server.queue(action)
            try:
                call()
            except ProviderFault as fault:
                everything_said.append(exception_text(fault))
            else:
                assert name == "propose" and kind == "empty plan", (name, kind)


def _conversation() -> Any:
    from vaist_lab.planner.providers import Conversation, Message

    return Conversation("Plan an effect.", (Message("user", "a warm tape echo"),))


@pytest.fixture
def user_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Wire, ScriptedServer], UserLab]]:
    monkeypatch.delenv("VAIST_DATABASE_URL", raising=False)
    monkeypatch.setenv("VAIST_CACHE_DIR", str(tmp_path / "cache"))
    opened: list[Lab] = []

    def open_lab(wire: Wire, server: ScriptedServer) -> UserLab:
        settings = settings_for(wire, server, timeout=0.3, attempts=1)
        lab = Lab.open(f"sqlite:///{tmp_path / 'lab.db'}", data=tmp_path / "data", planner=Planner(settings))
        opened.append(lab)
        return UserLab(lab, lab.local_user())

    yield open_lab
    for lab in opened:
        lab.close()


@by_provider
def test_no_turn_key_check_or_model_choice_holds_the_key(
    wire: Wire,
    server: ScriptedServer,
    echo_plan: dict[str, Any],
    user_lab: Callable[[Wire, ScriptedServer], UserLab],
    everything_said: list[str],
) -> None:
    api = user_lab(wire, server)
    api.set_api_key(wire.provider, KEYS[wire.provider])
    project = api.create_project("Echo", template="tape-echo")
    for kind in TURN_FAULTS:
        action = faults(wire, echo_plan)[kind]
        server.queue(action, action)  # repairs ask again after an invalid plan
        turn = api.chat(project.id, "darker", model=wire.provider)
        assert not turn.ok and turn.project.plan_version == project.plan_version, kind
        everything_said += [turn.reply, turn.error or "", repr(turn)]
        server.script.clear()
        if kind not in KEY_AND_LIST_FAULTS:  # the other kinds are a plan's; their texts are the turn's above
            continue
        server.queue(action)
        check = api.test_api_key(wire.provider)
        everything_said += [check.message, repr(check)]
        server.queue(action)
        api.set_api_key(wire.provider, KEYS[wire.provider])  # a fresh list each time
        everything_said += [repr(choice) for choice in api.models()]
        server.script.clear()
    other = next(name for name in KEYS if name != wire.provider)
    api.set_api_key(wire.provider, KEYS[other])  # another provider's key: caught, never sent
    everything_said += [
        api.chat(project.id, "darker", model=wire.provider).reply,
        api.test_api_key(wire.provider).message,
    ]
    assert api.api_keys()[0].hint not in (KEYS[wire.provider], KEYS[other])


def test_the_command_line_never_prints_a_key(
    server: ScriptedServer, tmp_path: Path, everything_said: list[str]
) -> None:
    environment = {
        "VAIST_DATA_DIR": str(tmp_path / "data"),
        "VAIST_CACHE_DIR": str(tmp_path / "cache"),
        "VAIST_DATABASE_URL": "",
        "VAIST_PLANNER_TIMEOUT": "0.3",
        **dict.fromkeys(["GEMINI_API_KEY", "GOOGLE_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"], ""),
    }
    for wire in WIRES:
        prefix = f"VAIST_{wire.provider.upper()}"
        environment |= {f"{prefix}_BASE_URL": wire.base_url(server), f"{prefix}_MODEL": wire.model}
    runner = CliRunner()
    for wire in WIRES:
        stored = runner.invoke(main, ["keys", "set", wire.provider, "--key", KEYS[wire.provider]], env=environment)
        everything_said.append(stored.output)
    for kind in ("auth", "echoed key", "down"):
        for wire in WIRES:
            server.queue(faults(wire, {})[kind])
        tested = runner.invoke(main, ["keys", "test"], env=environment)
        assert tested.exit_code == 1 and len(tested.output.splitlines()) == 3, tested.output
        everything_said.append(tested.output)
    listed = runner.invoke(main, ["keys", "list"], env=environment)
    assert listed.exit_code == 0 and len(listed.output.splitlines()) == 3
    everything_said.append(listed.output)
