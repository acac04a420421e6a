"""Notebooks made by vaist_lab.notebook: a stored project exported with `vaist-lab project export-notebook` runs
top to bottom in a real kernel, and the example notebooks are exactly what their generator makes.

The exported notebook runs here without its build and verification (--no-build): those cells are the same the
example notebooks run under nbval (notebooks/examples: each builds its plugin, verifies it, shows the
verification table and checks `report.passed`), and here they would compile a new build folder on every run
(a project's plugin code comes from its random id)."""

from __future__ import annotations

import importlib
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode

from vaist_lab.notebook import NotebookError, execute_notebook, plan_notebook
from vaist_lab.plan.io import load_template

ROOT = Path(__file__).resolve().parent.parent
Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def echo(cli: Cli) -> str:
    """A project negotiated in two turns and approved; its id."""
    assert cli("project", "new", "Tape Echo").returncode == 0
    chat = cli("chat", "Tape Echo", stdin="a warm tape delay that darkens its repeats\nmore feedback\n/approve\n")
    assert chat.returncode == 0, chat.stderr
    shown = cli("project", "show", "Tape Echo").stdout
    return re.search(r"\bid ([0-9a-f-]{36})", shown)[1]


def outputs(cell: NotebookNode) -> str:
    return "".join(output.get("text", "") + output.get("data", {}).get("text/plain", "") for output in cell.outputs)


def test_an_exported_project_runs_top_to_bottom(
    cli: Cli, echo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exported = cli("project", "export-notebook", "Tape Echo", "--no-build")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == "Tape-Echo.ipynb\n"
    notebook = nbformat.read(tmp_path / "Tape-Echo.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "# Tape Echo: WarmTapeDelay" in text
    assert "its approved plan (version 2)" in text
    assert "**You**:\n\n> a warm tape delay that darkens its repeats" in text
    assert "**You**:\n\n> more feedback" in text and "**vaist-lab** (plan v2):" in text
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert "verify_plugin" not in code and "Planner" not in code

    monkeypatch.setenv("VAIST_DATA_DIR", str(tmp_path / "kernel-data"))  # the kernel's, should it look
    execute_notebook(notebook, tmp_path)
    printed = [outputs(cell) for cell in notebook.cells if cell.cell_type == "code"]
    assert printed[1].startswith("WarmTapeDelay (DELAY): A warm tape-style echo")
    assert "Feedback     0..95 %, default 64 %" in printed[2]  # the approved plan, after "more feedback"
    assert "chain: DelayLine -> FeedbackLoop -> Biquad -> Mix" in printed[2]
    figure = next(cell for cell in notebook.cells if cell.source == "plan_figure(plan)")
    assert "image/png" in figure.outputs[0].data
    assert printed[4].startswith("before: peak -6.0 dBFS\nafter: peak ")
    players = notebook.cells[-1].outputs
    assert [output.data.get("text/markdown") for output in players[::2]] == ["**Before**", "**After**"]
    assert all("<audio" in output.data["text/html"] for output in players[1::2])


def test_the_export_builds_and_verifies_the_project_plugin(cli: Cli, echo: str, tmp_path: Path) -> None:
    exported = cli("project", "export-notebook", echo[:8], "-o", "with-build.ipynb")
    assert exported.returncode == 0, exported.stderr
    cells = nbformat.read(tmp_path / "with-build.ipynb", as_version=4).cells
    code = [cell.source for cell in cells if cell.cell_type == "code"]
    assert any(f'project_key="{echo}"' in source for source in code)  # the project's plugin code
    assert any(source.startswith("report = verify_plugin(plan, finished.artifact, level=WORKBENCH)") for source in code)
    assert code[-1] == "report.passed"


def test_export_errors_are_one_line(cli: Cli, tmp_path: Path) -> None:
    cli("project", "new", "Empty")
    empty = cli("project", "export-notebook", "Empty")
    assert (empty.returncode, empty.stderr) == (1, "Error: project Empty has no plan yet: nothing to export\n")
    cli("project", "new", "Room", "--template", "classic-room")
    unwritable = cli("project", "export-notebook", "Room", "-o", str(tmp_path / "missing" / "room.ipynb"))
    assert unwritable.returncode == 1
    assert unwritable.stderr.startswith(f"Error: {tmp_path / 'missing' / 'room.ipynb'}: cannot write")


def test_an_unknown_test_signal_is_refused() -> None:
    with pytest.raises(NotebookError, match="unknown test signal 'guitar'"):
        plan_notebook(load_template("tape-echo"), title="Echo", signal="guitar")


# -- the examples -----------------------------------------------------------------------------------------------


def test_the_examples_are_what_the_generator_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "notebooks" / "examples"))
    generator = importlib.import_module("make_examples")
    assert {example.path.name for example in generator.EXAMPLES} == {
        path.name for path in (ROOT / "notebooks" / "examples").glob("*.ipynb")
    }
    for example in generator.EXAMPLES:
        made = generator.example_notebook(example)
        stored = nbformat.read(example.path, as_version=4)
        assert [(cell.cell_type, cell.source, cell.metadata.get("tags")) for cell in stored.cells] == [
            (cell.cell_type, cell.source, cell.metadata.get("tags")) for cell in made.cells
        ], f"{example.path.name} differs from what make_examples.py makes: run it again"
