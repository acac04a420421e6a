"""The harness and the app's Voila settings, on a small notebook of plain widgets carrying the workbench's class
names: `vaist-lab serve` answers and the page shows the notebook's output offline, the helpers drive the widgets
through the kernel, and voila.json lets streamed updates and large uploads through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import (
    Screenshots,
    ServedApp,
    nudge_slider,
    open_tab,
    serve_arguments,
    wait_for,
    write_notebook,
)
from playwright.sync_api import Page, expect

UPDATES = 6000
DEFAULT_IOPUB_LIMIT = 1000  # messages a second, over 3 s, that Jupyter lets through by default
UPLOAD_BYTES = 20_000_000  # twice tornado's default websocket message limit
HARNESS = f"""\
import threading
import time
import ipywidgets as w

slider = w.FloatSlider(value=45, min=0, max=95, description="Feedback")
slider.add_class("vaist-slider")
heard = w.Label("45.0")
heard.add_class("vaist-heard")
slider.observe(lambda change: setattr(heard, "value", str(change["new"])), "value")

counter = w.IntText(0)
counter.add_class("vaist-counter")
rate = w.Label()
rate.add_class("vaist-rate")
stream = w.Button(description="Stream", icon="play")
stream.add_class("vaist-stream")
def count_up():
    started = time.perf_counter()
    for value in range(1, {UPDATES} + 1):
        counter.value = value
    rate.value = f"{{{UPDATES} / (time.perf_counter() - started):.0f}}"
stream.on_click(lambda _: threading.Thread(target=count_up).start())

upload = w.FileUpload()
upload.add_class("vaist-upload")
received = w.Label("nothing")
received.add_class("vaist-received")
upload.observe(lambda change: setattr(received, "value", str(sum(len(f["content"]) for f in change["new"]))), "value")

tabs = w.Tab([w.VBox([stream, counter, rate, upload, received]), w.VBox([slider, heard])], titles=("Chat", "Sound"))
tabs.add_class("vaist-tabs")
root = w.VBox([w.HTML("<h1>harness</h1>"), tabs])
root.add_class("vaist-workbench")
root
"""


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    work = tmp_path_factory.mktemp("harness")
    notebook = write_notebook(work / "notebook" / "harness.ipynb", HARNESS)
    served = ServedApp.start(serve_arguments(notebook=notebook), work / "serve.log", {"VAIST_DATA_DIR": str(work)})
    yield served
    served.stop()


@pytest.fixture
def opened(harness: ServedApp, page: Page, shot: Screenshots) -> Page:
    page.goto(harness.url, wait_until="commit")
    expect(page.locator(".vaist-workbench")).to_be_visible(timeout=120_000)
    shot("rendered")
    return page


def test_the_page_shows_the_notebook_output_offline_with_its_icons(opened: Page) -> None:
    expect(opened.locator(".vaist-workbench h1")).to_have_text("harness")
    expect(opened.locator("text=import threading")).to_have_count(0)  # the code is hidden
    # Font Awesome comes with the widgets bundle, not from a CDN (the page fixture refuses any request out)
    family = opened.evaluate(
        "getComputedStyle(document.querySelector('.vaist-stream i'), '::before').fontFamily.split(',')[0]"
    )
    assert "Font Awesome" in family
    opened.evaluate(f"document.fonts.load('16px {family}')")
    assert opened.evaluate(f"document.fonts.check('16px {family}')")


def test_the_helpers_drive_widgets_through_the_kernel(opened: Page, shot: Screenshots) -> None:
    open_tab(opened, "Sound")
    nudge_slider(opened.locator(".vaist-slider"))
    expect(opened.locator(".vaist-heard")).not_to_have_text("45.0")  # the kernel saw the move and answered
    shot("slider moved")


def test_updates_streamed_from_a_kernel_thread_all_arrive(opened: Page, shot: Screenshots) -> None:
    opened.click(".vaist-stream")
    expect(opened.locator(".vaist-rate")).not_to_have_text("", timeout=60_000)
    sent_per_second = int(opened.inner_text(".vaist-rate"))
    # Jupyter's IOPub rate limit (off in voila.json) would drop updates, the last ones too
    wait_for(lambda: opened.input_value(".vaist-counter input") == str(UPDATES), 60, f"the counter at {UPDATES}", 0.5)
    shot("all updates arrived")
    if sent_per_second <= DEFAULT_IOPUB_LIMIT:
        pytest.skip(f"the kernel sent {sent_per_second} updates/s, too few to reach the limit this test is about")


def test_an_upload_beyond_tornados_default_message_limit_reaches_the_kernel(
    opened: Page, shot: Screenshots, tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(UPLOAD_BYTES))
    with opened.expect_file_chooser() as chooser:
        opened.click(".vaist-upload")
    chooser.value.set_files(big)
    expect(opened.locator(".vaist-received")).to_have_text(str(UPLOAD_BYTES), timeout=60_000)
    shot("upload received")
