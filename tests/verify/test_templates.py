"""Every template builds into a VST3 that a real host loads and that passes `vaist-lab verify`: the
plan's parameters, fidelity to the NumPy model at 44.1/48/96 kHz and block sizes 1-4096, fuzzing, state."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from vaist_lab.build import LocalBuilder
from vaist_lab.plan.io import load_template, template_names
from vaist_lab.verify import verify_plugin

pytestmark = pytest.mark.skipif(
    LocalBuilder().check() != [],
    reason="the local builder's tools or JUCE are missing: " + "; ".join(LocalBuilder().check()),
)


@pytest.mark.parametrize("name", template_names())
def test_template_builds_and_verifies(
    name: str, template_plugin: Callable[[str], Path], record_fidelity: Callable[[str, float], None]
) -> None:
    plugin = template_plugin(name)
    report = verify_plugin(load_template(name), plugin)
    record_fidelity(name, report.worst_db())
    assert report.passed, report.table()
    assert {result.check for result in report.results} == {"parameters", "state", "fidelity", "fuzz"}


def test_verify_command_reports_and_fails_on_a_mismatched_plan(
    template_plugin: Callable[[str], Path], tmp_path: Path
) -> None:
    plugin = template_plugin("tape-echo")
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "vaist_lab",
            "verify",
            "tape-echo",
            str(plugin),
            "--json",
            str(tmp_path / "report.json"),
            "--level",
            "workbench",  # the full level is test_template_builds_and_verifies[tape-echo]'s
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().endswith("PASS")
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["passed"] and report["worst_fidelity_db"] <= -90
    block_sizes = {result["case"].split(", ")[1] for result in report["results"] if result["check"] == "fidelity"}
    assert block_sizes == {"block 64", "block 512"}
    wrong = subprocess.run(
        [sys.executable, "-m", "vaist_lab", "verify", "warm-drive", str(plugin)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert wrong.returncode == 1
    assert "FAIL" in wrong.stdout and "Traceback" not in wrong.stderr


def test_verify_refuses_what_is_not_a_plugin(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vaist_lab", "verify", "tape-echo", str(tmp_path / "nope.vst3")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "no such plugin" in result.stderr and "Traceback" not in result.stderr
