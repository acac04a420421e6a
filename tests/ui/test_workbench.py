"""The workbench over a real in-process lab (SQLite, the offline planner): the whole loop a user clicks
through, without a browser. The browser tests (tests/browser) click the same things in Chromium."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from vaist_lab.build.base import Builder
from vaist_lab.build.events import BuildEvent, BuildFinished, Level, LogEvent, ProgressEvent, Source
from vaist_lab.codegen.project import GeneratedProject
from vaist_lab.service import Lab, LabSettings
from vaist_lab.service.status import APPROVED, FAILED
from vaist_lab.service.user_lab import UserLab
from vaist_lab.ui import Workbench


@pytest.fixture
def workbench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workbench]:
    monkeypatch.setenv("VAIST_PLANNER_MODEL", "offline")
    monkeypatch.setenv("VAIST_SECRET_KEY", "x" * 32)
    for provider in ("GEMINI", "ANTHROPIC", "OPENAI"):  # a saved key lists models: nowhere that listens
        monkeypatch.setenv(f"VAIST_{provider}_BASE_URL", "http://127.0.0.1:9")
    lab = Lab.open(data=tmp_path / "data", work_root=tmp_path / "builds", build_roots=[])
    bench = Workbench(api=UserLab(lab, lab.local_user(), owns_lab=True))
    settle(bench)
    yield bench
    bench.state.api.close()  # type: ignore[attr-defined]


def settle(bench: Workbench, until: Callable[[], bool] = lambda: True, timeout: float = 30.0) -> None:
    """Wait until every background action, plot and render has landed, and `until()` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bench.state.actions.wait_idle(timeout)
        if bench.responses.wait_idle(timeout) and bench.listen.wait_idle(timeout) and until():
            bench.state.actions.wait_idle(timeout)
            return
        time.sleep(0.05)
    raise AssertionError("the workbench did not settle")


def create_from_words(bench: Workbench, prompt: str) -> None:
    bench.dashboard.prompt.value = prompt
    bench.dashboard.create.click()
    settle(bench, lambda: bench.state.detail is not None and bench.state.plan is not None)


def test_words_become_a_plan_with_knobs_plots_and_sound(workbench: Workbench) -> None:
    create_from_words(workbench, "a warm tape delay that darkens its repeats")
    project = workbench.state.project
    assert project.name == project.plugin_name == "WarmTapeDelay"  # the plan's name, not the prompt's words
    assert workbench.dashboard.layout.display == "none" and workbench.tabs.layout.display == ""
    assert [row.parameter.name for row in workbench.editor.rows.values()] == ["delayTime", "feedback", "tone", "mix"]
    titles = [panel["title"] for panel in workbench.responses.plot.panels]
    assert titles[:3] == ["Magnitude", "Phase (unwrapped)", "Impulse response (level)"]
    assert len(workbench.chat.turns.children) == 2
    assert "knob Feedback" in workbench.chat.turns.children[1].children[0].value
    assert workbench.approve.disabled is False


def test_a_negotiated_change_shows_its_diff_and_is_heard(workbench: Workbench) -> None:
    create_from_words(workbench, "a warm tape delay that darkens its repeats")
    before = workbench.state.values["tone"]
    workbench.chat.input.value = "darker please"
    workbench.chat.send_button.click()
    settle(workbench, lambda: workbench.state.project.plan_version == 2 and len(workbench.chat.turns.children) == 4)
    last = workbench.chat.turns.children[-1]
    assert "tone.default" in last.children[0].value
    assert workbench.state.values["tone"] < before  # the knob follows the new default: darker is heard
    assert workbench.chat.error.value == ""
    # an earlier version can be heard against this one, and made current again
    assert (1, "version 1") in [(value, label) for label, value in workbench.listen.compare.options]
    revert = next(
        child
        for turn in workbench.chat.turns.children
        for child in turn.children
        if "vaist-revert" in child._dom_classes
    )
    revert.click()
    settle(workbench, lambda: workbench.state.project.plan_version == 3)
    assert workbench.state.plan.parameter("tone").default == pytest.approx(before)


def test_an_empty_message_is_refused_at_the_chat(workbench: Workbench) -> None:
    create_from_words(workbench, "a warm tape delay that darkens its repeats")
    workbench.chat.input.value = "   "
    workbench.chat.send_button.click()
    assert "Type what to change" in workbench.chat.error.value
    assert workbench.state.project.plan_version == 1


def test_a_failing_ai_turn_says_why_and_leaves_the_plan(workbench: Workbench, monkeypatch: pytest.MonkeyPatch) -> None:
    create_from_words(workbench, "a warm tape delay that darkens its repeats")
    api = workbench.state.api
    api.lab._planner = None  # type: ignore[attr-defined]  # the next turn reads the settings below
    monkeypatch.setenv("VAIST_GEMINI_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("VAIST_PLANNER_ATTEMPTS", "1")
    monkeypatch.setenv("VAIST_PLANNER_TIMEOUT", "3")
    api.set_api_key("gemini", "AIza-not-a-real-key-000000")
    api.set_preferred_model("gemini")
    workbench.chat.input.value = "more feedback"
    workbench.chat.send_button.click()
    settle(workbench, lambda: len(workbench.chat.turns.children) == 4)  # the failed turn joins the history
    said = workbench.chat.turns.children[-1].children[0].value
    assert "bubble-failed" in said and "Gemini" in said and "unchanged" in said
    assert "AIza" not in said
    assert workbench.chat.error.value == ""  # said once, in the history
    assert not workbench.chat.send_button.disabled
    assert workbench.state.project.plan_version == 1
    assert workbench.chat.input.value == "more feedback"  # kept, to send again


def test_parameter_edits_are_saved_through_the_service_only_when_valid(workbench: Workbench) -> None:
    create_from_words(workbench, "a warm tape delay that darkens its repeats")
    row = workbench.editor.rows["feedback"]
    row.fields["min"].value = "90"  # above the default of 45
    assert row.save.disabled and "45 is below min 90" in row.error.value
    row._save()
    settle(workbench)
    assert workbench.state.project.plan_version == 1  # nothing saved
    row.fields["min"].value = "0"
    row.fields["max"].value = "80"
    row.fields["displayName"].value = "Regen"
    row.save.click()
    settle(workbench, lambda: workbench.state.project.plan_version == 2)
    feedback = workbench.state.plan.parameter("feedback")
    assert (feedback.max, feedback.display_name) == (80.0, "Regen")
    assert "Regen" in workbench.editor.rows["feedback"].label.value


def test_moving_a_knob_redraws_the_plot_and_rerenders_the_wet_signal(workbench: Workbench) -> None:
    create_from_words(workbench, "a warm tape delay that darkens its repeats")
    revision = workbench.responses.plot.revision
    workbench.editor.rows["tone"].slider.value = 3000.0
    settle(workbench, lambda: workbench.responses.plot.revision > revision)
    assert "Tone 3000 Hz" in workbench.responses.title.value
    assert workbench.state.values["tone"] == pytest.approx(3000.0)


def test_dashboard_cards_rename_duplicate_and_delete_with_confirmation(workbench: Workbench) -> None:
    workbench.dashboard.template.value = "tape-echo"
    workbench.dashboard.create.click()
    settle(workbench, lambda: workbench.state.detail is not None)
    workbench.show_dashboard()
    settle(workbench, lambda: len(workbench.dashboard.cards.children) == 1)
    card = workbench.dashboard.cards.children[0]
    settle(workbench, lambda: "<svg" in card.thumb.value)  # the response thumbnail
    card._ask_rename()
    name_box = card.question.children[0].children
    name_box[0].value = "Dub echo"
    name_box[1].click()
    settle(workbench, lambda: "Dub echo" in workbench.dashboard.cards.children[0].info.value)
    workbench.dashboard.cards.children[0].children[2].children[2].click()  # Duplicate
    settle(workbench, lambda: len(workbench.dashboard.cards.children) == 2)
    card = next(c for c in workbench.dashboard.cards.children if "(copy)" in c.info.value)
    card._ask_delete()
    assert "Delete" in card.question.children[0].value
    assert len(workbench.state.api.list_projects()) == 2  # nothing deleted before the confirmation
    card.question.children[1].children[0].click()
    settle(workbench, lambda: len(workbench.dashboard.cards.children) == 1)
    assert [view.name for view in workbench.state.api.list_projects()] == ["Dub echo"]


def text_of(widget: object) -> str:
    """Everything a widget tree shows as HTML text."""
    value = getattr(widget, "value", "")
    own = value if isinstance(value, str) else ""
    return own + "".join(text_of(child) for child in getattr(widget, "children", ()))


def test_api_keys_are_never_shown_back(workbench: Workbench) -> None:
    key = "sk-ant-secret-value-1234567890"
    workbench.settings.provider.value = "anthropic"
    workbench.settings.key.value = key
    workbench.settings.save.click()
    assert workbench.settings.key.value == ""  # not kept in the page
    settle(workbench, lambda: "vaist-key-hint" in text_of(workbench.settings.key_list))
    shown = text_of(workbench.settings)
    assert key not in shown
    assert workbench.state.api.api_keys()[0].hint in shown
    choices = {value: label for label, value in workbench.settings.model.options}
    assert "no key" not in choices[next(value for value in choices if value.startswith("anthropic:"))]
    assert "no key" in choices[next(value for value in choices if value.startswith("openai:"))]
    remove = next(child.children[1] for child in workbench.settings.key_list.children)
    remove.click()
    settle(workbench, lambda: not workbench.state.api.api_keys())
    assert "No keys saved" in text_of(workbench.settings.key_list)


class FailingCompiler(Builder):
    """A build that logs a few hundred lines, then a compiler error, and fails: what the build panel must
    stream and explain. (Real builds run in tests/build, tests/service and the browser tests.)"""

    name = "failing"

    def build(
        self, project: GeneratedProject, output_dir: Path, cancel: threading.Event | None = None
    ) -> Iterator[BuildEvent]:
        for index in range(300):
            yield LogEvent(Level.INFO, Source.COMPILER, f"compiling unit {index}")
            if index % 100 == 0:
                yield ProgressEvent(index // 100 + 1, 4, f"unit {index}")
        error = LogEvent(
            Level.ERROR,
            Source.COMPILER,
            "'gain' was not declared in this scope",
            file="Source/Chain.h",
            line=42,
            column=9,
        )
        yield error
        yield BuildFinished(False, None, 0.1, errors=(error,), message="the compiler stopped: 1 error")


def test_a_failing_build_streams_its_log_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAIST_PLANNER_MODEL", "offline")
    monkeypatch.setenv("VAIST_SECRET_KEY", "x" * 32)
    monkeypatch.setenv("VAIST_CACHE_DIR", str(tmp_path / "cache"))

    def open_bench() -> Workbench:
        lab = Lab.open(
            data=tmp_path / "data",
            work_root=tmp_path / "builds",
            build_roots=[],
            settings=LabSettings(verify_builds=False),
            builder_factory=FailingCompiler,
        )
        bench = Workbench(api=UserLab(lab, lab.local_user(), owns_lab=True))
        settle(bench)
        return bench

    bench = open_bench()
    bench.dashboard.template.value = "warm-drive"
    bench.dashboard.create.click()
    settle(bench, lambda: bench.state.detail is not None)
    bench.approve.click()
    settle(bench, lambda: bench.state.project.status is APPROVED)
    assert bench.tabs.selected_index == 3  # approval leads to the build
    bench.build.start.click()
    settle(bench, lambda: bench.state.project.status is FAILED and len(bench.build.log_view.lines) >= 303)
    ids = [int(line["id"]) for line in bench.build.log_view.lines]
    assert ids == sorted(set(ids))  # every line once, in order
    assert bench.build.log_view.first_error["message"] == "'gain' was not declared in this scope"
    assert "the compiler stopped: 1 error" in bench.build.platforms.value
    assert bench.build.start.description == "Retry build" and not bench.build.start.disabled
    assert bench.build.local_row.download.enabled is False
    bench.state.api.close()  # type: ignore[attr-defined]

    reopened = open_bench()  # a reloaded page: the stored lines are there again
    reopened.open_project(reopened.state.api.list_projects()[0].id)
    settle(reopened, lambda: len(reopened.build.log_view.lines) == len(ids))
    assert [int(line["id"]) for line in reopened.build.log_view.lines] == ids
    reopened.state.api.close()  # type: ignore[attr-defined]


def test_the_plans_json_is_checked_as_typed_with_problems_at_their_rows(workbench: Workbench) -> None:
    create_from_words(workbench, "a warm tape delay that darkens its repeats")
    panel = workbench.plan
    edited = workbench.state.plan.to_json_dict()
    edited["parameters"][1]["default"] = 150  # above its max of 95
    panel.editor.value = json.dumps(edited)
    assert panel.save.disabled
    assert "vaist-row-invalid' data-index='1'" in panel.tables.value
    assert "parameters[1].default: 150" in panel.tables.value
    panel.editor.value = "{not json"
    assert "not JSON" in panel.problems.value and panel.save.disabled
    edited["parameters"][1]["default"] = 30
    edited["dspBlocks"][1]["inputs"]["damping"] = 2500  # a constant instead of the Tone knob: Tone is dead now
    panel.editor.value = json.dumps(edited)
    assert panel.save.disabled and "tone" in panel.problems.value + panel.tables.value
    del edited["dspBlocks"][1]["inputs"]["damping"]
    edited["parameters"] = [item for item in edited["parameters"] if item["name"] != "tone"]
    edited["dspBlocks"] = [block for block in edited["dspBlocks"] if block["inputs"].get("frequency") != "tone"]
    panel.editor.value = json.dumps(edited)
    assert not panel.save.disabled, panel.problems.value + panel.tables.value
    panel.save.click()
    settle(workbench, lambda: workbench.state.project.plan_version == 2)
    assert [p.name for p in workbench.state.plan.parameters] == ["delayTime", "feedback", "mix"]
    assert workbench.state.detail.messages[-2].content.startswith("/edit")
