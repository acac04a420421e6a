"""Browser tests: the workbench served by `vaist-lab serve` as a user meets it, in Chromium driven by Playwright.
Skipped, with the reason, where Chromium is missing. Every test saves a screenshot per step (and one when it
fails) under test-artifacts/screenshots/<test>/. The Playwright driver is tests/conftest.py's, one for the whole
session (a second sync driver cannot start while one runs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_harness import (
    OfflineGuard,
    Screenshots,
    ServedApp,
    app_environment,
    launch_chromium,
    screenshot_folder,
    serve_arguments,
)
from playwright.sync_api import Browser, Page, Playwright

FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed  # the page fixture takes a last screenshot then
    return report


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = launch_chromium(playwright)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new visitor (nothing cached, downloads allowed) that cannot reach beyond this machine."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    guard = OfflineGuard(page)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    if request.node.stash.get(FAILED, False):
        folder = screenshot_folder(request.node.name)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / "failure.png", full_page=True)
        print("page errors:", *errors, sep="\n  ")
    context.close()
    assert guard.refused == [], f"requests beyond this machine: {guard.refused}"


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots.for_test(page, request.node.name)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    """The workbench, served once for the session's tests."""
    work = tmp_path_factory.mktemp("app")
    served = ServedApp.start(serve_arguments(), work / "serve.log", app_environment(work / "data"))
    yield served
    served.stop()
