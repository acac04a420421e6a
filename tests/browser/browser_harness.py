"""What the browser tests and benchmarks/bench_ui.py share: `vaist-lab serve` in a subprocess, Chromium driven by
Playwright, screenshots per step, and helpers for the ipywidgets the workbench is made of. A module of its own
(not conftest.py) so that the benchmark can import it too."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil
from playwright.sync_api import Browser, Locator, Page, Playwright, Route

from vaist_lab.config import cache_dir

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVE_TIMEOUT = 180.0  # a cold start imports the notebook stack and, preheated, runs the notebook once
PLANNER_TIMEOUT = 60.0  # the offline planner answers in well under a second; a loaded machine is slower


def chromium_missing() -> str:
    """Why the browser tests cannot run here, or ''."""
    if not CHROMIUM.is_file():
        return f"Chromium not found at {CHROMIUM} (.ci/install installs Debian's chromium)"
    return ""


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_arguments(notebook: Path | None = None, voila_options: Sequence[str] = ()) -> list[str]:
    """`serve` on a free port: the workbench or `notebook`, with voila.json's settings and `voila_options`."""
    arguments = ["serve", "--no-browser", "--port", str(free_port())]
    if notebook is not None:
        arguments += ["--notebook", str(notebook)]
    return [*arguments, "--", *voila_options] if voila_options else arguments


def app_environment(data_dir: Path, **more: str) -> dict[str, str]:
    """A new user's data folder; the suite's build cache (the JUCE module archive is reused); the offline
    planner unless the user picks another in the settings; a Gemini endpoint where nothing listens."""
    return {
        "VAIST_DATA_DIR": str(data_dir),
        "VAIST_CACHE_DIR": str(cache_dir()),
        "VAIST_PLANNER_MODEL": "offline",
        "VAIST_GEMINI_BASE_URL": "http://127.0.0.1:9",
        **more,
    }


def write_notebook(path: Path, source: str) -> Path:
    """A one-cell notebook, as notebooks/app.ipynb is."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    notebook.metadata.update(kernelspec={"name": "python3", "display_name": "Python 3", "language": "python"})
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def ctrl_c_as_in_a_terminal() -> None:
    """SIGINT back to its default in the server, as a terminal's foreground job has it: a suite started as a
    background job (`.ci/run &`) ignores SIGINT, its children inherit that, and Ctrl-C would never reach them."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass
class ServedApp:
    """`vaist-lab serve` running in a subprocess; `url` is the line it printed once the server answered."""

    process: subprocess.Popen[str]
    url: str
    log: Path

    @classmethod
    def start(cls, arguments: Sequence[str], log: Path, env: Mapping[str, str] | None = None) -> ServedApp:
        """Run `vaist-lab <arguments>` (stderr into `log`) and wait for the URL it prints."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "vaist_lab", *arguments],
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                env={**os.environ, **(env or {})},
                preexec_fn=ctrl_c_as_in_a_terminal,
            )
        first_line: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: first_line.put(process.stdout.readline()), daemon=True).start()
        try:
            url = first_line.get(timeout=SERVE_TIMEOUT).strip()
        except queue.Empty:
            url = ""
        app = cls(process, url, log)
        if not url.startswith("http"):
            app.stop()
            raise RuntimeError(
                f"vaist-lab {arguments[0]} printed no URL within {SERVE_TIMEOUT:.0f} s:\n{app.log_tail()}"
            )
        return app

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def children(self) -> list[psutil.Process]:
        """Its kernels (and what they started)."""
        with contextlib.suppress(psutil.NoSuchProcess):
            return psutil.Process(self.process.pid).children(recursive=True)
        return []

    def settle(self, at_least: float = 0.0, quiet_cpu_percent: float = 10.0, timeout: float = 120.0) -> None:
        """Wait `at_least` seconds (Voila refills its pool of preheated kernels after a delay), then until the
        server and its kernels are idle (a kernel filling the pool, a closed page's kernel shutting down), so
        that a measurement does not share the CPU with them."""
        time.sleep(at_least)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            processes = [psutil.Process(self.process.pid), *self.children()]
            with contextlib.suppress(psutil.NoSuchProcess):
                for process in processes:
                    process.cpu_percent(None)
                time.sleep(0.5)
                if sum(process.cpu_percent(None) for process in processes) < quiet_cpu_percent:
                    return

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, as a service manager stops it; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        return self.process.returncode


def screenshot_folder(test_name: str) -> Path:
    return SCREENSHOTS / re.sub(r"[^\w.-]+", "-", test_name).strip("-")


@dataclass
class Screenshots:
    """`shot("typed prompt")` saves test-artifacts/screenshots/<test>/<nn-typed-prompt>.png."""

    page: Page
    folder: Path
    taken: list[Path] = field(default_factory=list)

    @classmethod
    def for_test(cls, page: Page, test_name: str) -> Screenshots:
        folder = screenshot_folder(test_name)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return cls(page, folder)

    def __call__(self, step: str) -> Path:
        path = self.folder / f"{len(self.taken) + 1:02d}-{re.sub(r'[^a-z0-9]+', '-', step.lower()).strip('-')}.png"
        self.page.screenshot(path=path, full_page=True)
        self.taken.append(path)
        return path


@dataclass
class OfflineGuard:
    """Aborts and records every request that leaves this machine: the app must work offline (no CDN)."""

    page: Page
    refused: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.route(re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/]|data:|blob:)"), self._refuse)

    def _refuse(self, route: Route) -> None:
        self.refused.append(route.request.url)
        route.abort()


# -- the workbench's widgets ------------------------------------------------------------------------------


def open_tab(page: Page, title: str) -> None:
    """Click a tab of the workbench (an ipywidgets Tab: Lumino tab bar)."""
    page.locator(".vaist-tabs .lm-TabBar-tab", has_text=re.compile(rf"^\s*{re.escape(title)}\s*$")).click()


def nudge_slider(slider: Locator, key: str = "PageUp") -> None:
    """Move an ipywidgets slider with the keyboard: its handle takes focus and arrow/page keys."""
    handle = slider.locator(".noUi-handle, .ui-slider-handle").first
    handle.focus()
    handle.press(key)


def select_containing(select: Locator, text: str) -> str:
    """Choose the first option whose label contains `text` (case-insensitive); its label."""
    labels = select.locator("option").all_inner_texts()
    label = next((label for label in labels if text.lower() in label.lower()), None)
    if label is None:
        raise AssertionError(f"no option containing {text!r} in {labels}")
    select.select_option(label=label)
    return label


def open_workbench(page: Page, url: str) -> None:
    """Visit the app and wait for the dashboard (the page streams while the notebook runs: no "load" wait)."""
    page.goto(url, wait_until="commit")
    page.locator(".vaist-workbench .vaist-dashboard").wait_for(state="visible", timeout=SERVE_TIMEOUT * 1000)


def button(scope: Page | Locator, selector: str) -> Locator:
    """The element itself when it is a button, else the button inside it (a widget's class sits on its root)."""
    return scope.locator(f":is({selector}):is(button), :is({selector}) button").first


def create_project(page: Page, name: str, prompt: str = "", template_label: str | None = None) -> None:
    """On the dashboard: a new project from words (the planner answers first) or from the template whose option
    contains `template_label`; returns once the project is open."""
    page.fill(".vaist-new-prompt textarea", prompt)
    page.fill(".vaist-new-name input", name)
    if template_label:
        select_containing(page.locator(".vaist-new-template select"), template_label)
    button(page, ".vaist-create").click()
    page.locator(".vaist-tabs").wait_for(state="visible", timeout=PLANNER_TIMEOUT * 1000)


def open_project(page: Page, name: str) -> None:
    """On the dashboard: open the card of project `name`."""
    button(page.locator(".vaist-card", has_text=name), ".vaist-card-open").click()
    page.locator(".vaist-tabs").wait_for(state="visible")


def back_to_dashboard(page: Page) -> None:
    button(page, ".vaist-back").click()
    page.locator(".vaist-dashboard").wait_for(state="visible")


def int_attribute(locator: Locator, name: str) -> int:
    value = locator.get_attribute(name)
    return int(value) if value not in (None, "") else -1


def wait_for_attribute_above(locator: Locator, name: str, floor: int, timeout: float) -> int:
    """Poll an integer data attribute until it exceeds `floor`; its value."""
    wait_for(lambda: int_attribute(locator, name) > floor, timeout, f"{name} above {floor}", interval=0.02)
    return int_attribute(locator, name)


def wait_for(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll `condition()` until true (AssertionError naming `what` on timeout)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
