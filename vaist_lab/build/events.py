"""What a build reports while it runs: log lines, progress, and one final verdict.

A builder yields these as they happen; the CLI prints them, the build queue (later) forwards them and
the database stores them. Every event turns into plain JSON with `to_dict`. A build on several platforms
(the GitHub Actions builder) tags its log lines and progress with their platform and reports each
platform's verdict (PlatformFinished) as soon as that platform is done, before the one BuildFinished.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Level(StrEnum):
    DEBUG = "debug"  # command lines, compiler context lines
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Source(StrEnum):
    CMAKE = "cmake"
    COMPILER = "compiler"
    LINKER = "linker"
    SYSTEM = "system"  # the builder itself: tools, disk, processes, copying the artifact
    VERIFY = "verify"  # checking the built plugin against its plan, drawing its window
    GITHUB = "github"  # a GitHub Actions runner and its steps, and the builder talking to GitHub
    PLUGINVAL = "pluginval"  # pluginval's validation of the built plugin


@dataclass(frozen=True)
class LogEvent:
    level: Level
    source: Source
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    platform: str | None = None  # linux, macos or windows on a multi-platform build; None: local, whole build

    @property
    def location(self) -> str:
        """`file:line:col` (as much of it as is known), or ''."""
        if self.file is None:
            return ""
        parts = [self.file] + [str(part) for part in (self.line, self.column) if part is not None]
        return ":".join(parts)

    def __str__(self) -> str:
        location = self.location
        return f"{location}: {self.level.value}: {self.message}" if location else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "log", **asdict(self), "level": self.level.value, "source": self.source.value}


@dataclass(frozen=True)
class ProgressEvent:
    """`done` of `total` build steps finished (Ninja's [n/total]; Make's percentage as n/100)."""

    done: int
    total: int
    step: str = ""  # what the build is doing, e.g. "compiling juce_gui_basics.cpp"
    platform: str | None = None  # as LogEvent.platform

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total > 0 else 0.0

    def __str__(self) -> str:
        width = len(str(self.total))
        platform = f"{self.platform} " if self.platform else ""
        return f"[{platform}{self.done:>{width}}/{self.total}] {self.step}".rstrip()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "progress", **asdict(self)}


@dataclass(frozen=True)
class BuildFinished:
    """The last event of every build. `artifact` is set only on success, and only once the complete
    .vst3 bundle is in place; `errors` holds the first errors (compiler diagnostics first). A multi-platform
    build succeeds when every platform did; its `artifact` is the output folder holding the per-platform
    results (see PlatformFinished), set when at least one platform delivered."""

    success: bool
    artifact: Path | None
    duration: float
    errors: tuple[LogEvent, ...] = field(default_factory=tuple)
    message: str = ""  # one line: what happened ("built TapeEcho.vst3", "cancelled", "compiler not found")
    cancelled: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "finished",
            "success": self.success,
            "artifact": str(self.artifact) if self.artifact else None,
            "duration": self.duration,
            "errors": [error.to_dict() for error in self.errors],
            "message": self.message,
            "cancelled": self.cancelled,
        }


@dataclass(frozen=True)
class PlatformFinished:
    """One platform of a multi-platform build is done: its job ended, its log was read and its artifact (the
    zip the runner uploaded: plugin bundle, verification.json, pluginval.txt) downloaded into
    `<output>/<platform>/`. `verification` is that verification.json decoded (vaist-lab verify's report)."""

    platform: str
    success: bool
    duration: float
    artifact: Path | None = None
    verification: dict[str, Any] | None = None
    message: str = ""  # one line: "ok", "compile error: ...", "timed out after 3600 s in step 'Build plugin'"
    errors: tuple[LogEvent, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "platform",
            "platform": self.platform,
            "success": self.success,
            "duration": self.duration,
            "artifact": str(self.artifact) if self.artifact else None,
            "verification": self.verification,
            "message": self.message,
            "errors": [error.to_dict() for error in self.errors],
        }


BuildEvent = LogEvent | ProgressEvent | PlatformFinished | BuildFinished

__all__ = ["BuildEvent", "BuildFinished", "Level", "LogEvent", "PlatformFinished", "ProgressEvent", "Source"]
