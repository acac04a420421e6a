"""The builder interface: a generated project in, events out, a .vst3 bundle in the output folder.

The local builder (CMake and the system compiler) and the GitHub Actions builder (vaist_lab.build.github: a
Linux/macOS/Windows matrix, its platforms' verdicts as PlatformFinished events) implement it. A build is a
generator: it yields events while it runs and always ends with exactly one `BuildFinished`; setting the
`cancel` event stops it soon after (the generator then ends with a cancelled `BuildFinished`), and so
does closing the generator.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

from vaist_lab.build.events import BuildEvent, BuildFinished
from vaist_lab.codegen.project import GeneratedProject


class BuildError(RuntimeError):
    """A build cannot start or cannot go on (missing tool, missing JUCE, disk full); the message says
    what is missing and how to get it."""


class Builder(ABC):
    """Builds generated plugin projects into VST3 bundles."""

    name: str = "builder"

    @abstractmethod
    def build(
        self, project: GeneratedProject, output_dir: Path, cancel: threading.Event | None = None
    ) -> Iterator[BuildEvent]:
        """Build `project`; yield log and progress events as they happen and finally one BuildFinished,
        whose artifact (on success) is the .vst3 bundle inside `output_dir`. Never raises for a failed
        build: failures are a BuildFinished with success=False and the first errors."""

    def check(self) -> list[str]:
        """Problems that would stop any build before it starts (empty when ready). Default: none."""
        return []

    def snapshot_editor(self, project: GeneratedProject, destination: Path) -> Path:
        """Draw the plugin's editor (after a successful `build` of `project`) into the PNG `destination`; its
        path. BuildError when this builder cannot (the default: a builder that cannot draw)."""
        raise BuildError(f"the {self.name} builder cannot draw a plugin's window")


def run_build(
    builder: Builder, project: GeneratedProject, output_dir: Path, cancel: threading.Event | None = None
) -> BuildFinished:
    """Run a build to the end, discarding the events; its BuildFinished."""
    finished: BuildFinished | None = None
    for event in builder.build(project, output_dir, cancel):
        if isinstance(event, BuildFinished):
            finished = event
    if finished is None:  # pragma: no cover - a builder that breaks the interface
        raise BuildError(f"{builder.name} ended without a result")
    return finished


__all__ = ["BuildError", "Builder", "run_build"]
