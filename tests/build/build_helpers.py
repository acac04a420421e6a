"""What the build tests import (a module of its own: `from conftest import ...` finds whichever conftest.py
pytest imported last, tests/cpp's when both folders are collected in one run)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from vaist_lab.build import BuildFinished, LocalBuilder
from vaist_lab.codegen import GeneratedProject


def tools_missing() -> str:
    if shutil.which("cmake") is None:
        return "cmake is missing"
    return "; ".join(LocalBuilder().check())


needs_tools = pytest.mark.skipif(tools_missing() != "", reason=f"the local builder cannot run: {tools_missing()}")


def needs_archive() -> None:
    """Skip unless builds here link the shared JUCE module archive (an installed JUCE)."""
    if LocalBuilder().archive() is None:
        pytest.skip("no installed JUCE (or VAIST_JUCE_ARCHIVE=0): builds compile JUCE's modules, no archive")


def collect(iterator: Iterator) -> tuple[list, BuildFinished]:
    events = list(iterator)
    finished = [event for event in events if isinstance(event, BuildFinished)]
    assert len(finished) == 1 and events[-1] is finished[0], "exactly one BuildFinished, last"
    return events, finished[0]


@dataclass
class TemplateBuild:
    project: GeneratedProject
    events: list
    finished: BuildFinished
    build_dir: Path
