"""What the workbench refuses, and how it says so: bad parameter fields at the field with the plan rule's message
(nothing saved), unreadable and too-large uploads, an AI turn that cannot reach its provider (the plan
untouched), an empty message, a build that cannot run. Served with a C++ compiler that does not exist, so that
builds fail before compiling anything."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import (
    Screenshots,
    ServedApp,
    app_environment,
    back_to_dashboard,
    button,
    create_project,
    open_project,
    open_tab,
    open_workbench,
    select_containing,
    serve_arguments,
)
from playwright.sync_api import Locator, Page, expect

MISSING_COMPILER = "/nonexistent/c++"
UPLOAD_LIMIT_BYTES = 50_000_000
project_names = (f"Refused {number}" for number in itertools.count(1))


@pytest.fixture(scope="module")
def app_without_compiler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    work = tmp_path_factory.mktemp("refusals")
    environment = app_environment(work / "data", CXX=MISSING_COMPILER)
    served = ServedApp.start(serve_arguments(), work / "serve.log", environment)
    yield served
    served.stop()


@pytest.fixture
def page(module_page: Page) -> Page:
    return module_page


@pytest.fixture
def tape_echo(app_without_compiler: ServedApp, page: Page) -> str:
    """A new project from the tape-echo template (feedback: 0 to 95, default 45), open; its name. The page is
    the module's one visitor: each test starts from its dashboard (opened again if a failed test left it broken)."""
    if page.locator(".vaist-back").is_visible():
        back_to_dashboard(page)
    if not page.locator(".vaist-workbench .vaist-dashboard").is_visible():
        open_workbench(page, app_without_compiler.url)
    name = next(project_names)
    create_project(page, name, template_label="TapeEcho")
    return name


def feedback_fields(page: Page) -> Locator:
    open_tab(page, "Sound")
    row = page.locator(".vaist-param-feedback")
    button(row, ".vaist-param-toggle").click()  # shows its range, default and name fields
    return row


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("min", "99", "min 99 must be below max 95"),  # the plan rules' own messages
        ("default", "120", "120 is above max 95"),
        ("default", "loud", "'loud' is not a number"),
    ],
    ids=["min-above-max", "default-out-of-range", "not-a-number"],
)
def test_a_bad_parameter_field_is_refused_at_the_field_and_nothing_is_saved(
    page: Page, shot: Screenshots, tape_echo: str, field: str, typed: str, message: str
) -> None:
    row = feedback_fields(page)
    before = row.locator(f".vaist-field-{field} input").input_value()
    row.locator(f".vaist-field-{field} input").fill(typed)
    expect(row.locator(".vaist-field-error")).to_contain_text(message)
    expect(button(row, ".vaist-param-save")).to_be_disabled()
    shot("refused at the field")

    page.reload(wait_until="commit")
    page.locator(".vaist-dashboard").wait_for(state="visible", timeout=120_000)
    open_project(page, tape_echo)
    row = feedback_fields(page)
    expect(row.locator(f".vaist-field-{field} input")).to_have_value(before)
    shot("unchanged after a reload")


def upload(page: Page, path: Path) -> Locator:
    """Give the player a file of the user's; its message."""
    open_tab(page, "Sound")
    player = page.locator(".vaist-listen .vaist-player")
    player.locator(".vaist-player-upload input[type=file]").set_input_files(path)
    return player.locator(".vaist-player-message")


def test_an_unreadable_upload_is_refused_with_its_name(
    page: Page, shot: Screenshots, tape_echo: str, tmp_path: Path
) -> None:
    garbage = tmp_path / "not-audio.wav"
    garbage.write_bytes(b"these bytes are no RIFF wave" * 100)
    message = upload(page, garbage)
    expect(message).to_contain_text("not-audio.wav", timeout=30_000)
    shot("unreadable file refused")


def test_a_too_large_upload_is_refused_with_the_limit(
    page: Page, shot: Screenshots, tape_echo: str, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.wav"
    with huge.open("wb") as sparse:  # no disk blocks behind it
        sparse.truncate(UPLOAD_LIMIT_BYTES + 1_000_000)
    message = upload(page, huge)
    expect(message).to_contain_text("huge.wav", timeout=30_000)
    expect(message).to_contain_text(re.compile(r"\b50(\.0)? MB"))
    shot("too large file refused")


def plan_text(page: Page) -> str:
    open_tab(page, "Plan")
    return page.inner_text(".vaist-tabs .vaist-plan")


def test_an_empty_message_is_refused_before_any_ai_turn(page: Page, shot: Screenshots, tape_echo: str) -> None:
    open_tab(page, "Chat")
    button(page, ".vaist-chat-send").click()
    expect(page.locator(".vaist-chat-error")).to_contain_text(re.compile(r"\w"))
    expect(page.locator(".vaist-chat-turn")).to_have_count(0)
    shot("empty message refused")


def test_an_ai_turn_that_cannot_reach_its_provider_says_why_and_keeps_the_plan(
    page: Page, shot: Screenshots, tape_echo: str
) -> None:
    open_tab(page, "Settings")
    select_containing(page.locator(".vaist-key-provider select"), "gemini")
    page.fill(".vaist-key-input input", "fake-gemini-key-0123456789")
    button(page, ".vaist-key-save").click()
    expect(page.locator(".vaist-key-hint")).to_contain_text("Gemini")
    expect(page.locator(".vaist-key-hint")).not_to_contain_text("fake-gemini-key-0123456789")  # masked
    select_containing(page.locator(".vaist-model select"), "gemini")
    shot("gemini chosen, its endpoint down")

    plan = plan_text(page)
    open_tab(page, "Chat")
    page.fill(".vaist-chat-input textarea", "make the repeats longer")
    button(page, ".vaist-chat-send").click()
    failed_turn = page.locator(".vaist-chat-turn").last
    expect(failed_turn).to_contain_text(re.compile(r"Gemini.*(connect|reach)", re.IGNORECASE), timeout=180_000)
    expect(page.locator(".vaist-chat-error")).to_have_text("")  # said once, in the history
    expect(page.locator(".vaist-chat-input textarea")).to_have_value("make the repeats longer")  # to send again
    shot("the turn failed with its reason")
    assert plan_text(page) == plan
    open_tab(page, "Settings")
    select_containing(page.locator(".vaist-model select"), "offline")  # the user's choice outlives the test


def test_a_build_that_cannot_run_says_why(page: Page, shot: Screenshots, tape_echo: str) -> None:
    button(page, ".vaist-approve").click()
    open_tab(page, "Build")
    button(page, ".vaist-build-start").click()
    # refused before it starts (the tools are checked first) or failed: either way the reason is shown
    expect(page.locator(".vaist-workbench")).to_contain_text(f"CXX={MISSING_COMPILER}", timeout=120_000)
    expect(page.locator(".vaist-status")).not_to_have_text(re.compile("success|building", re.IGNORECASE))
    expect(button(page, ".vaist-download")).to_be_disabled()
    shot("build refused with its reason")
