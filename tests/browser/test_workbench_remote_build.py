"""A build on GitHub Actions as a musician clicks through it in Chromium: the build panel says why GitHub is not
offered until a token and a repository are saved in the settings; once they are, one build runs for Linux,
macOS and Windows (the real GitHubBuilder in the app's build worker, against fake_github's GitHub on loopback),
each platform's row fills in as that platform finishes, the one that failed says why, the log shows one
platform's lines on demand, and a platform's plugin downloads from its row."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from browser_harness import (
    Screenshots,
    ServedApp,
    app_environment,
    button,
    create_project,
    open_tab,
    open_workbench,
    serve_arguments,
)
from fake_github import FakeGitHub, PlatformScript
from playwright.sync_api import Page, expect
from remote_builders import FACTORY, REPOSITORY, TESTS, TOKEN, fake_github

from vaist_lab.service.build_worker import REMOTE_BUILDER_VARIABLE

BUILD_TIMEOUT_MS = 180_000  # a worker process starts (imports the service) before GitHub is asked


@pytest.fixture(scope="module")
def github() -> Iterator[FakeGitHub]:
    with fake_github() as fake:
        fake.scripts["windows"] = PlatformScript("compile_error", step_seconds=0.6)  # the last to finish
        yield fake


@pytest.fixture(scope="module")
def app_with_github(tmp_path_factory: pytest.TempPathFactory, github: FakeGitHub) -> Iterator[ServedApp]:
    work = tmp_path_factory.mktemp("remote")
    python_path = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))
    environment = app_environment(work / "data", PYTHONPATH=python_path, **{REMOTE_BUILDER_VARIABLE: FACTORY})
    served = ServedApp.start(serve_arguments(), work / "serve.log", environment)
    yield served
    served.stop()


def test_a_build_on_github_shows_each_platform_as_it_finishes(
    app_with_github: ServedApp, github: FakeGitHub, page: Page, shot: Screenshots
) -> None:
    open_workbench(page, app_with_github.url)
    create_project(page, "Everywhere", template_label="TapeEcho")
    button(page, ".vaist-approve").click()
    open_tab(page, "Build")
    expect(page.locator(".vaist-remote-note")).to_contain_text("need a GitHub token and a builder repository")
    expect(page.locator(".vaist-build-where input[type=radio]").nth(1)).to_be_disabled()
    shot("GitHub not set up yet")

    open_tab(page, "Settings")
    expect(page.locator(".vaist-github-status")).to_contain_text("no token")
    page.fill(".vaist-github-repository input", REPOSITORY)
    page.fill(".vaist-github-token input", TOKEN)
    page.fill(".vaist-github-api-url input", github.url)
    button(page, ".vaist-github-save").click()
    expect(page.locator(".vaist-github-message")).to_contain_text("Saved")
    expect(page.locator(".vaist-github-status")).to_contain_text("Builds use your token")
    button(page, ".vaist-github-test").click()
    expect(page.locator(".vaist-github-message")).to_contain_text(f"ready: builds run in {REPOSITORY}", timeout=60_000)
    shot("GitHub settings saved and tested")

    open_tab(page, "Build")
    page.locator(".vaist-build-where label", has_text="On GitHub Actions").click()
    expect(button(page, ".vaist-build-start")).to_have_text("Build VST3 on GitHub")
    button(page, ".vaist-build-start").click()
    linux = page.locator(".vaist-platform-linux")
    windows = page.locator(".vaist-platform-windows")
    expect(linux.locator(".vaist-platform-status")).to_contain_text("Built", timeout=BUILD_TIMEOUT_MS)
    expect(windows.locator(".vaist-platform-status")).to_contain_text("Building")
    shot("Linux built while the others build")

    expect(windows.locator(".vaist-platform-status")).to_contain_text("Failed", timeout=BUILD_TIMEOUT_MS)
    expect(windows.locator(".vaist-platform-message")).to_contain_text("compile error")
    expect(button(windows, ".vaist-download")).to_be_disabled()
    expect(page.locator(".vaist-platforms")).to_contain_text("windows failed: compile error")
    expect(page.locator(".vaist-fidelity")).to_contain_text("96 kHz", timeout=60_000)
    expect(button(linux, ".vaist-platform-report")).to_have_text("✔ -138.5 dB")
    shot("every platform done")

    page.locator(".vaist-log-platform-filter").select_option("windows")
    expect(page.locator(".vaist-log-line .vaist-log-platform").first).to_have_text("windows")
    shot("the log of windows alone")

    with page.expect_download(timeout=60_000) as download:
        button(linux, ".vaist-download").click()
    assert download.value.suggested_filename == "TapeEcho-linux.zip"
