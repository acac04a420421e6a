"""How long the workbench makes a musician wait, measured in Chromium against `vaist-lab serve`:

    python benchmarks/bench_ui.py [--loads 5] [--parts load,slider,sound,stream,log] [--voila-option=--X.y=z ...]

- load: navigation to interactive (the dashboard's create button shown), each time in a new browser context
  (a new visitor: nothing cached), the server idle before each visit. Side by side in one run: a kernel started
  for the visit (preheat_kernel off; goal <= 3 s) and a preheated one (on; goal <= 1.5 s), voila.json's other
  settings unchanged. Without `vaist_lab.ui.Workbench` (not written yet) a stand-in notebook is measured: the
  widgets and the service and model packages the workbench imports, and a create button.
- slider: per template (8), a project from the template, the Sound tab, a slider moved with the keyboard; from
  the key press to the plot's data-drawn-revision increasing (goal <= 150 ms median).
- sound: press play; the player's own data-first-sound-ms (goal <= 300 ms) and click -> data-playing true.
- stream: the log view's capacity: 5000 lines from a kernel thread, one message each, into an open view; lines
  per second until its data-line-count shows them all, and every line shown once (distinct rows).
- log: a real build streamed into the open Build tab (the local builder, the user's build cache): the view's
  data-line-count against the lines the service stored.

Figures and ratios to the goals; nothing is asserted. Uses a temporary data folder (projects), not the user's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from vaist_lab.plan.io import load_template, template_names

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))
from browser_harness import (  # shared with the browser tests
    ROOT,
    ServedApp,
    back_to_dashboard,
    chromium_missing,
    create_project,
    launch_chromium,
    open_tab,
    serve_arguments,
    wait_for,
    write_notebook,
)

LOAD_GOAL_S = 3.0
PREHEATED_LOAD_GOAL_S = 1.5
PLOT_GOAL_MS = 150.0
FIRST_SOUND_GOAL_MS = 300.0
INTERACTIVE = ".vaist-workbench .vaist-create"
STAND_IN = """\
import ipywidgets
import anywidget
import vaist_lab.service
import vaist_lab.dsp.responses

create = ipywidgets.Button(description="Create")
create.add_class("vaist-create")
root = ipywidgets.VBox([ipywidgets.Text(description="Name"), create])
root.add_class("vaist-workbench")
root
"""

STREAM_LINES = 5000
STREAM = """\
import threading
import ipywidgets
from vaist_lab.ui.components import LogView

view = LogView(max_lines={lines})
start = ipywidgets.Button(description="Stream")
start.add_class("vaist-create")
def stream():
    for number in range({lines}):
        view.append([{{"id": number, "level": "info", "source": "compiler", "message": f"line {{number}}"}}])
start.on_click(lambda _: threading.Thread(target=stream).start())
root = ipywidgets.VBox([start, view])
root.add_class("vaist-workbench")
root
"""

# In-page probes: the time (performance.now) of a key press or click, and of an attribute reaching a value, so
# that the figures are the browser's and not Playwright's round trips.
RECORD_INPUT = """() => {
  window.__vaistInput = undefined;
  const record = () => { window.__vaistInput ??= performance.now(); };
  document.addEventListener("keydown", record, {capture: true, once: true});
  document.addEventListener("pointerdown", record, {capture: true, once: true});
}"""
WATCH_ATTRIBUTE = """([selector, name, test]) => {
  window.__vaistChanged = undefined;
  const element = document.querySelector(selector);
  const passes = new Function("value", "return " + test);
  const observer = new MutationObserver(() => {
    if (passes(element.getAttribute(name))) { window.__vaistChanged = performance.now(); observer.disconnect(); }
  });
  observer.observe(element, {attributes: true, attributeFilter: [name]});
}"""


def ratio(value: float, goal: float) -> str:
    return f"{value / goal:.2f}x goal"


def workbench_importable() -> bool:
    try:
        from vaist_lab.ui import Workbench  # noqa: F401
    except ImportError:
        return False
    return True


def timed_until_attribute(page: Page, selector: str, name: str, test: str, act: Callable[[], None]) -> float:
    """Milliseconds from the input `act` makes to the attribute passing `test` (a JS expression of `value`)."""
    page.evaluate(RECORD_INPUT)
    page.evaluate(WATCH_ATTRIBUTE, [selector, name, test])
    act()
    page.wait_for_function("window.__vaistChanged !== undefined && window.__vaistInput !== undefined", timeout=30000)
    return page.evaluate("window.__vaistChanged - window.__vaistInput")


def refill_delay() -> float:
    """How long Voila waits before refilling its pool of preheated kernels after a visit took one."""
    settings = json.loads((ROOT / "voila.json").read_text(encoding="utf-8"))
    return float(settings.get("VoilaKernelManager", {}).get("fill_delay", 1.0))


def measure_loads(browser: Browser, app: ServedApp, loads: int) -> list[float]:
    seconds = []
    for _ in range(loads):
        app.settle(at_least=refill_delay() + 1.0)  # a visitor finds the pool full and the machine idle
        context = browser.new_context()
        page = context.new_page()
        start = time.perf_counter()
        page.goto(app.url, wait_until="commit")  # the page streams as the notebook runs: "load" comes last
        page.locator(INTERACTIVE).wait_for(state="visible", timeout=120000)
        seconds.append(time.perf_counter() - start)
        context.close()  # the page's kernel is shut down
    return seconds


def bench_load(browser: Browser, env: dict[str, str], work: Path, loads: int, options: Sequence[str]) -> None:
    notebook = None
    if not workbench_importable():
        notebook = write_notebook(work / "stand-in" / "app.ipynb", STAND_IN)
        print("vaist_lab.ui.Workbench not importable: measuring a stand-in notebook (widgets, service, model)")
    print(f"page load to interactive, {loads} new visitors each (median, min-max):")
    for label, preheat, goal in (
        ("kernel on request", "False", LOAD_GOAL_S),
        ("preheated", "True", PREHEATED_LOAD_GOAL_S),
    ):
        voila_options = [f"--VoilaConfiguration.preheat_kernel={preheat}", *options]
        app = ServedApp.start(serve_arguments(notebook=notebook, voila_options=voila_options), work / "load.log", env)
        try:
            seconds = measure_loads(browser, app, loads)
        finally:
            app.stop()
        median = statistics.median(seconds)
        print(f"  {label:<18} {median:5.2f} s ({min(seconds):.2f}-{max(seconds):.2f})  {ratio(median, goal)}")


def bench_slider(page: Page, templates: Sequence[str], moves: int) -> None:
    print(f"slider release to updated plot, {moves} keyboard moves per template (median, max):")
    medians = []
    for template in templates:
        create_project(page, f"bench {template}", template_label=load_template(template).plugin_name)
        open_tab(page, "Sound")
        handle = page.locator(".vaist-slider .noUi-handle, .vaist-slider .ui-slider-handle").first
        handle.wait_for(state="visible")
        page.locator(".vaist-plot[data-drawn-revision]").wait_for(state="attached")
        times = []
        for move in range(moves):
            before = int(page.get_attribute(".vaist-plot", "data-drawn-revision") or -1)
            press = partial(handle.press, "PageUp" if move % 2 == 0 else "PageDown")
            times.append(
                timed_until_attribute(page, ".vaist-plot", "data-drawn-revision", f"Number(value) > {before}", press)
            )
        medians.append(statistics.median(times))
        print(f"  {template:<16} {medians[-1]:6.0f} ms (max {max(times):.0f})  {ratio(medians[-1], PLOT_GOAL_MS)}")
        back_to_dashboard(page)
    overall = statistics.median(medians)
    print(f"  {'all templates':<16} {overall:6.0f} ms  {ratio(overall, PLOT_GOAL_MS)}")


def bench_sound(page: Page, plays: int) -> None:
    create_project(page, "bench sound", template_label="TapeEcho")
    open_tab(page, "Sound")
    player = ".vaist-listen .vaist-player"
    page.locator(player).wait_for(state="visible")
    first_sound, playing = [], []
    for _ in range(plays):
        if page.get_attribute(player, "data-playing") == "true":
            page.click(f"{player} .vaist-player-play")  # stop
            wait_for(lambda: page.get_attribute(player, "data-playing") != "true", 10, "the player to stop")
        playing.append(
            timed_until_attribute(
                page, player, "data-playing", "value === 'true'", lambda: page.click(f"{player} .vaist-player-play")
            )
        )
        first_sound.append(float(page.get_attribute(player, "data-first-sound-ms") or "nan"))
    median = statistics.median(first_sound)
    print(f"time to first sound, {plays} plays (median): {median:.0f} ms  {ratio(median, FIRST_SOUND_GOAL_MS)}")
    print(f"  click -> data-playing true: {statistics.median(playing):.0f} ms (max {max(playing):.0f})")
    back_to_dashboard(page)


def bench_stream(browser: Browser, env: dict[str, str], work: Path, lines: int) -> None:
    notebook = write_notebook(work / "stream" / "stream.ipynb", STREAM.format(lines=lines))
    app = ServedApp.start(serve_arguments(notebook=notebook), work / "stream.log", env)
    try:
        page = browser.new_page()
        page.goto(app.url, wait_until="commit")
        page.locator(INTERACTIVE).wait_for(state="visible", timeout=120000)
        start = partial(page.click, ".vaist-create")
        milliseconds = timed_until_attribute(page, ".vaist-log", "data-line-count", f"Number(value) >= {lines}", start)
        shown = int(page.get_attribute(".vaist-log", "data-line-count") or 0)
        rows = page.evaluate(
            "new Set([...document.querySelectorAll('.vaist-log [data-testid=vaist-log-line]')].map(r => r.dataset.id))"
            ".size"
        )
        page.close()
    finally:
        app.stop()
    verdict = "every line once" if shown == lines == rows else f"{shown} counted, {rows} distinct rows"
    print(f"log view capacity: {lines} lines, one message each, in {milliseconds / 1000:.1f} s")
    print(f"  {lines / milliseconds * 1000:.0f} lines/s, {verdict}")


def bench_log(page: Page) -> None:
    from vaist_lab.service import Lab

    create_project(page, "bench log", template_label="TapeEcho")
    page.click(".vaist-approve")
    open_tab(page, "Build")
    page.click(".vaist-build-start")
    log = page.locator(".vaist-log")
    start = time.perf_counter()
    wait_for(lambda: page.inner_text(".vaist-status").strip() in ("SUCCESS", "FAILED"), 900, "the build to end", 0.2)
    wait_for(lambda: int(log.get_attribute("data-line-count") or 0) > 0, 30, "log lines")
    seconds = time.perf_counter() - start
    shown = int(log.get_attribute("data-line-count") or 0)
    with Lab.open() as lab:
        user = lab.local_user()
        stored = len(lab.get_logs(user, lab.find_project(user, "bench log").id))
    verdict = "every line once" if shown == stored else f"LOST or doubled: {shown - stored:+d}"
    print(f"log lines into the open view: {shown} shown / {stored} stored in {seconds:.0f} s of build")
    print(f"  {shown / seconds:.0f} lines/s, {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=5, help="Page loads per setting.")
    parser.add_argument("--moves", type=int, default=7, help="Slider moves per template.")
    parser.add_argument("--plays", type=int, default=5)
    parser.add_argument("--parts", default="load,slider,sound,stream,log", help="Measurements, comma-separated.")
    parser.add_argument("--voila-option", action="append", default=[], help="A further Voila setting for the loads.")
    arguments = parser.parse_args()
    parts = set(arguments.parts.split(","))
    if reason := chromium_missing():
        sys.exit(reason)
    with tempfile.TemporaryDirectory(prefix="vaist-bench-ui-") as scratch, sync_playwright() as playwright:
        work = Path(scratch)
        env = {"VAIST_DATA_DIR": str(work / "data"), "VAIST_PLANNER_MODEL": "offline"}
        os.environ.update(env)  # the log part reads the stored lines through the service
        browser = launch_chromium(playwright)
        if "load" in parts:
            bench_load(browser, env, work, arguments.loads, arguments.voila_option)
        if parts & {"slider", "sound", "stream", "log"} and not workbench_importable():
            sys.exit("the slider, sound, stream and log parts need vaist_lab.ui (the workbench)")
        if "stream" in parts:
            bench_stream(browser, env, work, STREAM_LINES)
        if parts & {"slider", "sound", "log"}:
            app = ServedApp.start(serve_arguments(), work / "serve.log", env)
            try:
                page = browser.new_context().new_page()
                page.goto(app.url, wait_until="commit")
                page.locator(INTERACTIVE).wait_for(state="visible", timeout=120000)
                if "slider" in parts:
                    bench_slider(page, template_names(), arguments.moves)
                if "sound" in parts:
                    bench_sound(page, arguments.plays)
                if "log" in parts:
                    bench_log(page)
            finally:
                app.stop()
        browser.close()


if __name__ == "__main__":
    main()
