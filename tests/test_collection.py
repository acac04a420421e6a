"""pytest skips folders named like build output (its default norecursedirs has "build"): tests/build went
unrun that way. Every test module on disk must be collected by the plain `pytest` run CI uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from collected import COLLECTED_MODULES

ROOT = Path(__file__).resolve().parent.parent


def modules_the_plain_run_collects(config: pytest.Config) -> set[str]:
    """This session's own collection (before any -k) when it is the plain run (no paths given: the ini's
    testpaths), else a `pytest --collect-only` of its own (collecting the whole suite takes a quarter minute)."""
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        return {path.relative_to(ROOT).as_posix() for path in config.stash[COLLECTED_MODULES]}
    listing = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-qq", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listing.returncode == 0, listing.stdout[-2000:] + listing.stderr[-2000:]
    return {line.split(":")[0] for line in listing.stdout.splitlines() if line.startswith("tests/")}


def test_every_test_module_is_collected(pytestconfig: pytest.Config) -> None:
    on_disk = {path.relative_to(ROOT).as_posix() for path in (ROOT / "tests").rglob("test_*.py")}
    assert on_disk - modules_the_plain_run_collects(pytestconfig) == set()
