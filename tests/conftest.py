import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from collected import pytest_itemcollected  # noqa: F401 (a hook: test_collection.py reads what it records)
from playwright.sync_api import Playwright, sync_playwright

from vaist_lab.config import cache_dir
from vaist_lab.plan.io import TEMPLATES, load_template


@pytest.fixture
def tape_echo() -> dict[str, Any]:
    """The tape-echo template as plain JSON, to be edited by a test."""
    return copy.deepcopy(json.loads((TEMPLATES / "tape-echo.json").read_text()))


@pytest.fixture(scope="session")
def shared_build_root() -> Path:
    """Where each plugin's build folder lives, kept between test sessions so reruns are incremental:
    $VAIST_TEST_BUILD_DIR, else <cache>/test-builds."""
    return Path(os.environ.get("VAIST_TEST_BUILD_DIR") or cache_dir() / "test-builds")


@pytest.fixture(scope="session")
def template_plugin(tmp_path_factory: pytest.TempPathFactory, shared_build_root: Path) -> Callable[[str], Path]:
    """Build a template into a VST3 (once per session, in the shared build folder); its bundle path."""
    from vaist_lab.build import LocalBuilder, run_build
    from vaist_lab.codegen import generate_project

    built: dict[str, Path] = {}

    def build(name: str) -> Path:
        if name not in built:
            work = tmp_path_factory.mktemp(name)
            plan = load_template(name)
            project = generate_project(plan, work / "project")
            finished = run_build(LocalBuilder(build_dir=shared_build_root / plan.plugin_name), project, work / "out")
            assert finished.success, f"{name}: {finished.message}\n" + "\n".join(map(str, finished.errors))
            assert finished.artifact is not None
            built[name] = finished.artifact
        return built[name]

    return build


Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """`vaist-lab` in a process of its own, in tmp_path, on a temporary data folder and cache, with none of the
    caller's planner settings or keys (so the offline planner answers)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VAIST_", "GEMINI_", "GOOGLE_", "ANTHROPIC_", "OPENAI_"))
    }
    environment |= {"VAIST_DATA_DIR": str(tmp_path / "data"), "VAIST_CACHE_DIR": str(tmp_path / "cache")}

    def call(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "vaist_lab", *args],
            capture_output=True,
            text=True,
            input=stdin,
            env=environment,
            cwd=tmp_path,
            timeout=300,
        )
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        return result

    return call


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """One Playwright driver for every browser test of the session (tests/browser, tests/hub): its sync API runs
    an event loop on this thread, so a second driver cannot start while the first is open."""
    sys.path.insert(0, str(Path(__file__).parent / "browser"))
    from browser_harness import chromium_missing

    if reason := chromium_missing():
        pytest.skip(reason)
    with sync_playwright() as driver:
        yield driver
