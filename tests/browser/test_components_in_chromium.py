"""The components in a real browser: a notebook of them served by `vaist-lab serve`, driven by Playwright in
headless Chromium (the harness and fixtures of tests/browser)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import nbformat
import numpy as np
import pytest
from browser_harness import ServedApp, app_environment, serve_arguments
from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

DOWNLOAD_BYTES = 5_000_000  # two chunks

CELLS = [
    """
import ipywidgets as widgets
import numpy as np
from IPython.display import display
from vaist_lab.ui.components import AudioPlayer, Axis, Download, LogView, Panel, ResponsePlot, Series

frequency = np.geomspace(10.0, 24000.0, 4000)
time_ms = np.linspace(0.0, 50.0, 2400)

def panels(cutoff):
    s = 1j * frequency / cutoff
    response = 1.0 / (s * s + 1.414 * s + 1.0)
    magnitude = 20.0 * np.log10(np.abs(response))
    decay = np.exp(-time_ms / 5.0) * np.sin(2.0 * np.pi * cutoff / 1000.0 * time_ms)
    log_axis = Axis("Frequency", "log", 20.0, 24000.0, "Hz")
    return [
        Panel("Magnitude", log_axis, Axis("Magnitude", "linear", -60.0, 6.0, "dB"),
              [Series("magnitude", frequency, magnitude), Series("target", frequency, magnitude + 1.0, dash=True)]),
        Panel("Phase", log_axis, Axis("Phase", "linear", None, None, "deg"),
              [Series("phase", frequency, np.degrees(np.unwrap(np.angle(response))))]),
        Panel("Impulse response", Axis("Time", "linear", 0.0, 50.0, "ms"), Axis("Amplitude", "linear", None, None),
              [Series("left", time_ms, decay), Series("right", time_ms, 0.5 * decay)]),
        Panel("Group delay", log_axis, Axis("Delay", "linear", None, None, "ms"),
              [Series("delay", frequency, 1000.0 / (2.0 * np.pi * cutoff) / (1.0 + (frequency / cutoff) ** 2))]),
        Panel("Static curve", Axis("Input", "linear", -60.0, 0.0, "dBFS"), Axis("Output", "linear", None, None, "dBFS"),
              [Series("chain", np.linspace(-60, 0, 200), np.minimum(np.linspace(-60, 0, 200), -12.0))]),
        Panel("Envelope", Axis("Time", "linear", 0.0, 50.0, "ms"), Axis("Peak", "linear", 0.0, None),
              [Series("output", time_ms, np.abs(decay))]),
    ]

plot = ResponsePlot(columns=2, height_px=200)
plot.show(panels(1000.0))
replot = widgets.Button(description="Replot")
replot.add_class("test-replot")
replot.on_click(lambda _: plot.show(panels(1000.0 + 100.0 * plot.revision)))
display(replot, plot)
""",
    """
rate = 48000
seconds = np.arange(2 * rate) / rate
dry = np.stack([np.sin(2 * np.pi * 220 * seconds), np.sin(2 * np.pi * 330 * seconds)]) * 0.1
player = AudioPlayer()
player.set_clips(rate, {"dry": dry, "wet": 0.5 * dry[:1]}, labels={"dry": "Dry", "wet": "Wet"})
player.selected = "wet"
display(player)
""",
    """
log = LogView(max_lines=500)
def line(number, level="info", **fields):
    return {"id": number, "level": level, "source": "compiler", "platform": "linux", "message": f"step {number}",
            **fields}
log.append([line(number) for number in range(40)])
log.append([line("e", "error", file="Source/PluginProcessor.cpp", line=42, column=7,
                 message="error: use of undeclared identifier 'gain'")])
stream = widgets.Button(description="Stream")
stream.add_class("test-stream")
stream.on_click(lambda _: [log.append([line(n) for n in range(start, start + 100)]) for start in range(100, 1300, 100)])
display(stream, log, log)  # two views of one log: each must show every line once
""",
    f"""
payload = np.random.default_rng(7).integers(0, 256, {DOWNLOAD_BYTES}, dtype=np.uint8).tobytes()
download = Download(label="Download project")
download.on_request(lambda: download.deliver("Echo project.zip", payload))
display(download)
""",
]


@pytest.fixture(scope="module")
def components_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    """A notebook of the four components with sample data, served like the app."""
    folder = tmp_path_factory.mktemp("components")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell.strip()) for cell in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / "components.ipynb")
    served = ServedApp.start(
        serve_arguments(folder / "components.ipynb"), folder / "serve.log", app_environment(folder / "data")
    )
    yield served
    served.stop()


@pytest.fixture(scope="module")
def page(browser: Browser, components_app: ServedApp) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, device_scale_factor=2, accept_downloads=True)
    page = context.new_page()
    page.goto(components_app.url, timeout=180_000)
    try:
        page.wait_for_selector("[data-testid=vaist-plot][data-drawn-revision='1']", timeout=180_000)
    except PlaywrightTimeout:  # most likely a cell failed
        pytest.fail(
            f"the plot was never drawn; the page ends with:\n{page.inner_text('body')[-3000:]}\n"
            f"{components_app.log_tail()}"
        )
    yield page
    context.close()


def test_six_panels_are_drawn_in_a_few_milliseconds(page: Page) -> None:
    plot = page.locator("[data-testid=vaist-plot]")
    assert page.locator("[data-testid=vaist-plot-panel]").count() == 6
    draw_ms = []
    for revision in range(2, 7):
        page.click(".test-replot")
        page.wait_for_selector(f"[data-testid=vaist-plot][data-drawn-revision='{revision}']", timeout=10_000)
        draw_ms.append(float(plot.get_attribute("data-draw-ms")))
    print(f"6-panel draw times (ms): {draw_ms}")
    assert sorted(draw_ms)[len(draw_ms) // 2] < 30.0  # the median; a loaded test machine has outliers
    colours = page.eval_on_selector(
        "[data-testid=vaist-plot-canvas]",
        """canvas => {
            const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            const seen = new Set();
            for (let index = 0; index < data.length; index += 4 * 7) seen.add(data.slice(index, index + 4).join());
            return seen.size;
        }""",
    )
    assert colours > 20  # grid, labels and anti-aliased lines, not a blank canvas


def test_the_player_switches_clips_while_playing(page: Page) -> None:
    player = page.locator("[data-testid=vaist-player]")
    page.wait_for_selector("[data-testid=vaist-player][data-clips-version]", timeout=30_000)
    assert player.get_attribute("data-selected") == "wet"
    page.click("[data-testid=vaist-player-play]")
    page.wait_for_selector("[data-testid=vaist-player][data-playing=true]", timeout=10_000)
    assert float(player.get_attribute("data-first-sound-ms")) > 0
    page.click("[data-testid=vaist-player-clip][data-clip=dry]")
    assert player.get_attribute("data-selected") == "dry"
    assert player.get_attribute("data-playing") == "true"
    player.focus()
    page.keyboard.press("2")
    assert player.get_attribute("data-selected") == "wet"
    page.keyboard.press("Space")
    assert player.get_attribute("data-playing") == "false"


def wait_until_every_log_view_ends_with(page: Page, last_id: str, lines: int) -> None:
    """Waits for the whole stream, not just the line count: the count tops out at max_lines mid-stream."""
    page.wait_for_function(
        """([lastId, lines]) => [...document.querySelectorAll('[data-testid=vaist-log]')].every(view => {
            const rows = view.querySelectorAll('[data-testid=vaist-log-line]');
            return view.dataset.lineCount === String(lines) && rows[rows.length - 1]?.dataset.id === lastId;
        })""",
        arg=[last_id, lines],
        timeout=30_000,
    )


def test_the_log_streams_every_line_once_into_every_view(page: Page) -> None:
    views = page.locator("[data-testid=vaist-log]")
    assert views.count() == 2
    wait_until_every_log_view_ends_with(page, "e", 41)
    assert (
        views.first.locator("[data-testid=vaist-log-first-error]")
        .inner_text()
        .startswith("Source/PluginProcessor.cpp:42:7")
    )
    page.click(".test-stream")
    wait_until_every_log_view_ends_with(page, "1299", 500)
    for index in range(2):
        view = views.nth(index)
        assert view.locator("[data-testid=vaist-log-line]").count() == 500
        assert view.locator("[data-testid=vaist-log-earlier]").inner_text() == "741 earlier lines not shown"
        ids = view.locator("[data-testid=vaist-log-line]").evaluate_all("rows => rows.map(row => row.dataset.id)")
        assert ids == [str(number) for number in range(800, 1300)]


def test_download_saves_the_bytes_python_delivers(page: Page) -> None:
    with page.expect_download(timeout=30_000) as started:
        page.click("[data-testid=vaist-download-button]")
    download = started.value
    assert download.suggested_filename == "Echo project.zip"
    saved = Path(download.path()).read_bytes()
    payload = np.random.default_rng(7).integers(0, 256, DOWNLOAD_BYTES, dtype=np.uint8).tobytes()  # as the kernel's
    assert len(saved) == DOWNLOAD_BYTES
    assert hashlib.sha256(saved).hexdigest() == hashlib.sha256(payload).hexdigest()
    page.wait_for_selector(
        "[data-testid=vaist-download-status]:has-text('saved Echo project.zip (5.0 MB)')", timeout=10_000
    )
