"""pytest skips folders named like build output (its default norecursedirs has "build"): tests/build went
unrun that way. Every test module on disk must be collected by the plain `pytest` run CI uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_test_module_is_collected() -> None:
    listing = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-qq", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listing.returncode == 0, listing.stdout[-2000:] + listing.stderr[-2000:]
    collected = {line.split(":")[0] for line in listing.stdout.splitlines() if line.startswith("tests/")}
    on_disk = {path.relative_to(ROOT).as_posix() for path in (ROOT / "tests").rglob("test_*.py")}
    assert on_disk - collected == set()
