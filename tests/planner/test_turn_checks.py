"""Every turn measured against the request: which measurement words concern (planner.requests), the verdict
and sentence of a turn (planner.measured), the reply of an offline and of an AI turn, the measured facts and
the last turn's misses in the AI's next request (through the real SDKs against a local wire server), and the
facts in the service's TurnView."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from provider_wire import WIRES, ScriptedServer, Wire, settings_for

from vaist_lab.plan import Plan, parse_plan
from vaist_lab.plan.io import load_template
from vaist_lab.planner import Planner, PlannerSettings, Turn
from vaist_lab.planner.measured import check_turn, provider_notes
from vaist_lab.planner.requests import read_request, requests_in
from vaist_lab.service import Lab, LabSettings
from vaist_lab.service.user_lab import UserLab

KEYS = {"gemini": "AIzaTurnCheck-0123", "anthropic": "sk-ant-turn-check-0123", "openai": "sk-proj-turn-check-0123"}


@pytest.mark.parametrize(
    ("clause", "aspect", "direction", "strength"),
    [
        ("darker", "brightness", -1, 1.0),
        ("darker repeats", "brightness", -1, 1.0),
        ("less bright", "brightness", -1, 1.0),
        ("a lot brighter", "brightness", 1, 2.0),
        ("faster attack", "attack", -1, 1.0),
        ("slower release", "release", 1, 1.0),
        ("faster wobble", "rate", 1, 1.0),
        ("deeper wobble", "depth", 1, 1.0),
        ("a bit less depth", "depth", -1, 0.5),
        ("tighter low end", "low end", -1, 1.0),
        ("tighter", "length", -1, 1.0),
        ("longer tail", "tail", 1, 1.0),
        ("longer", "length", 1, 1.0),
        ("less fizz", "fizz", -1, 1.0),
        ("more squash", "squash", 1, 1.0),
        ("turn the feedback up", "repeats", 1, 1.0),
        ("less intense", "intensity", -1, 1.0),
        ("warmer bass", "low end", 1, 1.0),
    ],
)
def test_words_name_what_they_ask_of_the_sound(clause: str, aspect: str, direction: int, strength: float) -> None:
    request = read_request(clause)

    assert request is not None and (request.aspect.name, request.direction, request.strength) == (
        aspect,
        direction,
        strength,
    )


def test_words_that_ask_nothing_measurable_are_no_request() -> None:
    for clause in ("grid layout", "square wave", "add a mix knob", "set feedback to 60%", "please sing"):
        assert read_request(clause) is None, clause
    assert [request.aspect.name for request in requests_in("darker, longer tail and darker")] == ["brightness", "tail"]


def edited(template: str, changes: dict[str, float]) -> tuple[Plan, Plan]:
    before = load_template(template)
    data = before.to_json_dict()
    for parameter in data["parameters"]:
        parameter["default"] = changes.get(parameter["name"], parameter["default"])
    return before, parse_plan(data)


def test_a_turn_says_what_was_asked_and_what_was_measured() -> None:
    before, darker = edited("tape-echo", {"tone": 2000.0})

    check = check_turn(before, darker, "darker repeats")

    [request] = check.requests
    assert request.verdict == "honoured" and request.fact is not None
    assert request.fact.quantity == "echo.hf_loss_per_repeat_db" and request.fact.new > request.fact.old
    assert request.sentence().startswith("You asked: darker repeats -> measured: each repeat loses ")
    assert f"(was {request.fact.old:.1f} dB)" in request.sentence()
    assert check.facts[0] is request.fact and check.facts[0].honoured
    assert all(fact.change != 0 for fact in check.facts)  # the others shown moved by their margin


def test_a_plan_that_moves_the_wrong_way_or_not_at_all_is_said_so() -> None:
    before, brighter = edited("tape-echo", {"tone": 6000.0})
    _, louder_only = edited("tape-echo", {"mix": 36.0})

    wrong = check_turn(before, brighter, "darker").requests[0]
    still = check_turn(before, louder_only, "darker").requests[0]
    unmeasured = check_turn(before, brighter, "faster attack").requests[0]

    assert wrong.verdict == "wrong way" and "moved the wrong way" in wrong.sentence()
    assert still.verdict == "not achieved" and "not achieved" in still.sentence()
    assert unmeasured.verdict == "not measured" and unmeasured.fact is None
    assert "no measurement of this plan covers attack" in unmeasured.sentence()


def test_a_first_plan_states_its_headline_measurements() -> None:
    check = check_turn(None, load_template("glue-bus"), "a glue compressor")

    assert check.requests == ()
    assert {fact.quantity for fact in check.facts} >= {"compressor.gain_reduction_db", "compressor.attack_ms"}
    assert check.lines()[0].startswith("Measured: ")


def test_an_offline_turn_replies_with_the_measured_answer_to_the_request() -> None:
    planner = Planner(PlannerSettings())
    plan = load_template("glue-bus")

    result = planner.turn("more squash", current=plan)

    assert result.ok and result.check is not None
    assert "You asked: more squash -> measured: it turns a -10 dBFS sine down by" in result.reply
    [request] = result.check.requests
    assert request.honoured and request.fact is not None and request.fact.new > request.fact.old


def test_an_offline_request_that_no_edit_can_honour_is_refused_with_the_reason() -> None:
    result = Planner(PlannerSettings()).turn("less fizz", current=load_template("tape-echo"))

    assert not result.ok and result.current == load_template("tape-echo")
    assert "could not honour it" in result.reply and "so I left it" in result.reply


@pytest.fixture(params=WIRES, ids=[wire.provider for wire in WIRES])
def wire(request: pytest.FixtureRequest) -> Wire:
    return request.param


def test_the_ai_is_told_the_measurements_and_what_its_last_plan_did_not_do(
    wire: Wire, server: ScriptedServer, echo_plan: dict[str, Any]
) -> None:
    planner = Planner(settings_for(wire, server))
    keys = {wire.provider: KEYS[wire.provider]}
    history = [Turn("user", "a tape echo"), Turn("assistant", "TapeEcho", echo_plan)]
    brighter = {**echo_plan, "parameters": [dict(p) for p in echo_plan["parameters"]]}
    next(p for p in brighter["parameters"] if p["name"] == "tone")["default"] = 6000
    server.queue(wire.plan(brighter))  # asked for darker repeats, the model makes them brighter

    missed = planner.turn(
        "darker repeats", current=parse_plan(echo_plan), history=history, model=wire.provider, api_keys=keys
    )

    assert missed.ok and "You asked: darker repeats -> moved the wrong way: each repeat loses" in missed.reply
    history += [Turn("user", "darker repeats"), Turn("assistant", missed.reply, brighter)]
    server.queue(wire.plan(echo_plan))

    planner.turn("try again", current=missed.plan, history=history, model=wire.provider, api_keys=keys)

    sent = wire.last_user_text(server.requests[-1])
    assert "Measured on the current plan (its NumPy reference model at the defaults, 48 kHz):" in sent
    assert "- repeat spacing: 380 ms" in sent
    assert "Your last plan did not do what the musician asked:" in sent
    assert "they said 'darker repeats', so HF loss per repeat (5 kHz against 500 Hz) should rise" in sent
    assert sent.rstrip().endswith("keep what the feedback does not ask to change.")


def test_provider_notes_leave_out_the_misses_when_the_last_turn_did_its_job() -> None:
    before, darker = edited("tape-echo", {"tone": 2000.0})
    history = [
        Turn("user", "a tape echo"),
        Turn("assistant", "TapeEcho", before.to_json_dict()),
        Turn("user", "darker"),
        Turn("assistant", "darker", darker.to_json_dict()),
    ]

    notes = provider_notes(darker, history)

    assert "HF loss per repeat (5 kHz against 500 Hz):" in notes and "did not do" not in notes


@pytest.fixture
def user_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UserLab]:
    monkeypatch.delenv("VAIST_DATABASE_URL", raising=False)
    monkeypatch.setenv("VAIST_CACHE_DIR", str(tmp_path / "cache"))
    lab = Lab.open(
        f"sqlite:///{tmp_path / 'lab.db'}",
        data=tmp_path / "data",
        planner=Planner(PlannerSettings()),
        settings=LabSettings(),
    )
    with UserLab(lab, lab.local_user(), owns_lab=True) as api:
        yield api


def test_the_chat_turn_view_carries_the_measured_facts(user_lab: UserLab) -> None:
    project = user_lab.create_project("Room", template="classic-room")

    turn = user_lab.chat(project.id, "longer tail", model="offline")

    assert turn.ok
    asked = [fact for fact in turn.measurements if fact.asked]
    assert [(fact.quantity, fact.honoured) for fact in asked] == [("reverb.rt60_s", True)]
    assert asked[0].new is not None and asked[0].old is not None and asked[0].new > asked[0].old
    assert json.dumps([fact.__dict__ for fact in turn.measurements])  # plain data
