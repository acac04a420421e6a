"""The build panel's builds on GitHub Actions, without a browser: the workbench over an in-process lab whose
remote builds run the real GitHubBuilder against fake_github's GitHub on loopback. GitHub is offered once a
token and a repository are saved in the settings (until then, why not); a build for three platforms fills
one row per platform as each finishes; the one that failed says why and offers no download, the others
download and show their fidelity figures."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fake_github import FakeGitHub, PlatformScript
from remote_builders import REPOSITORY, TOKEN, fake_github, fast_github_builder

from vaist_lab.service import Lab, LabSettings
from vaist_lab.service.api import GITHUB, GitHubSettingsView
from vaist_lab.service.status import APPROVED, SUCCESS
from vaist_lab.service.user_lab import UserLab
from vaist_lab.service.views import PlatformBuildStatus, PlatformBuildView
from vaist_lab.ui import Workbench
from vaist_lab.ui.build import LOCAL, PlatformRow

TIMEOUT = 60.0


def settle(bench: Workbench, until: Callable[[], bool] = lambda: True, timeout: float = TIMEOUT) -> None:
    """Wait until every background action has landed and `until()` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bench.state.actions.wait_idle(timeout)
        if until():
            return
        time.sleep(0.05)
    raise AssertionError(f"the workbench did not settle: {bench.state.notice}")


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with fake_github(step_seconds=0.05) as fake:
        fake.scripts["windows"] = PlatformScript("compile_error", step_seconds=0.2)  # the last to finish
        yield fake


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workbench]:
    monkeypatch.setenv("VAIST_PLANNER_MODEL", "offline")
    monkeypatch.setenv("VAIST_SECRET_KEY", "x" * 32)
    for name in ("VAIST_GITHUB_TOKEN", "VAIST_GITHUB_REPOSITORY", "VAIST_GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    lab = Lab.open(
        data=tmp_path / "data",
        work_root=tmp_path / "builds",
        build_roots=[],
        settings=LabSettings(verify_builds=False, heartbeat_interval=0.2),
        remote_builder_factory=fast_github_builder,
    )
    workbench = Workbench(api=UserLab(lab, lab.local_user(), owns_lab=True))
    yield workbench
    workbench.build.close()
    workbench.state.api.close()  # type: ignore[attr-defined]


def test_a_build_on_github_fills_a_row_per_platform_as_each_finishes(bench: Workbench, github: FakeGitHub) -> None:
    build = bench.build
    bench.dashboard.template.value = "tape-echo"
    bench.dashboard.create.click()
    settle(bench, lambda: bench.state.detail is not None)
    bench.approve.click()
    settle(bench, lambda: bench.state.project.status is APPROVED and build.remote_note.value != "")
    # no token, no repository: GitHub is not offered, and the panel says why in one line
    assert build.where.disabled and build.where.value == LOCAL
    assert "need a GitHub token and a builder repository" in build.remote_note.value
    assert list(build.rows) == [LOCAL] and "Not built" in build.local_row.status.value

    bench.tabs.selected_index = 4
    settings = bench.settings.github
    settle(bench, lambda: "no token" in settings.status.value)
    settings.repository.value = REPOSITORY
    settings.token.value = TOKEN
    settings.api_url.value = github.url
    settings.save.click()
    assert settings.token.value == ""  # not kept in the page
    settle(bench, lambda: "Saved" in settings.message.value)
    assert TOKEN not in settings.status.value and "your token" in settings.status.value
    settings.test.click()
    settle(bench, lambda: "vaist-github-check" in settings.message.value)
    assert f"ready: builds run in {REPOSITORY}" in settings.message.value

    bench.tabs.selected_index = 3  # the build tab looks at the settings again
    settle(bench, lambda: not build.where.disabled)
    build.where.value = GITHUB
    assert build.start.description == "Build VST3 on GitHub" and not build.start.disabled
    assert all(not box.disabled and box.value for box in build.platform_boxes.values())
    build.start.click()
    settle(bench, lambda: set(build.remote_rows) == {"linux", "macos", "windows"})

    def status(platform: str) -> PlatformBuildStatus | None:
        view = build.rows[platform].view
        return view.status if view else None

    # linux and macOS are done (and downloadable) while windows still builds
    settle(bench, lambda: status("linux") is status("macos") is PlatformBuildStatus.SUCCEEDED)
    assert status("windows") is PlatformBuildStatus.BUILDING and bench.state.project.status.value == "BUILDING"
    linux = build.rows["linux"]
    assert "title='SUCCEEDED'" in linux.status.value and linux.download.enabled
    assert linux.fidelity.description == "✔ -138.5 dB" and not linux.fidelity.disabled
    assert "title='BUILDING'" in build.rows["windows"].status.value and not build.rows["windows"].download.enabled

    settle(bench, lambda: bench.state.project.status is SUCCESS and status("windows") is PlatformBuildStatus.FAILED)
    windows = build.rows["windows"]
    assert not windows.download.enabled and windows.fidelity.disabled and windows.fidelity.description == "—"
    assert (
        "vaist-error" in windows.message.value and "compile error: PluginProcessor.cpp:42:17: " in windows.message.value
    )
    assert "D:\\a\\" not in windows.message.value  # the runner's paths cut to the file's name
    assert "Built, but not everywhere: windows failed: compile error" in build.platforms.value
    assert build.start.description == "Rebuild on GitHub"
    # the log keeps every platform's lines; the view can show one platform's
    settle(bench, lambda: {"linux", "macos", "windows"} <= {line["platform"] for line in build.log_view.lines})
    build.log_view.platform_filter = "windows"

    settle(bench, lambda: "Fidelity of the plugin built on Linux (GitHub Actions)" in build.report.value)
    build.rows["macos"].fidelity.click()
    settle(bench, lambda: "built on macOS (GitHub Actions)" in build.report.value)
    assert "vaist-fidelity" in build.report.value and "96 kHz" in build.report.value
    assert "vaist-platform-selected" in build.rows["macos"]._dom_classes

    macos = build.rows["macos"].download
    macos._handle_message(macos, {"type": "request"}, [])  # the button's click
    settle(bench, lambda: macos.status.startswith("saving"))
    assert macos.status.startswith("saving TapeEcho-macos.zip (") and macos.error == ""


def test_a_rows_saved_download_note_goes_when_it_shows_another_build() -> None:
    """A row is reused for the next build and the next project: "saved X.zip" was about the earlier file."""
    row = PlatformRow("linux", lambda _: None, lambda _: None)
    built = PlatformBuildView(
        "linux", GITHUB, uuid.uuid4(), PlatformBuildStatus.SUCCEEDED, datetime.now(UTC), datetime.now(UTC),
        12.0, "built Echo", None, "", True, -120.0, True, False,
    )  # fmt: skip
    row.show(built)
    row.download.status = "saved Echo-linux.zip (4.2 MB)"

    row.show(replace(built, duration_s=13.0))  # the same build, seen again
    assert row.download.status == "saved Echo-linux.zip (4.2 MB)"
    row.show(replace(built, build_id=uuid.uuid4()))
    assert row.download.status == ""
    row.download.status = "saved Echo-linux.zip (4.2 MB)"
    row.show(None)  # another project, not built here yet
    assert row.download.status == ""


def test_a_settings_refresh_that_lands_while_the_user_types_keeps_their_typing(bench: Workbench) -> None:
    section = bench.settings.github
    nothing = GitHubSettingsView(None, "https://api.github.com", None, False, False, ("linux",), "no repository")
    section.show(nothing)
    section.repository.value = "octo/vaist-builder"  # typed...
    section.show(nothing)  # ...while an earlier refresh answered
    assert section.repository.value == "octo/vaist-builder"

    saved = replace(nothing, repository="octo/vaist-builder", own_repository=True, problem="")
    section.show(saved)
    assert section.repository.value == "octo/vaist-builder"
    section.show(nothing)  # forgotten elsewhere: the field follows, since the user typed nothing since
    assert section.repository.value == ""


def test_set_up_makes_the_saved_repository_a_builder_repository(bench: Workbench, github: FakeGitHub) -> None:
    """A hub user has no `vaist-lab remote init`: the settings' Set up button does its work."""
    section = bench.settings.github
    section.repository.value = "octo/new-builds"
    section.token.value = TOKEN
    section.api_url.value = github.url
    section.save.click()
    settle(bench, lambda: "Saved" in section.message.value)
    section.set_up.click()
    assert section.set_up.disabled and section.test.disabled  # one question to GitHub at a time
    settle(bench, lambda: "vaist-github-check" in section.message.value)
    assert "vaist-ok" in section.message.value, section.message.value
    assert "created the private repository octo/new-builds" in section.message.value
    assert "ready: builds run in octo/new-builds" in section.message.value
    assert not section.set_up.disabled and not section.test.disabled
    assert "octo/new-builds" in github.repos
