"""What a build reports while it runs: log lines, progress, and one final verdict.

A builder yields these as they happen; the CLI prints them, the build queue (later) forwards them and
the database stores them. Every event turns into plain JSON with `to_dict`.
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


@dataclass(frozen=True)
class LogEvent:
    level: Level
    source: Source
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None

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

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total > 0 else 0.0

    def __str__(self) -> str:
        width = len(str(self.total))
        return f"[{self.done:>{width}}/{self.total}] {self.step}".rstrip()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "progress", **asdict(self)}


@dataclass(frozen=True)
class BuildFinished:
    """The last event of every build. `artifact` is set only on success, and only once the complete
    .vst3 bundle is in place; `errors` holds the first errors (compiler diagnostics first)."""

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


BuildEvent = LogEvent | ProgressEvent | BuildFinished

__all__ = ["BuildEvent", "BuildFinished", "Level", "LogEvent", "ProgressEvent", "Source"]
