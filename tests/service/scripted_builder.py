"""A Builder that plays a script instead of compiling: the service's tests need builds that log, make
progress, succeed, fail, hang until cancelled or crash on cue, in milliseconds. (The real LocalBuilder is
tested in tests/build.) It still keeps the Builder contract: events as they happen, exactly one final
BuildFinished, and a .vst3 bundle folder inside `output_dir` on success. Given a `picture`, it "draws" the
plugin's window as those bytes.

The functions at the end are builder factories for detached build workers (VAIST_BUILD_WORKER_BUILDER)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from vaist_lab.build.base import Builder, BuildError
from vaist_lab.build.events import BuildEvent, BuildFinished, Level, LogEvent, ProgressEvent, Source
from vaist_lab.codegen.project import GeneratedProject

BINARY = b"\x7fELF scripted plugin binary"
PICTURE = b"\x89PNG\r\n\x1a\n scripted window"


def compiler_lines(count: int) -> list[LogEvent]:
    return [
        LogEvent(Level.INFO, Source.COMPILER, f"compiling unit {index}", file=f"Source/Unit{index}.cpp", line=index)
        for index in range(count)
    ]


class ScriptedBuilder(Builder):
    name = "scripted"

    def __init__(
        self,
        events: Sequence[BuildEvent] = (),
        succeed: bool = True,
        failure: str = "compiler error",
        hang_until_cancelled: bool = False,
        crash: Exception | None = None,
        problems: Sequence[str] = (),
        picture: bytes | None = None,
        pause: float = 0.0,
    ) -> None:
        self.events = list(events) or [
            LogEvent(Level.INFO, Source.CMAKE, "configuring"),
            ProgressEvent(1, 2, "compiling PluginProcessor.cpp"),
            LogEvent(Level.WARNING, Source.COMPILER, "unused variable", file="Source/Chain.h", line=12, column=7),
            ProgressEvent(2, 2, "linking"),
        ]
        self.succeed = succeed
        self.failure = failure
        self.hang_until_cancelled = hang_until_cancelled
        self.crash = crash
        self.problems = list(problems)
        self.picture = picture
        self.pause = pause  # seconds before each scripted event
        self.started = threading.Event()  # set once the build has begun
        self.project: GeneratedProject | None = None

    def check(self) -> list[str]:
        return list(self.problems)

    def snapshot_editor(self, project: GeneratedProject, destination: Path) -> Path:
        if self.picture is None:
            return super().snapshot_editor(project, destination)
        if self.project is None:
            raise BuildError(f"{project.plugin_name} has not been built: build it first")
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(self.picture)
        return destination

    def build(
        self, project: GeneratedProject, output_dir: Path, cancel: threading.Event | None = None
    ) -> Iterator[BuildEvent]:
        cancel = cancel or threading.Event()
        started = time.monotonic()
        self.project = project
        self.started.set()
        for event in self.events:
            if self.pause:
                time.sleep(self.pause)
            yield event
        if self.crash is not None:
            raise self.crash
        if self.hang_until_cancelled:
            while not cancel.wait(0.01):
                pass
        if cancel.is_set():
            yield BuildFinished(False, None, time.monotonic() - started, message="cancelled", cancelled=True)
            return
        if not self.succeed:
            error = LogEvent(Level.ERROR, Source.COMPILER, self.failure, file="Source/Chain.h", line=3)
            yield error
            yield BuildFinished(False, None, time.monotonic() - started, (error,), f"build failed: {self.failure}")
            return
        bundle = output_dir / project.bundle_name
        binary = bundle / "Contents" / "x86_64-linux" / f"{project.plugin_name}.so"
        binary.parent.mkdir(parents=True)
        binary.write_bytes(BINARY)
        yield BuildFinished(True, bundle, time.monotonic() - started, message=f"built {bundle.name}")


def hanging() -> ScriptedBuilder:
    return ScriptedBuilder(hang_until_cancelled=True)


def chatty() -> ScriptedBuilder:
    return ScriptedBuilder(events=compiler_lines(300), pause=0.002)
