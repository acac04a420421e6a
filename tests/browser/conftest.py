"""Browser tests: the workbench served by `vaist-lab serve` as a user meets it, in Chromium driven by Playwright.
Skipped, with the reason, where Chromium is missing. Every test saves a screenshot per step (and one when it
fails) under test-artifacts/screenshots/<test>/. The Playwright driver is tests/conftest.py's, one for the whole
session (a second sync driver cannot start while one runs)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def new_visitor(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A new visitor (nothing cached, downloads allowed) that cannot reach beyond this machine: its page and the
    page's script errors."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    guard = OfflineGuard(page)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, errors
    context.close()
    assert guard.refused == [], f"requests beyond this machine: {guard.refused}"


def keep_what_failed(page: Page, errors: list[str], request: pytest.FixtureRequest) -> None:
    if request.node.stash.get(FAILED, False):
        folder = screenshot_folder(request.node.name)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / "failure.png", full_page=True)
        print("page errors:", *errors, sep="\n  ")


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new visitor for the test (see new_visitor), with a screenshot when it fails."""
    with new_visitor(browser) as (page, errors):
        yield page
        keep_what_failed(page, errors, request)


@pytest.fixture(scope="module")
def module_visitor(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    with new_visitor(browser) as visitor:
        yield visitor


@pytest.fixture
def module_page(module_visitor: tuple[Page, list[str]], request: pytest.FixtureRequest) -> Iterator[Page]:
    """One visitor for all the tests of a module that each start from the dashboard: every page load takes a
    kernel of its own, 5-20 s on two cores. A screenshot when a test fails."""
    page, errors = module_visitor
    yield page
    keep_what_failed(page, errors, request)


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
