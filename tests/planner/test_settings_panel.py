"""The workbench's settings panel over a real lab whose Gemini speaks to a local wire server: a saved key makes
the picker list Gemini's own models, the Test button says in one line what the key does, and a list that
cannot be had leaves the configured model with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from provider_wire import WIRES, ScriptedServer, settings_for

from vaist_lab.planner import Planner
from vaist_lab.service import Lab
from vaist_lab.service.user_lab import UserLab
from vaist_lab.ui.settings import SettingsPanel
from vaist_lab.ui.state import ProjectState

GEMINI = next(wire for wire in WIRES if wire.provider == "gemini")
KEY = "AIzaPanelTestKey-0123456789"


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: ScriptedServer) -> Iterator[SettingsPanel]:
    monkeypatch.delenv("VAIST_DATABASE_URL", raising=False)
    monkeypatch.setenv("VAIST_CACHE_DIR", str(tmp_path / "cache"))
    lab = Lab.open(
        f"sqlite:///{tmp_path / 'lab.db'}", data=tmp_path / "data", planner=Planner(settings_for(GEMINI, server))
    )
    settings = SettingsPanel(ProjectState(UserLab(lab, lab.local_user(), owns_lab=True)))
    settings.refresh()
    settle(settings)
    yield settings
    settle(settings)
    lab.close()


def settle(panel: SettingsPanel) -> None:
    for _ in range(3):  # an action may start another (a saved key refreshes the panel)
        panel.state.actions.wait_idle(30)


def save_key(panel: SettingsPanel, key: str) -> None:
    panel.provider.value = "gemini"
    panel.key.value = key
    panel.save.click()
    settle(panel)


def test_a_saved_key_lists_the_providers_models_and_its_test_says_ok(
    panel: SettingsPanel, server: ScriptedServer
) -> None:
    offered = dict(panel.model.options)
    assert "Gemini · gemini-test-model — no key" in offered and server.requests == []

    server.queue(GEMINI.models(["gemini-4-argon", "gemini-test-model", "gemini-2.5-flash", "gemini-embedding-2"]))
    save_key(panel, KEY)

    labels = [label for label, _ in panel.model.options]
    assert [label for label in labels if label.startswith("Gemini")] == [
        "Gemini · gemini-test-model",
        "Gemini · gemini-4-argon",
    ]
    assert panel.key.value == "" and KEY not in panel.message.value
    [row] = panel.key_list.children
    test = row.children[2]
    assert "vaist-key-test" in test._dom_classes

    server.queue(GEMINI.answer())
    test.click()
    settle(panel)
    assert "vaist-ok" in panel.message.value and "Gemini: ok: gemini-test-model answered in" in panel.message.value

    server.queue(GEMINI.failure("quota"))
    test.click()
    settle(panel)
    assert "vaist-error" in panel.message.value and "Gemini: no quota:" in panel.message.value
    assert KEY not in panel.message.value


def test_a_list_that_cannot_be_had_leaves_the_configured_model_and_says_why(
    panel: SettingsPanel, server: ScriptedServer
) -> None:
    server.queue(GEMINI.failure("auth"))
    save_key(panel, KEY)

    labels = [label for label, _ in panel.model.options if label.startswith("Gemini")]
    assert labels == ["Gemini · gemini-test-model"]
    assert "could not be listed" in panel.model_note.value and "the API key was refused" in panel.model_note.value
