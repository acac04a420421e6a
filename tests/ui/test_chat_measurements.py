"""The chat shows each turn's measurements under it: the request with a tick (or a cross) and the fact that
answers it, then what else moved with an arrow, old -> new with units; a first plan its headline facts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vaist_lab.planner import Planner, PlannerSettings
from vaist_lab.service import Lab, LabSettings
from vaist_lab.service.user_lab import UserLab
from vaist_lab.ui.chat import ChatPanel, turn_checks


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UserLab]:
    monkeypatch.delenv("VAIST_DATABASE_URL", raising=False)
    monkeypatch.setenv("VAIST_CACHE_DIR", str(tmp_path / "cache"))
    lab = Lab.open(
        f"sqlite:///{tmp_path / 'lab.db'}",
        data=tmp_path / "data",
        planner=Planner(PlannerSettings()),
        settings=LabSettings(),
    )
    with UserLab(lab, lab.local_user(), owns_lab=True) as user_lab:
        yield user_lab


def test_each_turn_shows_what_was_asked_and_measured(api: UserLab) -> None:
    project = api.create_project("Echo")
    api.chat(project.id, "a warm tape delay", model="offline")
    api.chat(project.id, "darker repeats", model="offline")
    api.chat(project.id, "less fizz", model="offline")  # refused: no plan version, nothing measured
    detail = api.open_project(project.id)
    panel = ChatPanel(lambda _: None, lambda _: None)

    panel.show(detail)

    bubbles = [turn.children[0].value for turn in panel.turns.children]
    first, darker, refused = bubbles[1], bubbles[3], bubbles[5]
    assert "vaist-turn-measured" in first and "repeat spacing 380 ms" in first
    assert "<span>✓</span> you asked “darker repeats”: HF loss per repeat (5 kHz against 500 Hz)" in darker
    assert " dB → " in darker and "vaist-measured-down" in darker  # what else moved, with its arrow
    assert "You asked:" not in darker  # the reply's sentence is shown as the list, not twice
    assert "vaist-turn-measured" not in refused and "could not honour it" in refused


def test_turn_checks_follow_the_plan_history(api: UserLab) -> None:
    project = api.create_project("Room", template="classic-room")
    api.chat(project.id, "bigger", model="offline")
    api.chat(project.id, "wider", model="offline")  # width is at its maximum: refused, no version

    checks = turn_checks(api.open_project(project.id))

    [(version, check)] = checks.items()
    assert version == 2
    assert [(request.words, request.honoured) for request in check.requests] == [("bigger", True)]
