"""The workbench end to end, as a new user: words to a plan (the offline planner), one change negotiated, a knob
moved and its plot redrawn, dry and wet heard, the plan approved and built on this machine with its log
streaming, the fidelity figures, the plugin downloaded as a zip holding the VST3 bundle, and the project still
on the dashboard after a reload. Builds reuse the suite's JUCE module archive."""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

from browser_harness import (
    Screenshots,
    ServedApp,
    button,
    int_attribute,
    nudge_slider,
    open_tab,
    open_workbench,
    wait_for_attribute_above,
)
from playwright.sync_api import Page, expect

NAME = "Warm Echo"
PROMPT = "a warm tape delay that darkens its repeats"
CHANGE = "make the repeats longer"
BUILD_TIMEOUT = 900.0  # a cold cache compiles JUCE's module archive first (minutes on two cores)
FINAL = ("SUCCESS", "FAILED")


def status(page: Page) -> str:
    return page.inner_text(".vaist-status").strip().upper()


def has_status(name: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{name}\s*$", re.IGNORECASE)


def test_a_new_user_goes_from_words_to_a_downloaded_plugin(
    app: ServedApp, page: Page, shot: Screenshots, tmp_path: Path
) -> None:
    open_workbench(page, app.url)
    expect(page.locator(".vaist-card")).to_have_count(0)
    shot("dashboard of a new user")

    page.fill(".vaist-new-prompt textarea", PROMPT)
    page.fill(".vaist-new-name input", NAME)
    shot("prompt typed")
    button(page, ".vaist-create").click()
    turns = page.locator(".vaist-chat-turn")
    expect(turns.first).to_be_visible(timeout=60_000)
    expect(page.locator(".vaist-status")).to_have_text(has_status("PLANNING"))
    expect(page.locator(".vaist-chat-error")).to_have_text("")
    shot("first plan from the offline planner")

    answered = turns.count()
    page.fill(".vaist-chat-input textarea", CHANGE)
    button(page, ".vaist-chat-send").click()
    expect(turns.nth(answered + 1)).to_be_visible(timeout=60_000)  # the message and the lab's answer
    expect(page.locator(".vaist-turn-diff").last).to_contain_text(re.compile(r"\w"))
    expect(page.locator(".vaist-chat-error")).to_have_text("")
    expect(page.locator(".vaist-revert").first).to_be_visible()  # the first plan stays one click away
    shot("change negotiated")

    open_tab(page, "Sound")
    plot = page.locator(".vaist-responses .vaist-plot")
    expect(plot).to_have_attribute("data-drawn-revision", re.compile(r"\d+"), timeout=30_000)
    drawn = int_attribute(plot, "data-drawn-revision")
    nudge_slider(page.locator(".vaist-param .vaist-slider").first)
    wait_for_attribute_above(plot, "data-drawn-revision", drawn, 30)
    shot("knob moved, plot redrawn")

    player = page.locator(".vaist-listen .vaist-player")
    player.locator(".vaist-player-clip[data-clip=dry]").click()
    expect(player).to_have_attribute("data-selected", "dry")
    player.locator(".vaist-player-play").click()
    expect(player).to_have_attribute("data-playing", "true")
    shot("playing dry")
    player.locator(".vaist-player-clip[data-clip=wet]").click()
    expect(player).to_have_attribute("data-selected", "wet")
    expect(player).to_have_attribute("data-playing", "true")
    shot("playing wet")
    player.locator(".vaist-player-play").click()
    expect(player).to_have_attribute("data-playing", "false")

    button(page, ".vaist-approve").click()
    expect(page.locator(".vaist-status")).to_have_text(has_status("APPROVED"))
    open_tab(page, "Build")
    shot("approved")

    button(page, ".vaist-build-start").click()
    log = page.locator(".vaist-log")
    counts_while_building: set[int] = set()
    deadline = time.monotonic() + BUILD_TIMEOUT
    while (now := status(page)) not in FINAL and time.monotonic() < deadline:
        if now == "BUILDING":
            counts_while_building.add(int_attribute(log, "data-line-count"))
        time.sleep(0.25)
    shot("build finished")
    assert status(page) == "SUCCESS", page.inner_text(".vaist-build")
    assert len({count for count in counts_while_building if count > 0}) >= 2, counts_while_building  # streamed
    expect(page.locator(".vaist-fidelity")).to_contain_text(re.compile(r"\d+ kHz"), timeout=60_000)
    expect(page.locator(".vaist-fidelity")).to_contain_text(re.compile(r"-?\d+(\.\d+)? dB|exact"))
    shot("fidelity figures")

    with page.expect_download(timeout=60_000) as download:
        button(page, ".vaist-download").click()
    archive = tmp_path / download.value.suggested_filename
    download.value.save_as(archive)
    assert archive.suffix == ".zip"
    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
    assert any(re.search(r"\.vst3/Contents/", name) for name in names), names[:20]

    page.reload(wait_until="commit")
    page.locator(".vaist-dashboard").wait_for(state="visible", timeout=120_000)
    card = page.locator(".vaist-card", has_text=NAME)
    expect(card).to_have_count(1)
    expect(card).to_contain_text(re.compile("SUCCESS", re.IGNORECASE))
    shot("project on the dashboard after a reload")
